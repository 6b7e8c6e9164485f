"""由查转办 in the real app: from a dashboard figure (or a policy page) to the finished
action and the updated figure, with the review step, the step-up check and the history.

Expected amounts are worked out here from the database with plain SQL and Decimal
arithmetic, never read back from the app.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TODAY
from tests.e2e.expected import expect_dashboard_matches_database
from tests.e2e.helpers import DEMO_PASSWORD, customer_id, fen_of, login, personal, shot, yuan_text

pytestmark = pytest.mark.e2e

LOYAL, SENIOR, FAMILY = "wangjianguo", "lixiulan", "zhangwei"
DAY = date.fromisoformat(TODAY)
WINDOW_END = (DAY + timedelta(days=30)).isoformat()


def figure(page, category: str) -> int:
    locator = page.locator(f"#card-{category} .figure-value")
    expect(locator).to_be_visible()
    return fen_of(locator.inner_text().strip())


def expect_figure(page, category: str, fen: int) -> None:
    """Waits for the fresh figure: the page may first paint the one it showed before."""
    expect(page.locator(f"#card-{category} .figure-value")).to_have_text(yuan_text(fen))


def sign_in(page, username: str) -> None:
    """Logs in and opens the full eleven-category dashboard (a senior's large-text home is
    the simpler one: "全部权益" is the full view)."""
    login(page, username)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    open_dashboard(page)


def open_dashboard(page) -> None:
    page.goto("/dashboard?view=all")
    expect(page.locator("#card-loanable .figure-value")).to_be_visible()


def acknowledge_fraud_warning(page) -> None:
    """A senior's loan starts with the screen-share fraud warning."""
    expect(page.locator("#fraud-warning")).to_be_visible()
    page.locator("#fraud-alone").check()
    page.locator("#fraud-continue").click()


def counts(db, cid: int) -> tuple[int, int, int]:
    one = lambda sql: db.execute(sql, (cid,)).fetchone()[0]  # noqa: E731
    return (
        one("SELECT COUNT(*) FROM service_request WHERE customer_id = ?"),
        one("SELECT COUNT(*) FROM history_event WHERE customer_id = ?"),
        one("SELECT COUNT(*) FROM policy_loan l JOIN policy p ON p.id = l.policy_id WHERE p.policyholder_id = ?"),
    )


def review_then_confirm(page, password: str | None = DEMO_PASSWORD, double_click: bool = True) -> str:
    page.locator("#review-button").click()
    expect(page.locator("#review-lines")).to_be_visible()
    if password is not None:
        page.locator("#password").fill(password)
    if double_click:
        page.locator("#confirm-button").dblclick()
    else:
        page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_be_visible()
    return page.locator("#request-no").inner_text().strip()


