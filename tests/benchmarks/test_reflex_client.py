"""The load-test client's pure parts: what it sends on connect and how it reads frames.

No server and no aiohttp needed: these are the payloads the portal's front end would send
(``reflex_base/.templates/web/utils/state.js``) and the rules the client ends a page
load by.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import reflex_client as rc  # noqa: E402
from load_test import percentile, usernames  # noqa: E402

ROOT = "reflex___state____state"


@pytest.fixture
def schema() -> rc.AppSchema:
    return rc.AppSchema(
        root_name=ROOT,
        initial_state={ROOT: {"is_hydrated_rx_state_": False}},
        hashes=["names", "h1"],
        state_schema="schema-hash",
        routes=["login", "index", "dashboard", "category/[category]", "policy/[policy_no]", "policies"],
    )


def test_routes_match_static_and_dynamic(schema):
    assert schema.match("/dashboard") == ("dashboard", {})
    assert schema.match("/dashboard/") == ("dashboard", {})
    assert schema.match("/") == ("index", {})
    assert schema.match("/policy/P-2019-0001") == ("policy/[policy_no]", {"policy_no": "P-2019-0001"})
    assert schema.match("/nowhere") == (None, {})


def test_boot_event_is_the_hydrate_with_hashes_and_router_data(schema):
    auth = rc.boot_auth("/category/premiums_paid?page=2", schema)
    assert auth["state_schema"] == "schema-hash"
    event = auth["event"]
    assert event["name"] == f"{ROOT}.hydrate_and_load"
    assert event["payload"] == {"hashes": ["names", "h1"]}
    assert event["router_data"] == {
        "pathname": "/category/premiums_paid",
        "asPath": "/category/premiums_paid?page=2",
        "query": {"page": "2", "category": "premiums_paid"},
    }
    # A reconnect sends no hashes (the tab no longer holds the defaults); no query, no key.
    again = rc.boot_auth("/dashboard", schema, first=False)["event"]
    assert "payload" not in again and "query" not in again["router_data"]


def test_navigation_sends_on_load_internal(schema):
    event = rc.navigate_event("/policies", schema)
    assert event["name"] == f"{ROOT}.reflex___state____on_load_internal_state.on_load_internal"
    assert event["router_data"]["pathname"] == "/policies"


def test_deltas_merge_and_redirects_are_seen():
    store = {ROOT: {"is_hydrated_rx_state_": False}}
    rc.merge_delta(store, {ROOT: {"is_hydrated_rx_state_": True}, "x": {"loaded_rx_state_": True}})
    assert store == {ROOT: {"is_hydrated_rx_state_": True}, "x": {"loaded_rx_state_": True}}
    events = [{"name": "_call_script", "payload": {}}, {"name": "_redirect", "payload": {"path": "/login?notice=auth.expired"}}]
    assert rc.redirect_target(events) == "/login?notice=auth.expired"
    assert rc.redirect_target([]) is None


def test_session_cookie_is_read_from_set_cookie():
    headers = ["other=1; Path=/", "portal_session=abc.def.ghi; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600"]
    assert rc.cookie_from(headers) == "abc.def.ghi"
    assert rc.cookie_from(["portal_session=; Max-Age=0"]) is None


def test_only_local_servers():
    assert rc.is_local_url("http://127.0.0.1:3300")
    assert rc.is_local_url("http://localhost:3300/")
    assert not rc.is_local_url("http://example.com:3300")
    assert not rc.is_local_url("http://10.0.0.5:3300")


def test_percentiles_and_logins():
    assert percentile([5, 1, 4, 2, 3], 50) == 3
    assert percentile(list(range(1, 101)), 95) == 95
    assert usernames("bench", 2) == ["bench001", "bench002"]
    assert usernames("demo", 4) == ["wangjianguo", "lixiulan", "zhangwei", "wangjianguo"]


def test_schema_from_the_portal_names_each_page_state():
    """The names come from the state classes, so a rename cannot go stale here."""
    from portal.state.portfolio import DashboardState, PolicyState
    from portal.state.session import SessionState

    schema = rc.AppSchema.from_app()
    assert schema.page_states["dashboard"] == DashboardState.get_full_name()
    assert schema.page_states["policy/[policy_no]"] == PolicyState.get_full_name()
    assert schema.session_state == SessionState.get_full_name()
    assert len(schema.hashes) == len(schema.initial_state) + 1
