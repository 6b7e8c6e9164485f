"""SQLModel tables: the unified model both source systems are imported into.

Money columns end in ``_fen`` and hold integer fen (SQLite has no Decimal). Dates are
``date``; instants are UTC ``datetime``. Enumerated values are stored as their string
values from ``portal.domain.records`` so the database reads without code.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.data.pii import Encrypted, hash_default, keep_hashes


def fen_column(**kwargs) -> Column:
    return Column(BigInteger, nullable=False, **kwargs)


def encrypted_column(name: str, **kwargs) -> Column:
    """Personal data, stored encrypted and read as clear text (portal.data.pii)."""
    return Column(Encrypted(name), nullable=False, **kwargs)


def hash_column(source: str) -> Column:
    """Keyed hash of a personal-data column, for lookups (portal.data.pii)."""
    return Column(String(64), nullable=False, index=True, default=hash_default(source))


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    id: int | None = Field(default=None, primary_key=True)
    customer_no: str = Field(index=True, unique=True, max_length=32)
    name: str = Field(max_length=64)
    # Encrypted at rest, shown masked only (portal.domain.masking); looked up by hash.
    id_number: str = Field(sa_column=encrypted_column("id_number"))
    birth_date: date
    gender: str = Field(max_length=1)  # M / F
    city: str = Field(max_length=32, index=True)
    phone: str = Field(sa_column=encrypted_column("phone"))
    address: str = Field(default="", max_length=256)
    payout_bank: str = Field(default="", max_length=64)
    payout_account: str = Field(default="", sa_column=encrypted_column("payout_account", default=""))
    preferred_language: str = Field(default="zh", max_length=8)
    id_number_hash: str | None = Field(default=None, sa_column=hash_column("id_number"))
    phone_hash: str | None = Field(default=None, sa_column=hash_column("phone"))


keep_hashes(Customer)


class ServiceManager(SQLModel, table=True):
    __tablename__ = "service_manager"
    id: int | None = Field(default=None, primary_key=True)
    manager_no: str = Field(index=True, unique=True, max_length=32)
    name: str = Field(max_length=64)
    city: str = Field(max_length=32, index=True)
    phone: str = Field(max_length=32)
    qualifications: str = Field(default="", max_length=256)
    rating_tenths: int = Field(default=0)  # 47 means 4.7 stars


class ManagerAssignment(SQLModel, table=True):
    __tablename__ = "manager_assignment"
    __table_args__ = (UniqueConstraint("customer_id", name="uq_assignment_customer"),)
    id: int | None = Field(default=None, primary_key=True)
    manager_id: int = Field(foreign_key="service_manager.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    assigned_on: date


class UserAccount(SQLModel, table=True):
    """A login. Exactly one of customer_id / manager_id is set."""

    __tablename__ = "user_account"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    password_hash: str = Field(max_length=256)
    role: str = Field(max_length=16)  # customer / manager
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="service_manager.id")
    failed_attempts: int = Field(default=0)
    locked_until: datetime | None = None
    # Large text (大字版) as chosen on the account, so it follows the customer to another
    # device; None = never chosen (a senior's first login switches it on).
    large_text: bool | None = None
    # The loan fraud guard for a customer under 60 who asked for it (seniors always have it).
    fraud_guard: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class AuthSession(SQLModel, table=True):
    """Server-side record of every issued token, so a token can be revoked."""

    __tablename__ = "auth_session"
    id: int | None = Field(default=None, primary_key=True)
    jti: str = Field(index=True, unique=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Failed logins from one client address, shared by every worker (portal.services.auth):
    after a few the address waits longer and longer before its next attempt is checked."""

    __tablename__ = "login_throttle"
    client: str = Field(primary_key=True, max_length=64)
    failures: int = Field(default=0)
    last_failure_at: datetime
    blocked_until: datetime | None = None


