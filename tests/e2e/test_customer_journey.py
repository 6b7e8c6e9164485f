"""A customer's journey in the real app: log in, read the figures, drill down, query
policies, switch language, log out, and fail to reach someone else's data."""

from __future__ import annotations

import re
import pytest
from playwright.sync_api import expect

from tests.e2e.expected import MONEY_CATEGORIES, expect_dashboard_matches_database
from tests.e2e.helpers import customer_id, fen_of, login, personal, shot, yuan_text

pytestmark = pytest.mark.e2e

LOYAL = "wangjianguo"
SENIOR = "lixiulan"
def card_value(page, category: str) -> str:
    return page.locator(f"#card-{category} .figure-value").inner_text().strip()


def test_loyal_customer_sees_eleven_categories_matching_the_records(page, db):
    login(page, LOYAL)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#card-overview .figure-value")).to_have_text("157")
    # All ten money figures and both counts, each against the database (tests/e2e/expected.py).
    expected = expect_dashboard_matches_database(page, db, customer_id(db, LOYAL))
    assert expected["overview"] == 157
    assert all(expected[c] > 0 for c in MONEY_CATEGORIES), expected  # no figure is checked as a trivial zero
    id_number, phone = (personal(db, customer_id(db, LOYAL), column) for column in ("id_number", "phone"))
    identity = page.locator("#customer-identity").inner_text()
    assert "*" * 14 + id_number[-4:] in identity and id_number not in identity
    assert phone[:3] + "****" + phone[-4:] in identity and phone not in identity
    expect(page.locator("#count-status-in_force")).to_have_text("有效 109")
    terminated = page.locator("#count-status-terminated").inner_text().split()[-1]
    matured = page.locator("#count-status-matured").inner_text().split()[-1]
    assert int(terminated) + int(matured) == 48
    # The seed-002 customer can borrow over ¥400,000 against their policies.
    assert expected["loanable"] > 400_000_00
    # Money is due and to collect this month: the reminders say so.
    assert int(page.locator("#reminder-renewal_due .rt-Badge").inner_text()) > 0
    assert int(page.locator("#reminder-money_to_collect .rt-Badge").inner_text()) > 0
    shot(page, "dashboard-zh")


def test_category_records_add_up_to_the_figure(page, db):
    login(page, LOYAL)
    figure = card_value(page, "claimable")
    page.locator("#card-claimable").click()
    expect(page).to_have_url(re.compile(r"/category/claimable/?$"))
    expect(page.locator("#category-figure")).to_have_text(figure)
    # The browser holds one page of rows; every page together adds up to the figure.
    amounts = []
    while True:
        expect(page.locator("#category-table tbody tr").first).to_be_visible()
        amounts += page.locator("#category-table tbody tr td:nth-child(4)").all_inner_texts()
        following = page.locator("#category-pager-next")
        if following.count() == 0 or following.is_disabled():
            break
        status = page.locator("#category-pager-status").inner_text()
        following.click()
        expect(page.locator("#category-pager-status")).not_to_have_text(status)
    assert amounts, "the claimable category lists its records"
    assert sum(fen_of(a) for a in amounts) == fen_of(figure)
    expect(page.locator("#category-total")).to_have_text(figure)
    shot(page, "category-claimable-zh")


def test_unified_query_switches_lines_and_filters_status(page, db):
    cid = customer_id(db, LOYAL)
    count = lambda where: db.execute(f"SELECT COUNT(*) FROM policy WHERE policyholder_id = ? {where}", (cid,)).fetchone()[0]
    login(page, LOYAL)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.goto("/policies")
    expect(page.locator("#policy-count")).to_have_text("157")
    page.get_by_role("radio", name="产险").click()
    expect(page.locator("#policy-count")).to_have_text(str(count("AND line = 'property'")))
    page.get_by_role("radio", name="寿险").click()
    expect(page.locator("#policy-count")).to_have_text(str(count("AND line = 'life'")))
    page.get_by_role("radio", name="全部").click()
    page.locator("#status-filter").select_option("in_force")
    expect(page.locator("#policy-count")).to_have_text("109")
    page.locator("#status-filter").select_option("matured")
    expect(page.locator("#policy-count")).to_have_text(str(count("AND status = 'matured'")))
    shot(page, "policies-matured-zh")


