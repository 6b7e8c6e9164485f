"""The scale-out deployment in the browser: PostgreSQL, Reflex state in Redis, two granian
workers (PORTAL_E2E_BACKEND=postgres-redis, scripts/test.sh's last pass).

What one process could guarantee by itself (one event at a time per tab, a lock in memory)
must hold across processes: the customer has the loan open in two tabs whose websockets
are served by different worker processes, confirms it in both (double-clicking each) at the
same moment, and exactly one loan is made. The other tab is refused because the figures it
checked (the headroom) are no longer true. Which worker serves a tab's websocket is read
from Reflex's own socket record in Redis (its owner's instance id, one per worker).
"""

from __future__ import annotations

import pickle
import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WORKERS
from tests.e2e.helpers import DEMO_PASSWORD, customer_id, login

pytestmark = [pytest.mark.e2e, pytest.mark.scale_out]

LOYAL = "wangjianguo"
SOCKET_RECORD = "token_manager_socket_record_{}"  # reflex.utils.token_manager.RedisTokenManager
TABS_TO_TRY = 30  # a new tab lands on the other worker one time in three or four


@pytest.fixture
def redis_client(portal_server):
    import redis

    client = redis.Redis.from_url(portal_server["redis_url"])
    yield client
    client.close()


def socket_worker(page, redis_client, timeout: float = 15.0) -> str:
    """The instance id of the worker process holding this tab's websocket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        token = page.evaluate("window.sessionStorage.getItem('token')")
        record = redis_client.get(SOCKET_RECORD.format(token)) if token else None
        if record is not None:
            return pickle.loads(record).instance_id
        time.sleep(0.2)
    raise AssertionError("the tab's websocket never registered in Redis")


def open_loan(page) -> None:
    page.goto("/act/take_loan")
    expect(page.locator("#choice-select")).to_be_visible()


def tabs_on_two_workers(context, redis_client):
    """Two tabs of one login whose websockets are held by different worker processes:
    tabs are opened until the kernel has handed their connections to both workers."""
    by_worker = {}
    for _ in range(TABS_TO_TRY):
        page = context.new_page()
        page.set_default_timeout(20_000)
        open_loan(page)
        worker = socket_worker(page, redis_client)
        if worker in by_worker:
            page.close()
            continue
        by_worker[worker] = page
        if len(by_worker) == 2:
            return list(by_worker.values())
    raise AssertionError(f"{TABS_TO_TRY} tabs all landed on one worker: is GRANIAN_WORKERS={WORKERS} in effect?")


def counts(db, cid: int) -> dict[str, int]:
    one = lambda sql: db.execute(sql, (cid,)).fetchone()[0]  # noqa: E731
    return {
        "requests": one("SELECT COUNT(*) FROM service_request WHERE customer_id = ?"),
        "loans": one("SELECT COUNT(*) FROM policy_loan l JOIN policy p ON p.id = l.policy_id WHERE p.policyholder_id = ?"),
        "loan_history": one("SELECT COUNT(*) FROM history_event WHERE customer_id = ? AND kind = 'loan_taken'"),
        "history": one("SELECT COUNT(*) FROM history_event WHERE customer_id = ?"),
    }


def test_a_loan_confirmed_in_two_tabs_on_two_workers_lends_once(browser, portal_server, db, redis_client):
    cid = customer_id(db, LOYAL)
    before = counts(db, cid)
    context = browser.new_context(base_url=portal_server["url"], viewport={"width": 1280, "height": 900})
    try:
        first = context.new_page()
        first.set_default_timeout(20_000)
        login(first, LOYAL)
        expect(first).to_have_url(re.compile(r"/dashboard/?$"))
        first.close()
        tabs = tabs_on_two_workers(context, redis_client)
        assert len({socket_worker(tab, redis_client) for tab in tabs}) == 2
        policies = {tab.locator("#choice-select").input_value() for tab in tabs}
        assert len(policies) == 1  # the same policy, pre-selected alike
        policy_no = policies.pop()
        version_before = db.execute("SELECT version FROM policy WHERE policy_no = ?", (policy_no,)).fetchone()[0]
        for tab in tabs:  # the same loan reviewed in both tabs, against the same headroom
            tab.locator("#amount").fill("1000.00")
            tab.locator("#term-months").select_option("3")
            tab.locator("#review-button").click()
            expect(tab.locator("#review-lines")).to_contain_text("¥1,000.00")
            tab.locator("#password").fill(DEMO_PASSWORD)
        for tab in tabs:  # both confirmations in flight at once, one on each worker
            tab.locator("#confirm-button").dblclick(no_wait_after=True)
        done = [tab for tab in tabs if _outcome(tab) == "done"]
        assert len(done) == 1, "exactly one tab makes the loan"
        refused = next(tab for tab in tabs if tab is not done[0])
        expect(refused.locator("#action-error")).to_contain_text("相关数据已发生变化")
        request_no = done[0].locator("#request-no").inner_text().strip()
    finally:
        context.close()

    after = counts(db, cid)
    assert after == {
        "requests": before["requests"] + 1,
        "loans": before["loans"] + 1,
        "loan_history": before["loan_history"] + 1,
        "history": before["history"] + 1,
    }
    principal, kind = db.execute(
        "SELECT l.principal_fen, r.kind FROM policy_loan l JOIN service_request r ON r.id = l.request_id "
        "WHERE r.request_no = ?", (request_no,),
    ).fetchone()
    assert (principal, kind) == (100_000, "take_loan")
    assert db.execute("SELECT version FROM policy WHERE policy_no = ?", (policy_no,)).fetchone()[0] == version_before + 1


def _outcome(tab) -> str:
    """How a confirmation ended: the done page or the refusal (the other tab's loan came first)."""
    expect(tab.locator("#action-done").or_(tab.locator("#action-error"))).to_be_visible()
    return "done" if tab.locator("#action-done").is_visible() else "refused"