class LoginFailure(SQLModel, table=True):
    """Failed logins of one account from one client address in the current window: how
    much that address may add towards the account's lock (portal.services.auth)."""

    __tablename__ = "login_failure"
    __table_args__ = (UniqueConstraint("user_id", "client", name="uq_login_failure_user_client"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    client: str = Field(max_length=64)
    failures: int = Field(default=0)
    window_start: datetime


class Product(SQLModel, table=True):
    __tablename__ = "product"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=32)
    line: str = Field(max_length=16)  # life / property
    name_zh: str = Field(max_length=128)
    name_en: str = Field(max_length=128)
    kind: str = Field(max_length=32)  # whole_life, endowment, annuity, universal, term, health, auto, home
    loan_allowed: bool = False
    loan_rate_bp: int = Field(default=0)  # annual simple rate in basis points: 500 = 5.00%
    short_term: bool = False  # one-year policies that can auto-renew


class Policy(SQLModel, table=True):
    __tablename__ = "policy"
    id: int | None = Field(default=None, primary_key=True)
    policy_no: str = Field(index=True, unique=True, max_length=40)
    source_system: str = Field(max_length=16)  # life_core / property_core
    line: str = Field(max_length=16, index=True)
    product_code: str = Field(foreign_key="product.code", max_length=32)
    status: str = Field(max_length=16, index=True)
    status_date: date | None = None
    policyholder_id: int = Field(foreign_key="customer.id", index=True)
    insured_name: str = Field(max_length=64)
    beneficiaries: str = Field(default="", max_length=256)
    start_date: date
    end_date: date | None = None
    sum_assured_fen: int = Field(sa_column=fen_column())
    premium_fen: int = Field(sa_column=fen_column())
    payment_frequency: str = Field(max_length=16)
    payment_term_years: int = 0
    cash_value_fen: int = Field(default=0, sa_column=fen_column(default=0))
    auto_renew: bool = False
    # Bumped by every servicing action on the policy with a conditional UPDATE
    # (``WHERE version = <read>``): two actions decided on the same reading cannot both win.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class PolicyCoverage(SQLModel, table=True):
    __tablename__ = "policy_coverage"
    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    responsibility: str = Field(max_length=32)
    amount_fen: int = Field(sa_column=fen_column())


class PremiumInstallment(SQLModel, table=True):
    __tablename__ = "premium_installment"
    __table_args__ = (UniqueConstraint("policy_id", "due_date", name="uq_installment_due"),)
    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    due_date: date
    amount_fen: int = Field(sa_column=fen_column())
    paid_date: date | None = None
    request_id: int | None = Field(default=None, foreign_key="service_request.id", index=True)


class BenefitItem(SQLModel, table=True):
    __tablename__ = "benefit_item"
    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    kind: str = Field(max_length=16)  # survival / maturity / annuity / dividend
    payable_date: date
    amount_fen: int = Field(sa_column=fen_column())
    paid_date: date | None = None
    request_id: int | None = Field(default=None, foreign_key="service_request.id", index=True)


class PolicyLoan(SQLModel, table=True):
    __tablename__ = "policy_loan"
    id: int | None = Field(default=None, primary_key=True)
    loan_no: str = Field(index=True, unique=True, max_length=40)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    kind: str = Field(max_length=32)  # policy_loan / automatic_premium_loan
    principal_fen: int = Field(sa_column=fen_column())
    annual_rate_bp: int
    start_date: date
    due_date: date
    # One loan per request, enforced by the database as well as by the idempotency key.
    request_id: int | None = Field(default=None, foreign_key="service_request.id", unique=True)


class LoanRepayment(SQLModel, table=True):
    __tablename__ = "loan_repayment"
    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="policy_loan.id", index=True)
    paid_date: date
    principal_fen: int = Field(sa_column=fen_column())
    interest_fen: int = Field(sa_column=fen_column())
    request_id: int | None = Field(default=None, foreign_key="service_request.id", index=True)


