"""What each action changes, and nothing else, against hand-computed figures.

Every figure here was worked out by hand from the rows in servicing_fixtures.py (see its
table); none is computed by the code under test. Each test takes every table's rows
before and after the action and checks which tables changed and how, then compares the
eleven roll-up figures before/after, and verifies the history hash chain.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import String, select, type_coerce, update
from sqlmodel import SQLModel

from portal.data import tables as t
from portal.data.db import session_scope
from portal.domain.categories import Category, ReminderKind
from portal.domain.rejections import Rejected
from portal.services.servicing import requests
from tests import pii_keys
from tests.services.conftest import TODAY
from tests.services.servicing_fixtures import NOW, rejected_code

D = Decimal
TOMORROW = TODAY + timedelta(days=1)


# ---------------------------------------------------------------------- helpers


def _tables(world) -> dict[str, dict]:
    """Every table's rows keyed by primary key."""
    out = {}
    with world.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            key = [c.name for c in table.primary_key.columns]
            out[table.name] = {
                tuple(row[k] for k in key): dict(row) for row in connection.execute(select(table)).mappings()
            }
    return out


class Change:
    def __init__(self, before: dict, after: dict):
        self.before, self.after = before, after

    @property
    def tables(self) -> set[str]:
        return {name for name in self.before if self.before[name] != self.after[name]}

    def added(self, table: str) -> list[dict]:
        return [row for key, row in sorted(self.after[table].items()) if key not in self.before[table]]

    def updated(self, table: str) -> dict:
        """{primary key: {column: (before, after)}} for rows that changed."""
        out = {}
        for key, old in self.before[table].items():
            new = self.after[table].get(key)
            assert new is not None, f"{table} {key} was deleted"
            diff = {c: (old[c], new[c]) for c in old if old[c] != new[c]}
            if diff:
                out[key] = diff
        return out


def _figures(rollup) -> dict:
    return {c: (rollup.figure(c).amount, rollup.figure(c).count) for c in Category}


def _reminders(rollup) -> dict:
    return {r.kind: r.policy_ids for r in rollup.reminders}


def _run(world, kind, form, *, grant=True, today=TODAY):
    """Log in and step up first (their rows are not the action's), then review and submit,
    returning (result, review, table change, figures before, figures after)."""
    carol = world.principal()
    rv = world.review(carol, kind, form, today)
    key, the_grant = world.stepped_up(carol, kind, rv) if grant else (None, None)
    before, rollup_before = _tables(world), world.rollup(today=today)
    result = world.submit(carol, kind, form, rv=rv, key=key, grant=the_grant, today=today)
    change = Change(before, _tables(world))
    assert world.chain_is_clean()
    return result, rv, change, rollup_before, world.rollup(today=today)


def _lines(rv) -> dict[str, str]:
    return {line.label_key: line.value or line.value_key for line in rv.lines}


def _event(change) -> list[tuple]:
    return [(e["kind"], e["policy_id"], e["amount_fen"]) for e in change.added("history_event")]


def _version_bumps(change, table="policy") -> dict:
    return {key[0]: diff.pop("version") for key, diff in change.updated(table).items() if "version" in diff}


# ---------------------------------------------------------------------- the eight actions


