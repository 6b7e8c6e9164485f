from __future__ import annotations

from decimal import Decimal

from tests.e2e.conftest import ARTIFACTS

DEMO_PASSWORD = "Portal@2026"


def yuan_text(fen: int) -> str:
    """The figure as the page should show it, worked out here rather than by the app."""
    amount = Decimal(fen) / 100
    return f"¥{amount:,.2f}"


def fen_of(text: str) -> int:
    return int((Decimal(text.replace("¥", "").replace(",", "")) * 100).to_integral_value())


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()


def customer_id(db, username: str) -> int:
    return db.execute("SELECT customer_id FROM user_account WHERE username = ?", (username,)).fetchone()[0]


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def personal(db, customer_id: int, column: str) -> str:
    """A customer's ID number, phone or payout account in clear: the database holds them
    encrypted (AES-GCM with the test key, read here independently of the portal)."""
    from tests.pii_keys import decrypt

    stored = db.execute(f"SELECT {column} FROM customer WHERE id = ?", (customer_id,)).fetchone()[0]
    return decrypt(column, stored) if stored else ""