class UniversalAccount(SQLModel, table=True):
    __tablename__ = "universal_account"
    id: int | None = Field(default=None, primary_key=True)
    account_no: str = Field(index=True, unique=True, max_length=40)
    policy_id: int = Field(foreign_key="policy.id", index=True, unique=True)
    minimum_balance_fen: int = Field(sa_column=fen_column())
    guaranteed_rate_bp: int
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # see Policy.version


class AccountMovement(SQLModel, table=True):
    __tablename__ = "account_movement"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="universal_account.id", index=True)
    occurred_on: date
    kind: str = Field(max_length=16)  # premium / interest / fee / withdrawal
    amount_fen: int = Field(sa_column=fen_column())  # signed
    request_id: int | None = Field(default=None, foreign_key="service_request.id", index=True)


class HistoryEvent(SQLModel, table=True):
    """Append-only: rows are only ever inserted. Each row's hash covers the previous
    row's hash, so editing or deleting a row breaks the chain (see portal.data.history)."""

    __tablename__ = "history_event"
    # A customer's chain in chain order: the newest row (append_event, refresh_heads) is
    # one index probe, and verify reads each chain in order. It also serves every lookup
    # by customer alone (the dashboard's), so no separate customer_id index is kept.
    __table_args__ = (Index("ix_history_event_customer_id_id", "customer_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    policy_id: int | None = Field(default=None, foreign_key="policy.id", index=True)
    occurred_at: datetime
    kind: str = Field(max_length=32)
    amount_fen: int | None = Field(default=None)
    note: str = Field(default="", max_length=256)
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64, unique=True)


class HistoryHead(SQLModel, table=True):
    """The newest hash of each customer's chain, kept beside it: deleting the newest rows
    of a chain no longer goes unnoticed, because the chain then ends short of its head."""

    __tablename__ = "history_head"
    __table_args__ = (CheckConstraint("event_count >= 0", name="ck_history_head_count"),)
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    head_hash: str = Field(max_length=64)
    event_count: int


class ServiceRequest(SQLModel, table=True):
    """One self-service request and its progress: submitted → under_review → completed,
    or rejected / cancelled. The idempotency key makes a repeated submission the same row."""

    __tablename__ = "service_request"
    __table_args__ = (
        UniqueConstraint("customer_id", "idempotency_key", name="uq_request_idempotency"),
        CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="ck_request_amount"),
    )
    id: int | None = Field(default=None, primary_key=True)
    request_no: str = Field(index=True, unique=True, max_length=40)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    policy_id: int | None = Field(default=None, foreign_key="policy.id", index=True)
    kind: str = Field(max_length=24)  # portal.services.servicing.ActionKind
    status: str = Field(max_length=16, index=True)
    amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    idempotency_key: str = Field(max_length=64)
    fingerprint: str = Field(max_length=64)  # hash of what the customer confirmed
    details: str = Field(default="{}", max_length=4000)  # JSON: the reviewed figures
    reason_key: str = Field(default="", max_length=64)  # why rejected
    submitted_at: datetime
    reviewed_at: datetime | None = None
    decided_at: datetime | None = None
    release_on: date | None = None  # a held loan is paid out on this day unless cancelled
    submitted_by: int = Field(foreign_key="user_account.id")


class ImportBatch(SQLModel, table=True):
    """One imported source file, so importing the same file again changes nothing."""

    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    file_sha256: str = Field(max_length=64, unique=True)
    imported_at: datetime
    row_count: int


class CallbackRequest(SQLModel, table=True):
    """A customer asks their service manager to ring them in a chosen slot (联系专员)."""

    __tablename__ = "callback_request"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="service_manager.id", index=True)
    slot_date: date
    slot_code: str = Field(max_length=8)
    status: str = Field(default="pending", max_length=16)  # pending / done / cancelled
    created_at: datetime
    # The customer's id while the request is open, NULL once closed: the unique index makes
    # "at most one open request per customer" a database rule (NULLs never clash).
    open_for: int | None = Field(default=None, unique=True, index=True)