def test_pay_premium(world):
    ids = world.ids
    result, rv, change, before, after = _run(world, "pay_premium", {"policies": ["P-C-WL", "P-C-END"]})

    assert rv.amount == D("13000.00") and result.amount == D("13000.00") and result.status == "completed"
    assert _lines(rv) == {
        "review.policy_premium": "P-C-END · ¥3,000.00 (1)",  # the last of the two lines with this key
        "review.total_to_pay": "¥13,000.00",
        "review.paid_from": "招商银行 **** **** 5678",
        "review.note": "review.grace_keeps_in_force",  # P-C-END is 51 days overdue
    }
    assert [ln.value for ln in rv.lines if ln.label_key == "review.policy_premium"] == [
        "P-C-WL · ¥10,000.00 (1)", "P-C-END · ¥3,000.00 (1)",
    ]
    assert change.tables == {"service_request", "premium_installment", "policy", "history_event", "history_head"}
    (request,) = change.added("service_request")
    assert (request["kind"], request["status"], request["amount_fen"]) == ("pay_premium", "completed", 1_300_000)
    assert change.updated("premium_installment") == {
        (ids["inst:P-C-WL:2026-12-01"],): {"paid_date": (None, TODAY), "request_id": (None, request["id"])},
        (ids["inst:P-C-END:2026-10-01"],): {"paid_date": (None, TODAY), "request_id": (None, request["id"])},
    }
    assert _version_bumps(change) == {ids["P-C-WL"]: (0, 1), ids["P-C-END"]: (0, 1)}
    assert sorted(_event(change)) == sorted(
        [("premium_paid", ids["P-C-WL"], 1_000_000), ("premium_paid", ids["P-C-END"], 300_000)]
    )

    expected = _figures(before)
    expected[Category.PREMIUM_DUE] = (D("4000.00"), 1)  # 17,000.00 − 13,000.00: P-C-OVERDUE is left
    expected[Category.PREMIUMS_PAID] = (D("65200.00"), 9)  # 52,200.00 + 13,000.00
    expected[Category.HISTORY] = (None, 2)
    assert _figures(after) == expected
    assert _reminders(after)[ReminderKind.RENEWAL_DUE] == (ids["P-C-OVERDUE"],)
    assert ids["P-C-END"] in _reminders(before)[ReminderKind.LAPSE_RISK]
    assert ids["P-C-END"] not in _reminders(after)[ReminderKind.LAPSE_RISK]


def test_take_loan(world):
    ids = world.ids
    result, rv, change, before, after = _run(world, "take_loan", {"policy": "P-C-WL", "amount": "20000", "term_months": 6})

    # 20,000.00 × 5% × 181 days (2026-11-21 → 2027-05-21) / 365 = 495.890… → 495.89
    assert _lines(rv) == {
        "review.policy": "P-C-WL",
        "review.loan_headroom": "¥69,747.95",
        "review.loan_amount": "¥20,000.00",
        "review.annual_rate": "5.00%",
        "review.term_months": "6",
        "review.start_date": "2026-11-21",
        "review.due_date": "2027-05-21",
        "review.interest_to_due": "¥495.89",
        "review.repay_at_due": "¥20,495.89",
        "review.paid_to": "招商银行 **** **** 5678",
    }
    assert (result.status, result.amount, result.policy_no) == ("completed", D("20000.00"), "P-C-WL")
    assert change.tables == {"service_request", "policy_loan", "policy", "history_event", "history_head"}
    (request,) = change.added("service_request")
    (loan,) = change.added("policy_loan")
    assert loan == {
        "id": loan["id"], "loan_no": f"L{result.request_no}", "policy_id": ids["P-C-WL"], "kind": "policy_loan",
        "principal_fen": 2_000_000, "annual_rate_bp": 500, "start_date": TODAY, "due_date": date(2027, 5, 21),
        "request_id": request["id"],
    }
    assert _version_bumps(change) == {ids["P-C-WL"]: (0, 1)}
    assert _event(change) == [("loan_taken", ids["P-C-WL"], 2_000_000)]

    expected = _figures(before)
    expected[Category.LOANABLE] = (D("369747.95"), 2)  # P-C-WL 69,747.95 − 20,000.00 = 49,747.95
    expected[Category.LOANS_TAKEN] = (D("32000.00"), 3)
    expected[Category.REPAYMENT_DUE] = (D("32352.05"), 3)  # no interest on the day it is lent
    expected[Category.HISTORY] = (None, 1)
    assert _figures(after) == expected
    wl = next(ln for ln in after.figure(Category.LOANABLE).lines if ln.policy_no == "P-C-WL")
    assert wl.amount == D("49747.95")


