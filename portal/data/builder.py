"""In-memory builder of generated rows for every table, written with bulk inserts.

The demo and the scale generator both describe customers, policies and money movements
through a ``Dataset``; it assigns ids, derives coverage rows, records a history event
for every money movement (amount equal to the record's), and on ``flush`` chains each
customer's history in date order and inserts everything in foreign-key order
(``bulk.copy_rows``: COPY on PostgreSQL). The chain is hashed in Python as the rows are
written, so a new customer's chain head (``history_head``) is known without reading
anything back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlmodel import Session

from portal.data import tables as t
from portal.data.bulk import WriteBehind, copy_rows, next_ids, sync_sequences
from portal.data.catalogue import ProductSpec, coverages_for
from portal.domain.dates import add_months, add_years
from portal.domain.premiums import MONTHS_BETWEEN_INSTALLMENTS
from portal.data.history import HistoryChainWriter, refresh_heads, utc_naive
from portal.data.pii import with_hashes
from portal.domain.loans import LOAN_TO_CASH_VALUE, simple_interest
from portal.domain.money import from_fen, round_down, round_half_up, to_fen
from portal.domain.records import HistoryKind, PaymentFrequency, PolicyStatus

# Foreign-key order for inserts.
TABLES = (
    t.Customer,
    t.ServiceManager,
    t.ManagerAssignment,
    t.UserAccount,
    t.Policy,
    t.PolicyCoverage,
    t.PremiumInstallment,
    t.BenefitItem,
    t.PolicyLoan,
    t.LoanRepayment,
    t.UniversalAccount,
    t.AccountMovement,
    t.HistoryEvent,
)

STATUS_EVENTS = {
    PolicyStatus.LAPSED: HistoryKind.POLICY_LAPSED,
    PolicyStatus.TERMINATED: HistoryKind.POLICY_TERMINATED,
    PolicyStatus.MATURED: HistoryKind.POLICY_MATURED,
}


def one_year_end(start: date) -> date:
    """Last day of a one-year policy period."""
    return add_years(start, 1) - timedelta(days=1)


def due_dates(start: date, frequency: PaymentFrequency, term_years: int, until: date) -> list[date]:
    """Premium due dates from ``start`` within the payment term, up to ``until`` inclusive."""
    if frequency is PaymentFrequency.SINGLE or term_years <= 0:
        return [start] if start <= until else []
    step = MONTHS_BETWEEN_INSTALLMENTS[frequency]
    count = term_years * 12 // step
    result = []
    for k in range(count):
        due = add_months(start, k * step)
        if due > until:
            break
        result.append(due)
    return result


def interest_fen(principal_fen: int, rate_bp: int, days: int) -> int:
    """The domain's simple interest (actual/365), rounded half-up to the fen."""
    exact = simple_interest(from_fen(principal_fen), Decimal(rate_bp) / 10000, days)
    return to_fen(round_half_up(exact))


def loan_limit_fen(cash_value_fen: int) -> int:
    """The domain's loan limit on a cash value (80%, rounded down to the fen)."""
    return to_fen(round_down(LOAN_TO_CASH_VALUE * from_fen(cash_value_fen)))


# Business happens on Beijing time; the history stores the instant (UTC).
CHINA_OFFSET = timedelta(hours=8)
CHINA_TIME = timezone(CHINA_OFFSET, "CST")


def local_moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA_TIME)


def utc_of_local(day: date, hour: int, minute: int = 0) -> datetime:
    """``local_moment`` as naive UTC, the form the history chain hashes: made directly,
    since bulk loads make millions of them (China keeps UTC+8 all year)."""
    return datetime(day.year, day.month, day.day, hour, minute) - CHINA_OFFSET


