"""Attacks and shared computers, in the real app: the next customer on a tab receives
nothing of the previous one, no script can read the credential, another site can neither
frame the portal nor open its websocket nor log someone in."""

from __future__ import annotations

import base64
import os
import re
import socket
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import BASE_URL, PORT
from tests.e2e.helpers import DEMO_PASSWORD, customer_id, login, personal, shot

pytestmark = pytest.mark.e2e


def wangs_secrets(db) -> list[str]:
    cid = customer_id(db, "wangjianguo")
    name, address = db.execute("SELECT name, address FROM customer WHERE id = ?", (cid,)).fetchone()
    phone, account, id_number = (personal(db, cid, column) for column in ("phone", "payout_account", "id_number"))
    policy_no = db.execute(
        "SELECT p.policy_no FROM policy p JOIN user_account u ON u.customer_id = p.policyholder_id "
        "WHERE u.username = 'wangjianguo' ORDER BY p.id LIMIT 1"
    ).fetchone()[0]
    return [name, phone, account, address, id_number, id_number[-8:], policy_no]


def signed_in(page, username: str) -> None:
    login(page, username)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#card-loanable .figure-value")).to_be_visible()


def test_the_next_customer_on_the_same_tab_receives_nothing_of_the_previous_one(page, db):
    secrets = wangs_secrets(db)
    signed_in(page, "wangjianguo")
    # He checks his details (full phone and account on screen) and his 157 policies.
    page.goto("/act/update_profile")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("#phone")).to_have_value(secrets[1])
    page.goto("/policies")
    expect(page.locator("#policy-count")).to_have_text("157")
    page.locator("#logout").click()
    expect(page.get_by_text("您已安全退出。")).to_be_visible()

    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))
    ))
    signed_in(page, "zhangwei")
    page.reload()
    expect(page.locator("#card-loanable .figure-value")).to_be_visible()
    page.goto("/policies")
    expect(page.locator("#policy-count")).not_to_have_text("157")
    page.goto("/act/update_profile")
    expect(page.locator("#password")).to_be_visible()  # 王建国's check does not carry over
    received = "\n".join(frames)
    assert len(frames) > 5 and "张伟" in received
    for secret in secrets:
        assert secret not in received, secret
    shot(page, "security-next-customer-zh")


def test_no_script_on_the_page_can_read_the_credential(page):
    signed_in(page, "zhangwei")
    assert page.evaluate("document.cookie") == ""
    storage = page.evaluate("JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    assert "eyJ" not in storage  # no JWT anywhere a script could read
    cookie = next(c for c in page.context.cookies() if c["name"] == "portal_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_every_response_forbids_framing_and_sniffing():
    for path in ("/login/", "/ping", "/portal.css", "/dashboard"):
        request = urllib.request.Request(BASE_URL + path, method="GET")
        opener = urllib.request.build_opener(NoRedirect)
        response = opener.open(request)
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"], path


def test_hashed_build_files_are_cached_for_a_year_and_the_rest_revalidated():
    html = urllib.request.urlopen(BASE_URL + "/login/").read().decode()
    hashed = sorted(set(re.findall(r'/assets/[^"\'/?#]+-[A-Za-z0-9_-]{8}\.(?:js|css)', html)))
    assert hashed, "the login page loads the build's hashed scripts"
    for path in hashed[:5]:
        response = urllib.request.urlopen(BASE_URL + path)
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", path
    for path in ("/login/", "/portal.css", "/fraud-guard.js"):
        response = urllib.request.urlopen(BASE_URL + path)
        assert response.headers["cache-control"] == "no-cache", path
        assert response.headers["etag"] or response.headers["last-modified"], path


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_303(self, req, fp, code, msg, headers):
        return fp

    http_error_301 = http_error_302 = http_error_307 = http_error_303


def test_another_site_cannot_frame_the_portal(browser, portal_server):
    # The attacker's page (another origin) frames the portal; the login page needs no
    # session, so only the headers can stop it from showing.
    context = browser.new_context()
    page = context.new_page()
    page.set_content(f'<iframe id="victim" src="{BASE_URL}/login/" width="800" height="600"></iframe>')
    page.wait_for_timeout(3000)
    framed = page.frame_locator("#victim")
    expect(framed.locator("#login-submit")).to_have_count(0)
    # Control: the same page opened directly does show the form.
    page.goto(f"{BASE_URL}/login/")
    expect(page.locator("#login-submit")).to_be_visible()
    context.close()


def _websocket_handshake(origin: str) -> str:
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", PORT), timeout=5) as sock:
        sock.sendall(
            (f"GET /_event/?EIO=4&transport=websocket&token=t HTTP/1.1\r\nHost: localhost:{PORT}\r\n"
             f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n").encode()
        )
        return sock.recv(100).decode("latin-1").splitlines()[0]


def test_the_websocket_and_cors_answer_only_the_portals_origin(portal_server):
    assert " 403 " in _websocket_handshake("https://evil.example")
    assert " 101 " in _websocket_handshake(BASE_URL)
    request = urllib.request.Request(BASE_URL + "/ping", headers={"Origin": "https://evil.example"})
    with urllib.request.urlopen(request) as response:
        assert response.headers.get("access-control-allow-origin") is None


def test_another_site_cannot_log_anyone_in_or_out(portal_server):
    body = f"username=zhangwei&password={DEMO_PASSWORD}".encode()
    for path in ("/auth/login", "/auth/logout"):
        request = urllib.request.Request(BASE_URL + path, data=body, method="POST",
                                         headers={"Origin": "https://evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.build_opener(NoRedirect).open(request)
        assert refused.value.code == 403


def test_protected_pages_are_not_served_without_a_session(page):
    for path in ("/dashboard", "/policies", "/act/take_loan", "/clients"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/login/?\?notice=auth.expired$"))
    expect(page.get_by_text("登录已过期或已退出，请重新登录。")).to_be_visible()