def test_policy_detail_shows_its_particulars(page, db):
    cid = customer_id(db, LOYAL)
    policy_no, insured, premium_fen = db.execute(
        "SELECT policy_no, insured_name, premium_fen FROM policy WHERE policyholder_id = ? AND status = 'in_force' "
        "ORDER BY start_date DESC, id DESC LIMIT 1",
        (cid,),
    ).fetchone()
    login(page, LOYAL)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.goto("/policies")
    page.locator("#status-filter").select_option("in_force")
    expect(page.locator("#policy-count")).to_have_text("109")
    # Twenty rows a page, oldest first: the newest policy is on the last page.
    while page.get_by_role("link", name=policy_no, exact=True).count() == 0:
        status = page.locator("#policy-pager-status").inner_text()
        page.locator("#policy-pager-next").click()
        expect(page.locator("#policy-pager-status")).not_to_have_text(status)
    page.get_by_role("link", name=policy_no, exact=True).click()
    expect(page).to_have_url(re.compile(f"/policy/{policy_no}/?$"))
    particulars = page.locator("#policy-particulars")
    expect(particulars).to_contain_text(policy_no)
    expect(particulars).to_contain_text(insured)
    expect(particulars).to_contain_text(yuan_text(premium_fen))
    expect(particulars).to_contain_text("有效")
    for label in ("险种名称", "保险期间", "基本保额", "交费方式", "交费期", "投保人", "受益人"):
        expect(particulars).to_contain_text(label)
    shot(page, "policy-detail-zh")


def test_language_switch_is_remembered_across_pages_and_reloads(page):
    login(page, LOYAL)
    expect(page.get_by_role("heading", name="我的保单权益")).to_be_visible()
    page.locator("#language-switch").click()
    expect(page.get_by_role("heading", name="My policy benefits")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "dashboard-en")
    page.goto("/policies")
    expect(page.get_by_role("heading", name="My policies")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="My policies")).to_be_visible()
    shot(page, "policies-en")
    page.locator("#language-switch").click()
    expect(page.get_by_role("heading", name="我的保单")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_logout_shuts_every_page(page):
    login(page, LOYAL)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login/?(\?.*)?$"))
    expect(page.get_by_text("您已安全退出。")).to_be_visible()
    for path in ("/dashboard", "/policies", "/category/claimable"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/login/?(\?.*)?$"))
    expect(page.locator("#card-overview")).to_have_count(0)


def test_visitor_is_sent_to_login(page):
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?(\?.*)?$"))
    expect(page.get_by_text("登录已过期或已退出，请重新登录。")).to_be_visible()


def test_another_customers_policy_url_shows_nothing(page, db):
    others_policy = db.execute(
        "SELECT policy_no FROM policy WHERE policyholder_id = ? LIMIT 1", (customer_id(db, LOYAL),)
    ).fetchone()[0]
    login(page, SENIOR)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.goto(f"/policy/{others_policy}")
    expect(page.locator("#policy-not-found")).to_be_visible()
    expect(page.locator("#policy-particulars")).to_have_count(0)
    expect(page.get_by_text(others_policy)).to_have_count(0)
    shot(page, "policy-not-found-zh")


def test_wrong_password_gets_a_clear_message(page):
    login(page, SENIOR, password="wrong-password")
    expect(page.locator("#login-error")).to_contain_text("用户名或密码不正确")
    expect(page).to_have_url(re.compile(r"/login/?(\?.*)?$"))
    shot(page, "login-error-zh")
