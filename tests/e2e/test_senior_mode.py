"""Senior mode (大字版) in the real app: the switch on every page, large text measured in
the browser, the simpler home, no horizontal scroll at 320 px, axe-core in both modes and
languages, the choice following the account, and the loan fraud guard."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DEMO_PASSWORD, login, shot
from tests.e2e.test_accessibility import audit

pytestmark = pytest.mark.e2e

SENIOR = "lixiulan"

# Every element in <main> that shows text of its own: its font size and line height.
TEXT_METRICS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const cs = getComputedStyle(el);
    const size = parseFloat(cs.fontSize);
    const line = cs.lineHeight === 'normal' ? 0 : parseFloat(cs.lineHeight);
    out.push({text: el.textContent.trim().slice(0, 30), size, ratio: line / size});
  }
  return out;
}"""

TARGETS = """(selector) => [...document.querySelectorAll(selector)].map(el =>
  // a radio or checkbox inside its label: the label is what one taps
  (el.type === 'radio' || el.type === 'checkbox') && el.closest('label') ? el.closest('label') : el
).filter(el => {
  const b = el.getBoundingClientRect(); return b.width > 0 && b.height > 0;
}).map(el => { const b = el.getBoundingClientRect();
  return {id: el.id || el.textContent.trim().slice(0, 20), w: Math.round(b.width), h: Math.round(b.height)}; })"""


def fresh_senior(db) -> None:
    """As if 李秀兰 had never chosen: her first login switches large text on."""
    db.execute("UPDATE user_account SET large_text = NULL WHERE username = ?", (SENIOR,))
    db.commit()


def check_large_text(page, name: str) -> None:
    page.wait_for_timeout(300)
    metrics = page.evaluate(TEXT_METRICS)
    assert metrics, name
    small = [m for m in metrics if m["size"] < 24]
    tight = [m for m in metrics if m["ratio"] < 1.49]
    assert not small, f"{name}: text under 24px: {small[:5]}"
    assert not tight, f"{name}: line height under 1.5: {tight[:5]}"
    buttons = page.evaluate(TARGETS, "main .rt-Button, main .main-action")
    assert all(t["w"] >= 60 and t["h"] >= 60 for t in buttons), f"{name}: main actions under 60px: {buttons}"
    others = page.evaluate(TARGETS, "a, button, input, select, [role=radio], [role=checkbox]")
    assert all(t["w"] >= 44 and t["h"] >= 44 for t in others), f"{name}: targets under 44px: {[t for t in others if t['w'] < 44 or t['h'] < 44]}"


def no_horizontal_scroll(page, name: str) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: content {width[0]}px wide in a {width[1]}px window"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_senior_gets_large_text_and_a_simpler_home(page, db, language):
    fresh_senior(db)
    page.goto("/login")
    switch = page.locator("#large-text-switch")
    expect(switch).to_have_attribute("aria-pressed", "false")
    if language == "en":
        page.locator("#language-switch").click()
        expect(switch).to_have_accessible_name(re.compile("Large text"))
    else:
        expect(switch).to_have_accessible_name(re.compile("大字版"))
    login(page, SENIOR)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#large-text-notice")).to_be_visible()  # said once, with the way back
    expect(page.locator("#large-text-switch")).to_have_attribute("aria-pressed", "true")
    for tile in ("collect", "pay", "policies", "borrow", "person", "guides"):
        expect(page.locator(f"#tile-{tile}")).to_be_visible()
    expect(page.locator("#tile-person")).to_have_attribute("href", "/contact")
    check_large_text(page, f"home-{language}")
    audit(page, f"large-home-{language}")
    page.locator("#all-benefits").click()
    expect(page.locator("#card-overview")).to_be_visible()
    check_large_text(page, f"all-benefits-{language}")
    audit(page, f"large-dashboard-{language}")
    for path, ready in (("/policies", "#policy-table"), ("/requests", "main h1"), ("/act/pay_premium", "#action-intro")):
        page.goto(path)
        expect(page.locator(ready)).to_be_visible()
        check_large_text(page, f"{path}-{language}")
        audit(page, f"large-{path.strip('/').replace('/', '-')}-{language}")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/dashboard")
    expect(page.locator("#tile-collect")).to_be_visible()
    shot(page, f"large-home-390-{language}")