def test_repay_loan_pays_interest_first_then_principal(world):
    ids = world.ids
    result, rv, change, before, after = _run(world, "repay_loan", {"loan": "L-C-1", "amount": "300"})

    # L-C-1: 10,000.00 × 5% × 184 / 365 = 252.054… → 252.05 interest; 47.95 goes to principal.
    assert _lines(rv) == {
        "review.policy": "P-C-WL",
        "review.loan_no": "L-C-1",
        "review.total_due": "¥10,252.05",
        "review.repay_amount": "¥300.00",
        "review.interest_part": "¥252.05",
        "review.principal_part": "¥47.95",
        "review.remaining": "¥9,952.05",
        "review.paid_from": "招商银行 **** **** 5678",
    }
    assert change.tables == {"service_request", "loan_repayment", "policy", "history_event", "history_head"}
    (request,) = change.added("service_request")
    (repayment,) = change.added("loan_repayment")
    assert (repayment["loan_id"], repayment["paid_date"], repayment["principal_fen"], repayment["interest_fen"],
            repayment["request_id"]) == (ids["L-C-1"], TODAY, 4_795, 25_205, request["id"])
    assert _event(change) == [("loan_repaid", ids["P-C-WL"], 30_000)]

    expected = _figures(before)
    expected[Category.REPAYMENT_DUE] = (D("12052.05"), 2)  # 9,952.05 + L-C-2's 2,100.00
    expected[Category.LOANS_REPAID] = (D("300.00"), 1)
    expected[Category.LOANABLE] = (D("390047.95"), 2)  # P-C-WL: 80,000.00 − 9,952.05 = 70,047.95
    expected[Category.HISTORY] = (None, 1)
    assert _figures(after) == expected

    # The rest closes the loan: nothing more accrues the same day.
    closing, rv2, change2, _, after2 = _run(world, "repay_loan", {"loan": "L-C-1", "amount": "9952.05"})
    assert _lines(rv2)["review.interest_part"] == "¥0.00" and _lines(rv2)["review.remaining"] == "¥0.00"
    assert _lines(rv2)["review.note"] == "review.closes_loan"
    (repayment2,) = change2.added("loan_repayment")
    assert (repayment2["principal_fen"], repayment2["interest_fen"]) == (995_205, 0)
    assert after2.figure(Category.REPAYMENT_DUE).amount == D("2100.00")
    assert after2.figure(Category.LOANS_REPAID).amount == D("10252.05")
    carol = world.principal()
    assert rejected_code(lambda: world.review(carol, "repay_loan", {"loan": "L-C-1", "amount": "1"})) == "error.loan_closed"


def test_collect_benefit(world):
    ids = world.ids
    survival, dividend = ids["benefit:P-C-END:survival:2026-06-01"], ids["benefit:P-C-END:dividend:2026-10-01"]
    result, rv, change, before, after = _run(world, "collect_benefit", {"items": [survival, dividend, survival]})

    assert [(ln.label_key, ln.value) for ln in rv.lines] == [
        ("benefit.survival", "P-C-END · 2026-06-01 · ¥2,000.00"),
        ("benefit.dividend", "P-C-END · 2026-10-01 · ¥123.45"),
        ("review.total_to_receive", "¥2,123.45"),
        ("review.paid_to", "招商银行 **** **** 5678"),
    ]
    assert result.amount == D("2123.45")
    # No version to bump: "still unpaid" in the UPDATE is the guard.
    assert change.tables == {"service_request", "benefit_item", "history_event", "history_head"}
    (request,) = change.added("service_request")
    assert change.updated("benefit_item") == {
        (survival,): {"paid_date": (None, TODAY), "request_id": (None, request["id"])},
        (dividend,): {"paid_date": (None, TODAY), "request_id": (None, request["id"])},
    }
    assert _event(change) == [("benefit_paid", ids["P-C-END"], 212_345)]

    expected = _figures(before)
    expected[Category.CLAIMABLE] = (D("0.00"), 0)
    expected[Category.BENEFITS_RECEIVED] = (D("4123.45"), 3)
    expected[Category.HISTORY] = (None, 1)
    assert _figures(after) == expected
    assert _reminders(after)[ReminderKind.MONEY_TO_COLLECT] == ()


