"""axe-core audits (WCAG 2.0–2.2 A/AA, target size included) of every page, both languages."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.helpers import customer_id, login, shot

pytestmark = pytest.mark.e2e

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}


# Large-text mode promises more: body text at 7:1 (WCAG AAA), which axe checks too.
LARGE_AXE_OPTIONS = {**AXE_OPTIONS, "rules": {**AXE_OPTIONS["rules"], "color-contrast-enhanced": {"enabled": True}}}


def audit(page, name: str) -> None:
    page.wait_for_timeout(300)  # let the theme finish painting before contrast checks
    large = page.evaluate("!!document.querySelector('.large-text')")
    results = Axe().run(page, options=LARGE_AXE_OPTIONS if large else AXE_OPTIONS)
    shot(page, f"a11y-{name}")
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def pages_to_audit(db):
    policy_no = db.execute(
        "SELECT p.policy_no FROM policy p JOIN policy_loan l ON l.policy_id = p.id "
        "WHERE p.policyholder_id = ? LIMIT 1",
        (customer_id(db, "wangjianguo"),),
    ).fetchone()[0]
    return [
        ("dashboard", "/dashboard", "#card-overview"),
        ("category", "/category/repayment_due", "#category-table"),
        ("history", "/category/history", "#category-table"),
        ("policies", "/policies", "#policy-table"),
        ("policy", f"/policy/{policy_no}", "#policy-particulars"),
    ]


def switch_on_large_text(page) -> None:
    """Large text chosen on the login page (the browser remembers it)."""
    page.locator("#large-text-switch").click()
    expect(page.locator("#large-text-switch")).to_have_attribute("aria-pressed", "true")


@pytest.mark.render_audit
@pytest.mark.parametrize("mode", ["normal", "large"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_customer_page_passes_axe(page, db, language, mode):
    page.goto("/login")
    expect(page.locator("#login-submit")).to_be_visible()
    if language == "en":
        page.locator("#language-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    if mode == "large":
        switch_on_large_text(page)
    audit(page, f"login-{language}-{mode}")
    login(page, "wangjianguo")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    pages = pages_to_audit(db) + [("guides", "/guides", "#guide-tile-take_loan"), ("guide", "/guides/spot_scam", "main h2"),
                                  ("contact", "/contact", "#callback-form")]
    if mode == "large":  # the simpler home first, the full eleven categories one click away
        pages = [("home", "/dashboard", "#tile-collect"), ("dashboard", "/dashboard?view=all", "#card-overview"), *pages[1:]]
    for name, path, ready in pages:
        page.goto(path)
        expect(page.locator(ready).first).to_be_visible()
        if mode == "large":
            expect(page.locator(".large-text").first).to_be_visible()
        audit(page, f"{name}-{language}-{mode}")


def test_manager_worklist_passes_axe_and_lists_assigned_clients_only(page, db):
    login(page, "manager.bj1")
    expect(page).to_have_url(re.compile(r"/clients/?$"))
    expect(page.locator("#client-table")).to_be_visible()
    manager_id = db.execute("SELECT manager_id FROM user_account WHERE username = 'manager.bj1'").fetchone()[0]
    assigned = db.execute("SELECT COUNT(*) FROM manager_assignment WHERE manager_id = ?", (manager_id,)).fetchone()[0]
    expect(page.locator("#client-table tbody tr")).to_have_count(assigned)
    audit(page, "clients-zh")


@pytest.mark.render_audit
@pytest.mark.parametrize("mode", ["normal", "large"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_self_service_steps_pass_axe(page, language, mode):
    """Each step of an action (fill in, error, check, done), the profile check and the
    request list. The actions run on zhangwei, whom no other audit depends on."""
    page.goto("/login")
    if language == "en":
        page.locator("#language-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    if mode == "large":
        switch_on_large_text(page)
    language = f"{language}-{mode}"
    login(page, "zhangwei")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.goto("/act/auto_renew")
    expect(page.locator("#choice-select")).to_be_visible()
    audit(page, f"action-form-{language}")
    page.goto("/act/take_loan")
    expect(page.locator("#action-intro")).to_be_visible()
    audit(page, f"action-none-{language}")
    page.goto("/act/update_profile")
    page.locator("#verify-button").click()
    expect(page.locator("#action-error")).to_be_visible()
    audit(page, f"action-verify-error-{language}")
    page.goto("/act/auto_renew")
    page.locator("#review-button").click()
    expect(page.locator("#review-lines")).to_be_visible()
    audit(page, f"action-review-{language}")
    page.locator("#confirm-button").click()
    expect(page.locator("#action-done")).to_be_visible()
    audit(page, f"action-done-{language}")
    page.goto("/requests")
    expect(page.locator("#request-table")).to_be_visible()
    audit(page, f"requests-{language}")
