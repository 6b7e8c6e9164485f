"""The customer's own settings that follow them between devices: large text (大字版) and
the loan fraud guard. Each function is one use case; the caller passes the principal and
only their own account is ever read or written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from portal.data.tables import Customer, UserAccount
from portal.domain import senior
from portal.services.auth import Principal
from portal.services.portfolio import AccessDenied
from portal.services.servicing import lookup


@dataclass(frozen=True)
class SignInPreferences:
    large_text: bool | None  # None: the account never chose; keep the browser's choice
    just_switched_on: bool  # a senior's first login: tell them, and how to switch back


def _account(session: Session, principal: Principal | None) -> UserAccount:
    if principal is None:
        raise AccessDenied("not logged in")
    account = session.get(UserAccount, principal.user_id)
    if account is None:
        raise AccessDenied("no account")
    return account


def _birth_date(session: Session, account: UserAccount) -> date | None:
    customer = session.get(Customer, account.customer_id) if account.customer_id else None
    return customer.birth_date if customer else None


def on_sign_in(session: Session, principal: Principal, today: date) -> SignInPreferences:
    """What a new login session starts with. A customer aged 60+ who never chose gets
    large text switched on, and the choice is stored so it is made only once."""
    account = _account(session, principal)
    birth = _birth_date(session, account)
    just_on = False
    if account.large_text is None and senior.is_senior(birth, today):
        account.large_text, just_on = True, True
        session.add(account)
    return SignInPreferences(large_text=account.large_text, just_switched_on=just_on)


def set_large_text(session: Session, principal: Principal, on: bool) -> None:
    account = _account(session, principal)
    account.large_text = bool(on)
    session.add(account)


def fraud_guard_applies(session: Session, principal: Principal, today: date) -> bool:
    """Whether the loan page guards this customer: the very rule the loan service applies
    (``lookup.fraud_guarded``), so the page and the service can never disagree."""
    _account(session, principal)
    return principal.is_customer and lookup.fraud_guarded(session, principal.customer_id, today)


def set_fraud_guard(session: Session, principal: Principal, on: bool) -> None:
    """A customer under 60 may turn the guard on (or off again); for seniors it stays on."""
    account = _account(session, principal)
    if not principal.is_customer:
        raise AccessDenied("customers only")
    account.fraud_guard = bool(on)
    session.add(account)


def fraud_guard_setting(session: Session, principal: Principal, today: date) -> tuple[bool, bool]:
    """(turned on by the customer, always on because they are 60+)."""
    account = _account(session, principal)
    return bool(account.fraud_guard), senior.is_senior(_birth_date(session, account), today)