def test_withdraw_from_a_universal_account(world):
    ids = world.ids
    result, rv, change, before, after = _run(world, "withdraw", {"policy": "P-C-UL", "amount": "10000"})

    # Policy year 3 (from 2024-03-01) → 3%: charge 300.00, 9,700.00 paid out.
    assert _lines(rv) == {
        "review.policy": "P-C-UL",
        "review.account_no": "UA-C-1",
        "review.account_value": "¥51,200.00",
        "review.withdraw_amount": "¥10,000.00",
        "review.policy_year": "3",
        "review.charge_rate": "3.00%",
        "review.charge": "¥300.00",
        "review.net_payout": "¥9,700.00",
        "review.value_after": "¥41,200.00",
        "review.minimum_balance": "¥5,000.00",
        "review.paid_to": "招商银行 **** **** 5678",
    }
    assert change.tables == {"service_request", "account_movement", "universal_account", "history_event", "history_head"}
    (request,) = change.added("service_request")
    assert [(m["kind"], m["amount_fen"], m["occurred_on"], m["request_id"]) for m in change.added("account_movement")] == [
        ("withdrawal", -970_000, TODAY, request["id"]),
        ("fee", -30_000, TODAY, request["id"]),
    ]
    assert _version_bumps(change, "universal_account") == {ids["UA-C-1"]: (0, 1)}
    assert _event(change) == [("account_withdrawal", ids["P-C-UL"], 1_000_000)]

    expected = _figures(before)
    expected[Category.UNIVERSAL_ACCOUNTS] = (D("41200.00"), 1)
    expected[Category.HISTORY] = (None, 1)
    assert _figures(after) == expected

    # Down to exactly the minimum balance, and not a fen below it.
    _run(world, "withdraw", {"policy": "P-C-UL", "amount": "36200"})
    assert world.rollup().figure(Category.UNIVERSAL_ACCOUNTS).amount == D("5000.00")
    carol = world.principal()
    assert rejected_code(lambda: world.review(carol, "withdraw", {"policy": "P-C-UL", "amount": "0.01"})) \
        == "error.withdraw_above_available"


def test_auto_renew_needs_no_step_up_and_changes_the_flag_only(world):
    ids = world.ids
    result, rv, change, before, after = _run(world, "auto_renew", {"policy": "P-C-ST", "enable": True}, grant=False)

    assert _lines(rv) == {
        "review.policy": "P-C-ST",
        "review.term_ends": "2027-03-31",
        "review.auto_renew_now": "common.off",
        "review.auto_renew_new": "common.on",
        "review.effective_from": "2027-04-01",
    }
    assert (result.status, result.amount) == ("completed", None)
    assert change.tables == {"service_request", "policy", "history_event", "history_head"}
    assert change.updated("policy") == {(ids["P-C-ST"],): {"auto_renew": (False, True), "version": (0, 1)}}
    (event,) = change.added("history_event")
    assert (event["kind"], event["amount_fen"]) == ("auto_renew_changed", None)
    assert event["note"] == f"{result.request_no} auto_renew=on from 2027-04-01"
    expected = _figures(before)
    expected[Category.HISTORY] = (None, 1)
    assert _figures(after) == expected
    # And back off again.
    off, *_ = _run(world, "auto_renew", {"policy": "P-C-ST", "enable": False}, grant=False)
    assert off.status == "completed"
    (policy,) = world.rows(t.Policy, t.Policy.id == ids["P-C-ST"])
    assert policy.auto_renew is False and policy.version == 2