@pytest.mark.render_audit
def test_no_page_scrolls_sideways_at_320px_in_either_mode(page, db):
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto("/login")
    expect(page.locator("#login-submit")).to_be_visible()
    no_horizontal_scroll(page, "login")
    login(page, SENIOR)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    policy_no = db.execute(
        "SELECT p.policy_no FROM policy p JOIN user_account u ON u.customer_id = p.policyholder_id "
        "WHERE u.username = ? ORDER BY p.id LIMIT 1", (SENIOR,)).fetchone()[0]
    for mode in ("large", "normal"):
        for path, ready in (("/dashboard", "main"), ("/dashboard?view=all", "#card-overview"), ("/policies", "#policy-count"),
                            (f"/policy/{policy_no}", "#policy-particulars"), ("/requests", "main"), ("/contact", "main"),
                            ("/guides/take_loan", "main h2"), ("/act/take_loan", "#action-intro")):
            page.goto(path)
            expect(page.locator(ready).first).to_be_visible()
            expect(page.locator("#user-name")).not_to_have_text("")  # the page's state has arrived
            no_horizontal_scroll(page, f"{mode} {path}")
        shot(page, f"320-{mode}-loan")
        page.locator("#large-text-switch").click()  # the other mode
        expect(page.locator("#large-text-switch")).to_have_attribute("aria-pressed", "false" if mode == "large" else "true")


def test_the_choice_follows_the_customer_to_another_browser(browser, portal_server):
    first = browser.new_context(base_url=portal_server["url"])
    page = first.new_page()
    login(page, "zhangwei")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.locator("#large-text-switch").click()
    expect(page.locator("#large-text-switch")).to_have_attribute("aria-pressed", "true")
    first.close()
    second = browser.new_context(base_url=portal_server["url"])
    page = second.new_page()
    login(page, "zhangwei")
    expect(page.locator("#large-text-switch")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".large-text").first).to_be_visible()
    page.locator("#large-text-switch").click()  # back to normal for the other tests
    expect(page.locator("#large-text-switch")).to_have_attribute("aria-pressed", "false")
    second.close()


def visible_text(page) -> str:
    return page.locator("main").inner_text()


def test_the_loan_fraud_guard(page, db):
    login(page, SENIOR)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.goto("/act/take_loan")
    expect(page.locator("#fraud-warning")).to_be_visible()
    expect(page.locator("#amount")).to_have_count(0)  # no form before the acknowledgement
    expect(page.locator("#fraud-guide")).to_have_attribute("href", "/guides/spot_scam")
    audit(page, "fraud-warning")
    page.locator("#fraud-continue").click()  # not ticked: the browser and the server refuse
    expect(page.locator("#amount")).to_have_count(0)
    page.locator("#fraud-alone").check()
    page.locator("#fraud-continue").click()
    expect(page.locator("#amount")).to_be_visible()
    headroom = re.search(r"¥[\d,]+\.\d\d", page.locator("#choice-select").inner_text()).group(0)
    assert headroom in visible_text(page)
    watermark = page.locator("#fraud-watermark")
    assert "*" in watermark.get_attribute("data-who")
    page.wait_for_timeout(1200)
    assert "data:image/svg+xml" in page.evaluate("getComputedStyle(document.getElementById('fraud-watermark')).backgroundImage")
    covers = {
        "blur": "window.dispatchEvent(new Event('blur'))",
        "visibilitychange": "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
                            "document.dispatchEvent(new Event('visibilitychange'));"
                            "Object.defineProperty(document, 'hidden', {value: false, configurable: true});",
        "beforeprint": "window.dispatchEvent(new Event('beforeprint'))",
    }
    for name, script in covers.items():
        page.evaluate(script)
        expect(page.locator("#fraud-cover")).to_be_visible()
        assert headroom not in visible_text(page), name
        shot(page, f"fraud-covered-{name}")
        page.locator("#fraud-uncover").click()
        expect(page.locator("#amount")).to_be_visible()
        assert headroom in visible_text(page)
    page.keyboard.press("PrintScreen")
    expect(page.locator("#fraud-cover")).to_be_visible()
    assert headroom not in visible_text(page)
    page.locator("#fraud-uncover").click()
    page.emulate_media(media="print")
    assert not page.locator("#amount").is_visible()
    page.emulate_media(media="screen")
    # Large text: picked rather than typed — an amount and the months as buttons.
    page.locator("#amount-picks button").first.click()
    expect(page.locator("#amount")).to_have_value("1000.00")
    page.locator("label[for=term-3]").click()
    check_large_text(page, "loan-form")
    audit(page, "large-loan-form")
    page.locator("#review-button").click()
    expect(page.locator("#review-lines")).to_contain_text("防诈骗提示已确认")
    expect(page.locator("#review-lines")).to_contain_text("¥1,000.00")
    expect(page.locator("#review-lines")).to_contain_text("3")
    audit(page, "fraud-review")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_be_visible()
    request_no = page.locator("#request-no").inner_text().strip()
    details = db.execute("SELECT details FROM service_request WHERE request_no = ?", (request_no,)).fetchone()[0]
    assert '"fraud_ack"' in details and "fraud-warning-v1" in details