def at(day: date, salt: int) -> datetime:
    """A business-hours moment on ``day``, derived from a record id so no RNG is consumed."""
    minutes = (salt * 37) % 540
    return utc_of_local(day, 8 + minutes // 60, minutes % 60)


@dataclass
class PolicyRef:
    """What later calls need to know about a policy that was added."""

    id: int
    customer_id: int
    policy_no: str
    product: ProductSpec
    start_date: date


class Dataset:
    """``write_behind``: ``flush`` hands the chunk to a writer thread and returns at once
    (PostgreSQL bulk loads); ``close()`` waits for it. Without it ``flush`` writes."""

    def __init__(self, session: Session, *, write_behind: bool = False):
        self.session = session
        self._writer = WriteBehind() if write_behind else None
        self._ids = next_ids(session, TABLES)
        self._first_ids = dict(self._ids)
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self._events: dict[int, list[tuple[datetime, int, dict]]] = defaultdict(list)
        self._event_seq = 0
        self._new_customers: set[int] = set()

    # -- ids and raw rows -------------------------------------------------------------
    def new_id(self, model) -> int:
        name = model.__tablename__
        value = self._ids[name]
        self._ids[name] = value + 1
        return value

    def add(self, model, **values) -> int:
        if "id" not in values:
            values["id"] = self.new_id(model)
        self.rows[model.__tablename__].append(values)
        return values["id"]

    def event(
        self,
        customer_id: int,
        policy_id: int | None,
        occurred_at: datetime,
        kind: HistoryKind,
        amount_fen: int | None = None,
        note: str = "",
    ) -> None:
        self._event_seq += 1
        occurred_at = utc_naive(occurred_at)  # naive = UTC; aware ones are converted
        self._events[customer_id].append(
            (
                occurred_at,
                self._event_seq,
                dict(
                    customer_id=customer_id,
                    policy_id=policy_id,
                    occurred_at=occurred_at,
                    kind=kind,
                    amount_fen=amount_fen,
                    note=note,
                ),
            )
        )

    # -- people -------------------------------------------------------------------------
    def add_customer(self, **columns) -> int:
        customer_id = self.new_id(t.Customer)
        columns.setdefault("customer_no", f"C{customer_id:010d}")
        # The lookup hashes are computed here: bulk writes run no column defaults.
        self.add(t.Customer, id=customer_id, **with_hashes(columns))
        self._new_customers.add(customer_id)
        return customer_id

    # -- policies -----------------------------------------------------------------------
    def add_policy(
        self,
        *,
        customer_id: int,
        product: ProductSpec,
        status: PolicyStatus,
        start_date: date,
        end_date: date | None,
        sum_assured_fen: int,
        premium_fen: int,
        frequency: PaymentFrequency,
        term_years: int,
        insured_name: str,
        beneficiaries: str = "",
        cash_value_fen: int = 0,
        auto_renew: bool = False,
        status_date: date | None = None,
        issue_note: str = "",
    ) -> PolicyRef:
        policy_id = self.new_id(t.Policy)
        prefix = {"auto": "PDAA", "home": "PQAH"}.get(product.kind, "")
        policy_no = f"{prefix}{start_date:%Y}{policy_id:012d}"
        self.add(
            t.Policy,
            id=policy_id,
            policy_no=policy_no,
            source_system="property_core" if prefix else "life_core",
            line=product.line.value,
            product_code=product.code,
            status=status.value,
            status_date=status_date,
            policyholder_id=customer_id,
            insured_name=insured_name,
            beneficiaries=beneficiaries,
            start_date=start_date,
            end_date=end_date,
            sum_assured_fen=sum_assured_fen,
            premium_fen=premium_fen,
            payment_frequency=frequency.value,
            payment_term_years=term_years,
            cash_value_fen=cash_value_fen,
            auto_renew=auto_renew,
        )
        for responsibility, amount in coverages_for(product.kind, sum_assured_fen):
            self.add(t.PolicyCoverage, policy_id=policy_id, responsibility=responsibility.value, amount_fen=amount)
        # Issue opens the day's business; a status change closes it.
        self.event(customer_id, policy_id, utc_of_local(start_date, 8), HistoryKind.POLICY_ISSUED, None, issue_note)
        if status in STATUS_EVENTS and status_date is not None:
            self.event(customer_id, policy_id, utc_of_local(status_date, 17, 30), STATUS_EVENTS[status])
        return PolicyRef(policy_id, customer_id, policy_no, product, start_date)

    def set_cash_value(self, policy: PolicyRef, cash_value_fen: int) -> None:
        for row in reversed(self.rows["policy"]):
            if row["id"] == policy.id:
                row["cash_value_fen"] = cash_value_fen
                return
        raise KeyError(policy.id)

    # -- money records, each with its history event ----------------------------------
    def add_installment(self, policy: PolicyRef, due: date, amount_fen: int, paid: date | None) -> int:
        row_id = self.add(
            t.PremiumInstallment, policy_id=policy.id, due_date=due, amount_fen=amount_fen, paid_date=paid
        )
        if paid is not None:
            self.event(
                policy.customer_id, policy.id, at(paid, row_id), HistoryKind.PREMIUM_PAID,
                amount_fen, f"premium_installment#{row_id}",
            )
        return row_id

    def add_benefit(self, policy: PolicyRef, kind: str, payable: date, amount_fen: int, paid: date | None) -> int:
        row_id = self.add(
            t.BenefitItem, policy_id=policy.id, kind=kind, payable_date=payable, amount_fen=amount_fen, paid_date=paid
        )
        if paid is not None:
            self.event(
                policy.customer_id, policy.id, at(paid, row_id), HistoryKind.BENEFIT_PAID,
                amount_fen, f"benefit_item#{row_id}",
            )
        return row_id

    def add_loan(
        self, policy: PolicyRef, kind: str, principal_fen: int, rate_bp: int, start: date, due: date
    ) -> int:
        loan_id = self.new_id(t.PolicyLoan)
        self.add(
            t.PolicyLoan,
            id=loan_id,
            loan_no=f"LN{start:%Y%m}{loan_id:08d}",
            policy_id=policy.id,
            kind=kind,
            principal_fen=principal_fen,
            annual_rate_bp=rate_bp,
            start_date=start,
            due_date=due,
        )
        self.event(
            policy.customer_id, policy.id, at(start, loan_id), HistoryKind.LOAN_TAKEN,
            principal_fen, f"policy_loan#{loan_id}",
        )
        return loan_id

    def add_repayment(
        self, policy: PolicyRef, loan_id: int, paid: date, principal_fen: int, interest_fen_: int
    ) -> int:
        row_id = self.add(
            t.LoanRepayment, loan_id=loan_id, paid_date=paid, principal_fen=principal_fen, interest_fen=interest_fen_
        )
        self.event(
            policy.customer_id, policy.id, at(paid, row_id), HistoryKind.LOAN_REPAID,
            principal_fen + interest_fen_, f"loan_repayment#{row_id}",
        )
        return row_id

    def add_account(self, policy: PolicyRef, minimum_balance_fen: int, rate_bp: int) -> int:
        account_id = self.new_id(t.UniversalAccount)
        self.add(
            t.UniversalAccount,
            id=account_id,
            account_no=f"UA{account_id:010d}",
            policy_id=policy.id,
            minimum_balance_fen=minimum_balance_fen,
            guaranteed_rate_bp=rate_bp,
        )
        return account_id

    def add_movement(self, policy: PolicyRef, account_id: int, on: date, kind: str, amount_fen: int) -> int:
        row_id = self.add(t.AccountMovement, account_id=account_id, occurred_on=on, kind=kind, amount_fen=amount_fen)
        self.event(
            policy.customer_id, policy.id, at(on, row_id), HistoryKind.ACCOUNT_MOVEMENT,
            amount_fen, f"account_movement#{row_id}",
        )
        return row_id

    # -- writing --------------------------------------------------------------------------
    def _chain_events(self) -> tuple[list[dict], list[int]]:
        """Hash the events into history rows. Returns the chain heads of the customers
        whose chains start here, and the customers continuing an older chain (re-anchored
        from the database after writing: ``refresh_heads``)."""
        existing = [c for c in self._events if c not in self._new_customers]
        if existing and self._writer is not None:
            self._writer.drain()  # their chains are read from the database
        writer = HistoryChainWriter.for_customers(self.session, existing) if existing else HistoryChainWriter()
        writer.next_id = self._ids[t.HistoryEvent.__tablename__]
        out = self.rows[t.HistoryEvent.__tablename__]
        heads = []
        for customer_id in sorted(self._events):
            # A customer's chain runs in time order, like a real append-only log would.
            events = sorted(self._events[customer_id])  # by (time, sequence): sequences are unique
            for _, _, fields in events:
                out.append(writer.row(**fields))
            if customer_id in self._new_customers:
                heads.append(dict(customer_id=customer_id, head_hash=out[-1]["row_hash"], event_count=len(events)))
        self._ids[t.HistoryEvent.__tablename__] = writer.next_id
        self._events.clear()
        return heads, existing

    def flush(self) -> None:
        """Insert everything built so far (ids stay reserved; the builder can go on).
        With ``write_behind`` the rows are written while the caller goes on building."""
        heads, continued = self._chain_events()
        chunk = [(model, self.rows.pop(model.__tablename__, [])) for model in TABLES]
        chunk.append((t.HistoryHead, heads))
        self._new_customers.clear()
        session = self.session

        def write() -> None:
            for model, rows in chunk:
                copy_rows(session, model, rows)
            sync_sequences(session, TABLES)
            if continued:
                refresh_heads(session, continued)

        if self._writer is None:
            write()
        else:
            self._writer.submit(write)

    def loaded_keys(self) -> dict[str, tuple[str, int, int]]:
        """Table name -> (key column, first key, key after the last) of the rows added."""
        loaded = {
            name: ("id", first, self._ids[name]) for name, first in self._first_ids.items() if self._ids[name] > first
        }
        if t.Customer.__tablename__ in loaded:  # a head for each new customer
            loaded[t.HistoryHead.__tablename__] = ("customer_id", *loaded[t.Customer.__tablename__][1:])
        return loaded

    def close(self, raise_errors: bool = True) -> None:
        """Wait for rows still being written (``write_behind``); the session is free again.
        A write that failed is raised here (unless closing after another failure)."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close(raise_errors)