def test_reinstate_a_lapsed_policy(world):
    ids = world.ids
    result, rv, change, before, after = _run(world, "reinstate", {"policy": "P-C-LAPSED", "health_unchanged": True})

    # Back premiums with 5% simple interest to 2026-11-21:
    #   2025-03-15: 6,000.00 × 5% × 616 / 365 = 506.301… → 506.30 (recorded, unpaid)
    #   2026-03-15: 6,000.00 × 5% × 251 / 365 = 206.301… → 206.30 (raised by the schedule)
    # Loan L-C-2: 2,000.00 + 2,000.00 × 5% × 365 / 365 = 2,100.00
    # Total: 12,000.00 + 712.60 + 2,100.00 = 14,812.60
    assert (TODAY - date(2025, 3, 15)).days == 616 and (TODAY - date(2026, 3, 15)).days == 251
    assert [(ln.label_key, ln.value) for ln in rv.lines] == [
        ("review.policy", "P-C-LAPSED"),
        ("review.back_premium", "2025-03-15 · ¥6,000.00 + ¥506.30"),
        ("review.back_premium", "2026-03-15 · ¥6,000.00 + ¥206.30"),
        ("review.back_premiums", "¥12,000.00"),
        ("review.reinstatement_rate", "5.00%"),
        ("review.reinstatement_interest", "¥712.60"),
        ("review.loans_owed", "¥2,100.00"),
        ("review.total_to_pay", "¥14,812.60"),
        ("review.paid_from", "招商银行 **** **** 5678"),
    ]
    assert result.amount == D("14812.60")
    assert change.tables == {
        "service_request", "premium_installment", "loan_repayment", "policy", "history_event", "history_head",
    }
    (request,) = change.added("service_request")
    assert change.updated("premium_installment") == {
        (ids["inst:P-C-LAPSED:2025-03-15"],): {"paid_date": (None, TODAY), "request_id": (None, request["id"])},
    }
    (raised,) = change.added("premium_installment")
    assert (raised["policy_id"], raised["due_date"], raised["amount_fen"], raised["paid_date"], raised["request_id"]) == (
        ids["P-C-LAPSED"], date(2026, 3, 15), 600_000, TODAY, request["id"],
    )
    (payoff,) = change.added("loan_repayment")
    assert (payoff["loan_id"], payoff["principal_fen"], payoff["interest_fen"]) == (ids["L-C-2"], 200_000, 10_000)
    assert change.updated("policy") == {
        (ids["P-C-LAPSED"],): {
            "status": ("lapsed", "in_force"), "status_date": (date(2025, 5, 14), TODAY), "version": (0, 1),
        }
    }
    assert _event(change) == [("policy_reinstated", ids["P-C-LAPSED"], 1_481_260)]

    expected = _figures(before)
    expected[Category.PREMIUMS_PAID] = (D("64200.00"), 9)  # 52,200.00 + 12,000.00
    expected[Category.LOANS_REPAID] = (D("2100.00"), 1)
    expected[Category.REPAYMENT_DUE] = (D("10252.05"), 1)  # only L-C-1 is left
    expected[Category.LOANABLE] = (D("401747.95"), 3)  # in force again: 80% of 15,000.00 = 12,000.00
    expected[Category.HISTORY] = (None, 1)
    assert _figures(after) == expected
    assert after.counts_by_status["in_force"] == before.counts_by_status["in_force"] + 1
    assert after.counts_by_status["lapsed"] == before.counts_by_status["lapsed"] - 1 == 0
    assert ids["P-C-LAPSED"] not in _reminders(after)[ReminderKind.LAPSE_RISK]
    # Once in force it cannot be reinstated again.
    carol = world.principal()
    assert rejected_code(
        lambda: world.review(carol, "reinstate", {"policy": "P-C-LAPSED", "health_unchanged": True})
    ) == "error.not_reinstatable"


def test_update_profile(world):
    ids = world.ids
    form = {"phone": "139 1234-5678", "payout_bank": "中国工商银行", "payout_account": "6222 0000 1111 2222 333"}
    result, rv, change, before, after = _run(world, "update_profile", form)

    assert [(ln.label_key, ln.value) for ln in rv.lines] == [
        ("profile.phone", "138****5678 → 139****5678"),
        ("profile.payout_bank", "招商银行 → 中国工商银行"),
        ("profile.payout_account", "**** **** 5678 → **** **** 2333"),
    ]
    assert change.tables == {"service_request", "customer", "history_event", "history_head"}
    assert change.updated("customer") == {
        (ids["C3"],): {
            "phone": ("13800005678", "13912345678"),
            "payout_bank": ("招商银行", "中国工商银行"),
            "payout_account": ("6225880012345678", "6222000011112222333"),
            "phone_hash": (pii_keys.keyed_hash("phone", "13800005678"), pii_keys.keyed_hash("phone", "13912345678")),
        }
    }
    with world.engine.connect() as connection:  # the stored text, not decrypted
        stored_phone, stored_account = connection.execute(
            select(type_coerce(t.Customer.phone, String), type_coerce(t.Customer.payout_account, String))
            .where(t.Customer.id == ids["C3"])
        ).one()
    assert stored_phone != "13912345678" and pii_keys.decrypt("phone", stored_phone) == "13912345678"
    assert pii_keys.decrypt("payout_account", stored_account) == "6222000011112222333"
    (request,) = change.added("service_request")
    previous = json.loads(request["details"])["previous"]  # kept encrypted like the row
    assert previous["payout_bank"] == "招商银行"
    assert {f: pii_keys.decrypt(f, previous[f]) for f in ("phone", "payout_account")} == {
        "phone": "13800005678", "payout_account": "6225880012345678",
    }
    (event,) = change.added("history_event")
    assert (event["kind"], event["policy_id"], event["amount_fen"]) == ("profile_updated", None, None)
    assert "13912345678" not in event["note"] and "6222000011112222333" not in event["note"]
    assert "payout_account: **** **** 5678 -> **** **** 2333" in event["note"]
    expected = _figures(before)
    expected[Category.HISTORY] = (None, 1)
    assert _figures(after) == expected
    # Money now goes to the new account.
    carol = world.principal()
    rv2 = world.review(carol, "collect_benefit", {"items": [ids["benefit:P-C-END:dividend:2026-10-01"]]})
    assert _lines(rv2)["review.paid_to"] == "中国工商银行 **** **** 2333"