def test_the_timeout_warning_gives_time_and_stay_signed_in_keeps_the_session(page, db):
    login(page, "zhangwei")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    # This session now ends 100 s after it began (the warning comes 120 s before the end).
    session_id, issued = db.execute(
        "SELECT id, issued_at FROM auth_session WHERE id = (SELECT MAX(id) FROM auth_session)"
    ).fetchone()
    ends = datetime.fromisoformat(issued) + timedelta(seconds=100)
    db.execute("UPDATE auth_session SET expires_at = ? WHERE id = ?", (ends.strftime("%Y-%m-%d %H:%M:%S.%f"), session_id))
    db.commit()
    page.reload()
    warning = page.locator("#timeout-warning")
    expect(warning).to_be_visible(timeout=15_000)
    expect(warning).to_have_attribute("role", "alertdialog")
    assert 20 <= int(page.locator("#timeout-seconds").inner_text()) <= 100  # time to respond
    expect(page.locator("#stay-signed-in")).to_be_focused()
    shot(page, "timeout-warning-zh")
    page.keyboard.press("Enter")
    expect(warning).to_be_hidden()
    issued, expires = db.execute("SELECT issued_at, expires_at FROM auth_session WHERE id = (SELECT MAX(id) FROM auth_session)").fetchone()
    lasts = datetime.fromisoformat(expires) - datetime.fromisoformat(issued)
    assert lasts.total_seconds() > 55 * 60  # a full lifetime from now
    page.reload()
    expect(page.locator("#card-overview")).to_be_visible()  # still signed in
    expect(warning).to_be_hidden()


def focus_until(page, element_id: str, limit: int = 250) -> None:
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), f"no visible focus on #{element_id}"
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the keyboard focus")


def test_keyboard_only_login_then_pay_a_premium(page, db):
    page.goto("/login")
    expect(page.locator("#login-submit")).to_be_visible()
    focus_until(page, "username")
    page.keyboard.type("wangjianguo")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#act-premium_due")).to_be_visible()
    focus_until(page, "act-premium_due")
    page.keyboard.press("Enter")
    expect(page.locator("#review-button")).to_be_visible()
    focus_until(page, "review-button")
    page.keyboard.press("Enter")
    expect(page.locator("#review-lines")).to_be_visible()
    focus_until(page, "password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#action-done")).to_be_visible()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_senior_asks_for_a_call_back_from_the_large_home(page, db, language):
    db.execute("UPDATE callback_request SET status = 'cancelled', open_for = NULL")
    db.commit()
    page.goto("/login")
    if language == "en":
        page.locator("#language-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    login(page, SENIOR)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.goto("/dashboard")
    expect(page.locator("#user-name")).not_to_have_text("")
    if page.locator("#large-text-switch").get_attribute("aria-pressed") == "false":
        page.locator("#large-text-switch").click()
    page.locator("#tile-person").click()
    expect(page).to_have_url(re.compile(r"/contact/?$"))
    expect(page.locator("#call-manager")).to_have_attribute("href", re.compile(r"^tel:\d+"))
    audit(page, f"large-contact-{language}")
    check_large_text(page, f"contact-{language}")
    first_slot = page.locator("#callback-form input[type=radio]").first
    first_slot.click()  # a controlled radio: checked once the server has the choice
    expect(first_slot).to_be_checked()
    page.locator("#callback-submit").click()
    expect(page.locator("#callback-pending")).to_be_visible()
    audit(page, f"large-contact-pending-{language}")
    shot(page, f"large-contact-pending-{language}")
    manager = db.execute(
        "SELECT u.username FROM user_account u JOIN manager_assignment a ON a.manager_id = u.manager_id "
        "JOIN user_account c ON c.customer_id = a.customer_id WHERE c.username = ?", (SENIOR,)
    ).fetchone()[0]
    day = db.execute("SELECT slot_date FROM callback_request WHERE status = 'pending'").fetchone()[0]
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    login(page, manager)
    expect(page).to_have_url(re.compile(r"/clients/?$"))
    expect(page.locator("#client-table")).to_contain_text(day)