def half_up(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def history_kinds(db, request_no: str) -> list[str]:
    return [row[0] for row in db.execute("SELECT kind FROM history_event WHERE note LIKE ?", (f"{request_no}%",))]


def test_pay_the_renewal_premium_due_in_grace(page, db):
    cid = customer_id(db, SENIOR)
    due = db.execute(
        "SELECT SUM(i.amount_fen) FROM premium_installment i JOIN policy p ON p.id = i.policy_id "
        "WHERE p.policyholder_id = ? AND p.status = 'in_force' AND i.paid_date IS NULL AND i.due_date <= ?",
        (cid, WINDOW_END),
    ).fetchone()[0]
    assert due and due > 0
    sign_in(page, SENIOR)
    expect(page.locator("#card-premium_due .figure-value")).to_have_text(yuan_text(due))
    paid_before = figure(page, "premiums_paid")
    requests_before = counts(db, cid)[0]

    page.locator("#act-premium_due").click()
    expect(page.locator("#choice-table")).to_be_visible()
    page.locator("#review-button").click()
    expect(page.locator("#review-lines")).to_contain_text(yuan_text(due))
    expect(page.locator("#review-lines")).to_contain_text("宽限期")  # paying in grace keeps it in force
    shot(page, "action-pay-review")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#confirm-button").dblclick()
    expect(page.locator("#action-done")).to_be_visible()
    request_no = page.locator("#request-no").inner_text().strip()
    assert counts(db, cid)[0] == requests_before + 1  # double click, one request
    assert history_kinds(db, request_no) == ["premium_paid"]

    open_dashboard(page)
    expect_figure(page, "premium_due", 0)
    expect_figure(page, "premiums_paid", paid_before + due)
    expect_dashboard_matches_database(page, db, cid)  # and every figure against the database


def test_take_a_loan_from_the_loanable_figure_double_click_lends_once(page, db):
    cid = customer_id(db, LOYAL)
    sign_in(page, LOYAL)
    loanable_before, taken_before = figure(page, "loanable"), figure(page, "loans_taken")
    requests_before, _, loans_before = counts(db, cid)

    page.locator("#act-loanable").click()
    select = page.locator("#choice-select")
    expect(select).to_be_visible()
    policy_no = select.input_value()
    rate_bp = db.execute(
        "SELECT pr.loan_rate_bp FROM policy p JOIN product pr ON pr.code = p.product_code WHERE p.policy_no = ?",
        (policy_no,),
    ).fetchone()[0]
    page.locator("#amount").fill("1000.00")
    page.locator("#term-months").select_option("3")
    page.locator("#review-button").click()
    lines = page.locator("#review-lines")
    expect(lines).to_be_visible()
    due = date(2027, 2, 21)  # three months after 2026-11-21
    interest = half_up(Decimal(1000) * Decimal(rate_bp) / 10000 * (due - DAY).days / 365)
    expect(lines).to_contain_text("¥1,000.00")
    expect(lines).to_contain_text(due.isoformat())
    expect(lines).to_contain_text(f"¥{interest:,.2f}")
    expect(lines).to_contain_text(f"¥{Decimal(1000) + interest:,.2f}")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#confirm-button").dblclick()
    expect(page.locator("#action-done")).to_be_visible()
    shot(page, "action-loan-done")
    request_no = page.locator("#request-no").inner_text().strip()

    requests_after, _, loans_after = counts(db, cid)
    assert (requests_after, loans_after) == (requests_before + 1, loans_before + 1)
    principal = db.execute(
        "SELECT l.principal_fen FROM policy_loan l JOIN service_request r ON r.id = l.request_id WHERE r.request_no = ?",
        (request_no,),
    ).fetchone()[0]
    assert principal == 100_000
    assert history_kinds(db, request_no) == ["loan_taken"]
    open_dashboard(page)
    expect_figure(page, "loanable", loanable_before - 100_000)
    expect_figure(page, "loans_taken", taken_before + 100_000)
    expect_dashboard_matches_database(page, db, cid)  # and every figure against the database


def test_repay_part_of_a_loan_interest_first(page, db):
    cid = customer_id(db, SENIOR)
    loan_id, principal, rate_bp, start = db.execute(
        "SELECT l.id, l.principal_fen, l.annual_rate_bp, l.start_date FROM policy_loan l JOIN policy p ON p.id = l.policy_id "
        "WHERE p.policyholder_id = ? ORDER BY l.id LIMIT 1",
        (cid,),
    ).fetchone()
    repaid = db.execute("SELECT paid_date, principal_fen, interest_fen FROM loan_repayment WHERE loan_id = ? ORDER BY id", (loan_id,)).fetchall()
    # Walk the loan by hand: simple interest on the outstanding principal between payments.
    outstanding, accrued, since = Decimal(principal) / 100, Decimal(0), date.fromisoformat(start)
    for paid_on, p_fen, i_fen in repaid:
        paid_on = date.fromisoformat(paid_on)
        accrued += outstanding * Decimal(rate_bp) / 10000 * (paid_on - since).days / 365 - Decimal(i_fen) / 100
        outstanding -= Decimal(p_fen) / 100
        since = paid_on
    accrued = half_up(accrued + outstanding * Decimal(rate_bp) / 10000 * (DAY - since).days / 365)
    total_due = outstanding + accrued
    sign_in(page, SENIOR)
    due_before, repaid_before = figure(page, "repayment_due"), figure(page, "loans_repaid")

    page.locator("#act-repayment_due").click()
    expect(page.locator("#amount")).to_have_value(f"{total_due:.2f}")  # pre-filled: everything due
    page.locator("#amount").fill("500")
    page.locator("#review-button").click()
    lines = page.locator("#review-lines")
    interest_part = min(Decimal(500), accrued)
    expect(lines).to_contain_text(f"¥{interest_part:,.2f}")
    expect(lines).to_contain_text(f"¥{Decimal(500) - interest_part:,.2f}")
    expect(lines).to_contain_text(f"¥{total_due - 500:,.2f}")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_be_visible()

    open_dashboard(page)
    expect_figure(page, "repayment_due", due_before - 50_000)
    expect_figure(page, "loans_repaid", repaid_before + 50_000)
    expect_dashboard_matches_database(page, db, cid)  # and every figure against the database


def test_collect_the_uncollected_maturity_money(page, db):
    cid = customer_id(db, SENIOR)
    claimable = db.execute(
        "SELECT SUM(b.amount_fen) FROM benefit_item b JOIN policy p ON p.id = b.policy_id "
        "WHERE p.policyholder_id = ? AND b.paid_date IS NULL AND b.payable_date <= ?",
        (cid, TODAY),
    ).fetchone()[0]
    sign_in(page, SENIOR)
    received_before = figure(page, "benefits_received")
    expect_figure(page, "claimable", claimable)
    page.locator("#act-claimable").click()
    expect(page.locator("#selected-total")).to_contain_text(yuan_text(claimable))
    request_no = review_then_confirm(page)
    assert set(history_kinds(db, request_no)) == {"benefit_paid"}
    open_dashboard(page)
    expect_figure(page, "claimable", 0)
    expect_figure(page, "benefits_received", received_before + claimable)
    expect_dashboard_matches_database(page, db, cid)  # and every figure against the database


def test_partial_withdrawal_shows_the_surrender_charge(page, db):
    cid = customer_id(db, LOYAL)
    sign_in(page, LOYAL)
    value_before = figure(page, "universal_accounts")
    page.locator("#act-universal_accounts").click()
    policy_no = page.locator("#choice-select").input_value()
    start = date.fromisoformat(
        db.execute("SELECT start_date FROM policy WHERE policy_no = ?", (policy_no,)).fetchone()[0]
    )
    year = DAY.year - start.year + (0 if (DAY.month, DAY.day) < (start.month, start.day) else 1)
    rate = {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}.get(year, 0)
    page.locator("#amount").fill("1000")
    page.locator("#review-button").click()
    lines = page.locator("#review-lines")
    expect(lines).to_contain_text(f"{rate}.00%")
    expect(lines).to_contain_text(f"¥{Decimal(1000) - Decimal(10 * rate):,.2f}")  # received after the charge
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_be_visible()
    open_dashboard(page)
    expect_figure(page, "universal_accounts", value_before - 100_000)
    expect_dashboard_matches_database(page, db, cid)  # and every figure against the database
    assert cid


def test_switch_auto_renewal_from_the_policy_page(page, db):
    cid = customer_id(db, FAMILY)
    policy_no, auto_renew, end = db.execute(
        "SELECT p.policy_no, p.auto_renew, p.end_date FROM policy p JOIN product pr ON pr.code = p.product_code "
        "WHERE p.policyholder_id = ? AND pr.short_term AND p.status = 'in_force' AND p.end_date >= ? ORDER BY p.id LIMIT 1",
        (cid, TODAY),
    ).fetchone()
    sign_in(page, FAMILY)
    page.goto(f"/policy/{policy_no}")
    page.locator("#policy-act-auto_renew").click()
    expect(page.locator("#choice-select")).to_have_value(policy_no)
    page.locator("#review-button").click()
    next_term = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    expect(page.locator("#review-lines")).to_contain_text(next_term)
    expect(page.locator("#password")).to_have_count(0)  # no money moves: no step-up
    page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_be_visible()
    assert db.execute("SELECT auto_renew FROM policy WHERE policy_no = ?", (policy_no,)).fetchone()[0] == (0 if auto_renew else 1)
    page.goto(f"/policy/{policy_no}")
    expect(page.locator("#auto-renew-setting")).to_contain_text("否" if auto_renew else "是")
    expect(page.locator("#auto-renew-setting")).to_contain_text(next_term)


def test_reinstate_a_lapsed_policy_with_back_premiums_and_interest(page, db):
    cid = customer_id(db, SENIOR)
    policy_id, policy_no = db.execute(
        "SELECT id, policy_no FROM policy WHERE policyholder_id = ? AND status = 'lapsed' ORDER BY id LIMIT 1", (cid,)
    ).fetchone()
    unpaid = db.execute(
        "SELECT due_date, amount_fen FROM premium_installment WHERE policy_id = ? AND paid_date IS NULL AND due_date <= ?",
        (policy_id, TODAY),
    ).fetchall()
    assert unpaid, "the demo's lapsed policy has a missed premium"
    premiums = sum(Decimal(fen) / 100 for _, fen in unpaid)
    interest = sum(
        half_up(Decimal(fen) / 100 * Decimal("0.05") * (DAY - date.fromisoformat(due)).days / 365) for due, fen in unpaid
    )
    sign_in(page, SENIOR)
    page.goto(f"/policy/{policy_no}")
    page.locator("#policy-act-reinstate").click()
    page.locator("#review-button").click()
    expect(page.locator("#action-error")).to_contain_text("健康告知")  # must answer first
    page.locator("#health-unchanged").click()
    expect(page.locator("#health-unchanged")).to_be_checked()
    page.locator("#review-button").click()
    lines = page.locator("#review-lines")
    expect(lines).to_contain_text(f"¥{interest:,.2f}")
    expect(lines).to_contain_text(f"¥{premiums + interest:,.2f}")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_be_visible()
    assert db.execute("SELECT status FROM policy WHERE id = ?", (policy_id,)).fetchone()[0] == "in_force"
    page.goto(f"/policy/{policy_no}")
    expect(page.locator("#policy-particulars")).to_contain_text("有效")


def test_update_phone_after_re_authentication_keeps_the_old_one_in_history(page, db):
    cid = customer_id(db, FAMILY)
    old_phone = personal(db, cid, "phone")
    sign_in(page, FAMILY)
    page.get_by_role("link", name="我的资料").click()
    expect(page.locator("#verify-form")).to_be_visible()
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#verify-button").click()
    page.locator("#phone").fill("12345")
    page.locator("#review-button").click()
    expect(page.locator("#action-error")).to_have_text("请输入 11 位手机号码。")
    assert personal(db, cid, "phone") == old_phone
    page.locator("#phone").fill("139 0000 1234")
    page.locator("#review-button").click()
    expect(page.locator("#review-lines")).to_contain_text(f"{old_phone[:3]}****{old_phone[-4:]} → 139****1234")
    page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_be_visible()
    assert personal(db, cid, "phone") == "13900001234"
    note = db.execute(
        "SELECT note FROM history_event WHERE customer_id = ? AND kind = 'profile_updated' ORDER BY id DESC LIMIT 1", (cid,)
    ).fetchone()[0]
    assert f"{old_phone[:3]}****{old_phone[-4:]}" in note and old_phone not in note
    open_dashboard(page)
    expect(page.locator("#customer-identity")).to_contain_text("139****1234")


@pytest.mark.parametrize(
    "typed, message",
    [
        ("-5", "金额不能是负数。"),
        ("0", "金额必须大于 0。"),
        ("abc", "金额只能是数字，例如 1000 或 1000.50。"),
        ("12.345", "金额最多两位小数（精确到分）。"),
        ("100", "借款金额不能低于 ¥500.00。"),
        ("99999999", "借款金额不能超过当前可借额度"),
    ],
)
def test_bad_loan_amounts_get_a_clear_message_and_change_nothing(page, db, typed, message):
    cid = customer_id(db, LOYAL)
    before = counts(db, cid)
    sign_in(page, LOYAL)
    page.goto("/act/take_loan")
    page.locator("#amount").fill(typed)
    page.locator("#review-button").click()
    expect(page.locator("#action-error")).to_contain_text(message)
    expect(page.locator("#review-lines")).to_have_count(0)
    assert counts(db, cid) == before


def test_messages_follow_the_language(page, db):
    sign_in(page, LOYAL)
    page.locator("#language-switch").click()
    expect(page.locator("#language-switch")).to_have_text("中文")
    page.goto("/act/take_loan")
    page.locator("#amount").fill("1.234")
    page.locator("#review-button").click()
    expect(page.locator("#action-error")).to_have_text("At most two decimals (to the fen).")
    page.locator("#language-switch").click()
    expect(page.locator("#action-error")).to_have_text("金额最多两位小数（精确到分）。")


def test_wrong_step_up_password_is_refused_and_nothing_happens(page, db):
    cid = customer_id(db, LOYAL)
    sign_in(page, LOYAL)
    page.goto("/act/take_loan")
    page.locator("#amount").fill("600")
    page.locator("#review-button").click()
    before = counts(db, cid)
    page.locator("#password").fill("not-my-password")
    page.locator("#confirm-button").click()
    expect(page.locator("#action-error")).to_have_text("密码不正确，身份验证未通过。")
    assert counts(db, cid) == before


def test_a_large_loan_waits_for_its_cooling_off_and_can_be_cancelled(page, db):
    cid = customer_id(db, SENIOR)
    sign_in(page, SENIOR)
    loanable_before = figure(page, "loanable")
    page.locator("#act-loanable").click()
    acknowledge_fraud_warning(page)
    select = page.locator("#choice-select")
    expect(select).to_be_visible()
    page.locator("#amount").fill("100000.01")
    page.locator("#review-button").click()
    expect(page.locator("#review-lines")).to_contain_text("冷静期")
    expect(page.locator("#review-lines")).to_contain_text((DAY + timedelta(days=1)).isoformat())  # paid out tomorrow
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_contain_text("冷静期")
    request_no = page.locator("#request-no").inner_text().strip()
    assert db.execute("SELECT status FROM service_request WHERE request_no = ?", (request_no,)).fetchone()[0] == "under_review"
    assert db.execute("SELECT COUNT(*) FROM policy_loan WHERE request_id = (SELECT id FROM service_request WHERE request_no = ?)", (request_no,)).fetchone()[0] == 0

    page.get_by_role("link", name="查看我的申请").click()
    row = page.locator("#request-table tr", has_text=request_no)
    expect(row).to_contain_text("审核中")
    shot(page, "action-held-loan")
    page.locator(f"#cancel-{request_no}").click()
    expect(row).to_contain_text("已撤销")
    assert db.execute("SELECT status FROM service_request WHERE request_no = ?", (request_no,)).fetchone()[0] == "cancelled"
    assert history_kinds(db, request_no) == ["request_held", "request_cancelled"]
    open_dashboard(page)
    expect_figure(page, "loanable", loanable_before)
    expect_dashboard_matches_database(page, db, cid)  # and every figure against the database
    assert cid


def test_another_customers_policy_in_the_url_offers_nothing(page, db):
    others = db.execute(
        "SELECT policy_no FROM policy WHERE policyholder_id = ? AND status = 'in_force' LIMIT 1", (customer_id(db, LOYAL),)
    ).fetchone()[0]
    sign_in(page, FAMILY)
    page.goto(f"/act/take_loan?policy={others}")
    expect(page.locator("#action-intro")).to_be_visible()
    assert others not in page.content()
    assert re.search(r"/act/take_loan", page.url)


def test_back_on_the_dashboard_after_an_action_the_old_money_never_shows(page, db):
    """Returning by the done page's link (a client-side navigation, the case where the
    old figures used to show for 240-350 ms): every text the loans figure ever shows is
    recorded, and the figure from before the loan is not among them."""
    cid = customer_id(db, LOYAL)
    sign_in(page, LOYAL)
    taken_before = page.locator("#card-loans_taken .figure-value").inner_text().strip()
    page.locator("#act-loanable").click()
    expect(page.locator("#choice-select")).to_be_visible()
    page.locator("#amount").fill("1000.00")
    page.locator("#term-months").select_option("3")
    review_then_confirm(page)
    page.evaluate(
        """() => {
            window.__seen = [];
            const note = () => {
                const figure = document.querySelector('#card-loans_taken .figure-value');
                if (figure) window.__seen.push(figure.textContent.trim());
            };
            new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
        }"""
    )
    page.locator("#done-dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#card-loans_taken .figure-value")).to_be_visible()
    expect_dashboard_matches_database(page, db, cid)
    seen = page.evaluate("window.__seen")
    assert seen and taken_before not in seen, seen