# ---------------------------------------------------------------------- held loans


HELD = {"policy": "P-C-BIG", "amount": "150000", "term_months": 6}


def test_a_loan_above_100000_is_held_not_lent_and_reserves_its_headroom(world):
    ids = world.ids
    result, rv, change, before, after = _run(world, "take_loan", HELD)

    # Paid out on the cooling-off day: 2026-11-22 → 2027-05-22 is 181 days;
    # 150,000.00 × 5% × 181 / 365 = 3,719.178… → 3,719.18
    lines = _lines(rv)
    assert (lines["review.start_date"], lines["review.due_date"]) == ("2026-11-22", "2027-05-22")
    assert (lines["review.interest_to_due"], lines["review.note"]) == ("¥3,719.18", "review.cooling_off")
    assert (result.status, result.release_on, result.decided_at, result.can_cancel) == (
        "under_review", TOMORROW, None, True,
    )
    assert change.tables == {"service_request", "policy", "history_event", "history_head"}  # no policy_loan
    assert _event(change) == [("request_held", ids["P-C-BIG"], 15_000_000)]
    assert after.figure(Category.LOANS_TAKEN) == before.figure(Category.LOANS_TAKEN)
    assert after.figure(Category.REPAYMENT_DUE) == before.figure(Category.REPAYMENT_DUE)

    # 320,000.00 − 150,000.00 reserved = 170,000.00 left to lend meanwhile.
    carol = world.principal()
    with pytest.raises(Rejected) as refused:
        world.review(carol, "take_loan", {**HELD, "amount": "170000.01"})
    assert refused.value.code == "error.loan_above_headroom"
    assert refused.value.params == {"headroom": "¥170,000.00"}
    assert world.review(carol, "take_loan", {**HELD, "amount": "170000"}).held


def test_cancelling_a_held_loan(world):
    held, *_ = _run(world, "take_loan", HELD)
    carol = world.principal()
    cancelled = requests.cancel(carol, held.request_no, now=NOW + timedelta(hours=2), engine=world.engine)

    assert (cancelled.status, cancelled.decided_at, cancelled.can_cancel) == (
        "cancelled", NOW + timedelta(hours=2), False,
    )
    assert [e.kind for e in world.history()] == ["request_held", "request_cancelled"]
    assert world.rows(t.PolicyLoan, t.PolicyLoan.policy_id == world.ids["P-C-BIG"]) == []
    # The reservation is gone: the whole 320,000.00 can be asked for again.
    assert world.review(carol, "take_loan", {**HELD, "amount": "320000"}).amount == D("320000.00")
    assert rejected_code(lambda: requests.cancel(carol, held.request_no, now=NOW, engine=world.engine)) \
        == "error.cannot_cancel"
    assert requests.release_held_loans(TOMORROW, now=NOW + timedelta(days=1), engine=world.engine) == 0
    assert world.chain_is_clean()


