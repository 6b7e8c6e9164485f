"""Who may see what: every read goes through authorize_customer."""

from __future__ import annotations

import pytest

from portal.data.db import session_scope
from portal.domain.categories import Category
from portal.services import auth, portfolio
from tests.services.conftest import PASSWORD, TODAY, ids


def _principal(engine, username):
    with session_scope(engine) as s:
        token = auth.login(s, username, PASSWORD).token
    with session_scope(engine) as s:
        return auth.authenticate(s, token)


def test_customer_sees_own_dashboard_with_figures_from_own_records(engine):
    alice = _principal(engine, "alice")
    with session_scope(engine) as s:
        dashboard = portfolio.load_dashboard(s, alice, TODAY)
    assert dashboard.customer_name == "周一"
    # One paid installment of ¥5,000.00; one unpaid due 2026-12-01 (within 30 days of 11-21).
    assert str(dashboard.rollup.figure(Category.PREMIUMS_PAID).amount) == "5000.00"
    assert str(dashboard.rollup.figure(Category.PREMIUM_DUE).amount) == "5000.00"
    # 80% of ¥20,000.00 cash value, no loans.
    assert str(dashboard.rollup.figure(Category.LOANABLE).amount) == "16000.00"


def test_customer_cannot_ask_for_another_customers_dashboard(engine):
    alice = _principal(engine, "alice")
    bob_id = ids(engine)["C2"]
    with session_scope(engine) as s, pytest.raises(portfolio.AccessDenied):
        portfolio.load_dashboard(s, alice, TODAY, customer_id=bob_id)


def test_customer_cannot_open_another_customers_policy(engine):
    alice = _principal(engine, "alice")
    with session_scope(engine) as s:
        assert portfolio.load_policy(s, alice, "P-ALICE-1", TODAY).policy.policy_no == "P-ALICE-1"
        with pytest.raises(portfolio.AccessDenied):
            portfolio.load_policy(s, alice, "P-BOB-1", TODAY)
        with pytest.raises(portfolio.AccessDenied):
            portfolio.load_policy(s, alice, "NO-SUCH-POLICY", TODAY)


def test_nobody_logged_in_sees_nothing(engine):
    with session_scope(engine) as s:
        with pytest.raises(portfolio.AccessDenied):
            portfolio.load_dashboard(s, None, TODAY)
        with pytest.raises(portfolio.AccessDenied):
            portfolio.load_policy(s, None, "P-ALICE-1", TODAY)


def test_manager_sees_assigned_client_only(engine):
    manager = _principal(engine, "manager")
    customer_ids = ids(engine)
    with session_scope(engine) as s:
        assert portfolio.load_dashboard(s, manager, TODAY, customer_id=customer_ids["C1"]).customer_name == "周一"
        assert portfolio.load_policy(s, manager, "P-ALICE-1", TODAY).policy.policy_no == "P-ALICE-1"
        with pytest.raises(portfolio.AccessDenied):
            portfolio.load_dashboard(s, manager, TODAY, customer_id=customer_ids["C2"])
        with pytest.raises(portfolio.AccessDenied):
            portfolio.load_policy(s, manager, "P-BOB-1", TODAY)
        with pytest.raises(portfolio.AccessDenied):
            portfolio.load_dashboard(s, manager, TODAY)


def test_filter_policies_by_line_and_status(engine):
    alice = _principal(engine, "alice")
    with session_scope(engine) as s:
        policies = portfolio.load_dashboard(s, alice, TODAY).picture.policies
    assert [p.policy_no for p in portfolio.filter_policies(policies, "life", "in_force")] == ["P-ALICE-1"]
    assert portfolio.filter_policies(policies, "property", None) == []
    assert portfolio.filter_policies(policies, None, "lapsed") == []
    assert portfolio.filter_policies(policies, None, None, only_ids=set()) == []
    assert len(portfolio.filter_policies(policies, None, None, only_ids={policies[0].policy_id})) == 1


def test_manager_worklist_lists_assigned_clients_only(engine):
    manager = _principal(engine, "manager")
    with session_scope(engine) as s:
        shown = portfolio.load_manager_clients(s, manager, TODAY)
    clients = shown.items
    assert (shown.total, shown.count, shown.number) == (1, 1, 0)
    assert [c.name for c in clients] == ["周一"]
    assert clients[0].policy_count == 1
    # The 2026-12-01 installment is within 30 days of 2026-11-21.
    assert clients[0].reminder_counts["renewal_due"] == 1


def test_customers_cannot_read_a_manager_worklist(engine):
    alice = _principal(engine, "alice")
    with session_scope(engine) as s, pytest.raises(portfolio.AccessDenied):
        portfolio.load_manager_clients(s, alice, TODAY)


def test_page_of_clamps_and_covers_every_item_once():
    items = list(range(45))
    pages = [portfolio.page_of(items, n, 20) for n in range(3)]
    assert [len(p.items) for p in pages] == [20, 20, 5] and {p.count for p in pages} == {3}
    assert [i for p in pages for i in p.items] == items
    assert portfolio.page_of(items, 99, 20).number == 2 and portfolio.page_of(items, -5, 20).number == 0
    empty = portfolio.page_of([], 3, 20)
    assert (empty.items, empty.number, empty.count, empty.total) == ((), 0, 1, 0)
