"""Every dashboard figure worked out independently from the database: plain SQL for the
rows, exact fractions for the arithmetic, no portal code. The rules are the README's
("How the figures are worked out"); tests compare the page with these numbers.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from playwright.sync_api import expect

from tests.e2e.conftest import TODAY
from tests.e2e.helpers import yuan_text

DAY = date.fromisoformat(TODAY)
WINDOW_END = DAY + timedelta(days=30)
MONEY_CATEGORIES = (
    "premiums_paid", "benefits_received", "loans_taken", "loans_repaid", "premium_due",
    "claimable", "loanable", "repayment_due", "universal_accounts",
)


def _half_up(value: Fraction) -> int:
    """Fen, rounded half-up (values here are never negative)."""
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def _loan_due(db, loan_id: int, principal: int, rate_bp: int, start: date) -> int:
    """Principal outstanding + simple interest (actual/365) accrued to today, each stretch
    on the principal outstanding then; interest paid is taken off what has accrued."""
    if start > DAY:
        return 0
    accrued, segment = Fraction(0), start
    rows = db.execute(
        "SELECT paid_date, principal_fen, interest_fen FROM loan_repayment WHERE loan_id = ? AND paid_date <= ? "
        "ORDER BY paid_date, id", (loan_id, TODAY),
    ).fetchall()
    for paid_date, principal_part, interest_part in rows:
        paid = date.fromisoformat(paid_date)
        accrued += Fraction(principal * rate_bp * (paid - segment).days, 10000 * 365)
        accrued -= interest_part
        principal -= principal_part
        segment = paid
    accrued += Fraction(principal * rate_bp * (DAY - segment).days, 10000 * 365)
    return principal + max(_half_up(accrued), 0)


def expected_figures(db, cid: int) -> dict[str, int]:
    """Category → fen (money) or count (overview, history)."""
    params = {"cid": cid, "today": TODAY, "window": WINDOW_END.isoformat()}
    owned = "policy_id IN (SELECT id FROM policy WHERE policyholder_id = :cid)"

    def one(sql: str) -> int:
        return db.execute(sql, params).fetchone()[0] or 0

    loans = db.execute(
        f"SELECT id, policy_id, principal_fen, annual_rate_bp, start_date FROM policy_loan WHERE {owned}", params
    ).fetchall()
    owed_by_policy: dict[int, int] = {}
    repayment_due = 0
    for loan_id, policy_id, principal, rate_bp, start in loans:
        due = _loan_due(db, loan_id, principal, rate_bp, date.fromisoformat(start))
        repayment_due += due
        owed_by_policy[policy_id] = owed_by_policy.get(policy_id, 0) + due
    lenders = db.execute(
        "SELECT p.id, p.cash_value_fen FROM policy p JOIN product pr ON pr.code = p.product_code "
        "WHERE p.policyholder_id = :cid AND p.status = 'in_force' AND p.line = 'life' AND pr.loan_allowed "
        "AND p.cash_value_fen > 0", params,
    ).fetchall()
    loanable = sum(max(cash * 80 // 100 - owed_by_policy.get(pid, 0), 0) for pid, cash in lenders)
    return {
        "overview": one("SELECT COUNT(*) FROM policy WHERE policyholder_id = :cid"),
        "history": one("SELECT COUNT(*) FROM history_event WHERE customer_id = :cid"),
        "premiums_paid": one(f"SELECT SUM(amount_fen) FROM premium_installment WHERE {owned} AND paid_date <= :today"),
        "benefits_received": one(f"SELECT SUM(amount_fen) FROM benefit_item WHERE {owned} AND paid_date <= :today"),
        "loans_taken": one(f"SELECT SUM(principal_fen) FROM policy_loan WHERE {owned} AND start_date <= :today"),
        "loans_repaid": one(
            f"SELECT SUM(r.principal_fen + r.interest_fen) FROM loan_repayment r JOIN policy_loan l ON l.id = r.loan_id "
            f"WHERE l.{owned} AND r.paid_date <= :today"
        ),
        "premium_due": one(
            "SELECT SUM(i.amount_fen) FROM premium_installment i JOIN policy p ON p.id = i.policy_id "
            "WHERE p.policyholder_id = :cid AND p.status = 'in_force' AND i.due_date <= :window "
            "AND (i.paid_date IS NULL OR i.paid_date > :today)"
        ),
        "claimable": one(
            f"SELECT SUM(amount_fen) FROM benefit_item WHERE {owned} AND payable_date <= :today "
            "AND (paid_date IS NULL OR paid_date > :today)"
        ),
        "loanable": loanable,
        "repayment_due": repayment_due,
        "universal_accounts": one(
            f"SELECT SUM(m.amount_fen) FROM account_movement m JOIN universal_account a ON a.id = m.account_id "
            f"WHERE a.{owned} AND m.occurred_on <= :today"
        ),
    }


def expect_dashboard_matches_database(page, db, cid: int) -> dict[str, int]:
    """Every figure card on the dashboard equals the independently computed figure."""
    expected = expected_figures(db, cid)
    for category in MONEY_CATEGORIES:
        expect(page.locator(f"#card-{category} .figure-value"), category).to_have_text(yuan_text(expected[category]))
    for category in ("overview", "history"):
        expect(page.locator(f"#card-{category} .figure-value"), category).to_have_text(str(expected[category]))
    return expected