def test_releasing_a_held_loan_on_its_day(world):
    ids = world.ids
    held, *_ = _run(world, "take_loan", HELD)
    assert requests.release_held_loans(TODAY, now=NOW, engine=world.engine) == 0  # not before its day

    before = _tables(world)
    assert requests.release_held_loans(TOMORROW, now=NOW + timedelta(days=1), engine=world.engine) == 1
    change = Change(before, _tables(world))

    assert change.tables == {"service_request", "policy_loan", "policy", "history_event", "history_head"}
    (request_key, request_diff), = change.updated("service_request").items()
    assert request_diff == {
        "status": ("under_review", "completed"),
        "decided_at": (None, request_diff["decided_at"][1]),
    }
    (loan,) = change.added("policy_loan")
    assert (loan["loan_no"], loan["policy_id"], loan["principal_fen"], loan["annual_rate_bp"], loan["start_date"],
            loan["due_date"], loan["request_id"]) == (
        f"L{held.request_no}", ids["P-C-BIG"], 15_000_000, 500, TOMORROW, date(2027, 5, 22), request_key[0],
    )
    assert _event(change) == [("loan_taken", ids["P-C-BIG"], 15_000_000)]
    assert requests.release_held_loans(TOMORROW, engine=world.engine) == 0  # released once only
    with session_scope(world.engine) as s:
        (view,) = requests.list_requests(s, world.principal())
    assert (view.request_no, view.status, view.can_cancel) == (held.request_no, "completed", False)
    taken = world.rollup(today=TOMORROW).figure(Category.LOANS_TAKEN)
    assert taken.amount == D("162000.00")  # 12,000.00 before + 150,000.00
    assert world.chain_is_clean()


def test_a_held_loan_is_rejected_if_the_headroom_shrank_by_its_day(world):
    ids = world.ids
    held, *_ = _run(world, "take_loan", HELD)
    # The core system revalues the policy overnight: cash value 150,000.00 → limit 120,000.00.
    with session_scope(world.engine) as s:
        s.execute(update(t.Policy).where(t.Policy.id == ids["P-C-BIG"]).values(cash_value_fen=15_000_000))

    assert requests.release_held_loans(TOMORROW, now=NOW + timedelta(days=1), engine=world.engine) == 1

    (request,) = world.rows(t.ServiceRequest)
    assert (request.status, request.reason_key) == ("rejected", "error.loan_above_headroom")
    assert request.decided_at is not None
    assert world.rows(t.PolicyLoan, t.PolicyLoan.policy_id == ids["P-C-BIG"]) == []
    assert [(e.kind, e.amount_fen) for e in world.history()] == [
        ("request_held", 15_000_000), ("request_rejected", 15_000_000),
    ]
    carol = world.principal()
    assert rejected_code(lambda: requests.cancel(carol, held.request_no, engine=world.engine)) == "error.cannot_cancel"
    with session_scope(world.engine) as s:
        assert requests.get_request(s, carol, held.request_no).reason_key == "error.loan_above_headroom"
    assert world.chain_is_clean()


def test_list_requests_shows_each_request_newest_first(world):
    premium, *_ = _run(world, "pay_premium", {"policies": ["P-C-WL"]})
    held, *_ = _run(world, "take_loan", HELD)
    renew, *_ = _run(world, "auto_renew", {"policy": "P-C-ST", "enable": True}, grant=False)
    with session_scope(world.engine) as s:
        views = requests.list_requests(s, world.principal())
    assert [(v.request_no, v.kind, v.status, v.amount) for v in views] == [
        (renew.request_no, "auto_renew", "completed", None),
        (held.request_no, "take_loan", "under_review", D("150000.00")),
        (premium.request_no, "pay_premium", "completed", D("10000.00")),
    ]


def test_a_manager_gets_customers_only_for_every_action(world):
    manager = world.manager()
    forms = {
        "pay_premium": {"policies": ["P-C-WL"]},
        "take_loan": {"policy": "P-C-WL", "amount": "1000", "term_months": 6},
        "repay_loan": {"loan": "L-C-1", "amount": "100"},
        "collect_benefit": {"items": [world.ids["benefit:P-C-END:dividend:2026-10-01"]]},
        "withdraw": {"policy": "P-C-UL", "amount": "100"},
        "auto_renew": {"policy": "P-C-ST", "enable": True},
        "reinstate": {"policy": "P-C-LAPSED", "health_unchanged": True},
        "update_profile": {"phone": "13900009999"},
    }
    assert set(forms) == set(requests.ACTIONS)
    before = world.dump()
    for kind, form in forms.items():
        assert rejected_code(lambda: world.review(manager, kind, form)) == "error.customers_only", kind
        assert rejected_code(
            lambda: requests.submit(manager, kind, form, requests.new_idempotency_key(), "f" * 64, None, TODAY,
                                    engine=world.engine)
        ) == "error.customers_only", kind
    assert world.dump() == before
