"""What both importers share: errors, field parsing, and writing validated records.

A source parser turns each row/item into a ``PolicyRecord`` (or ``RowError``s) using a
``FieldReader``; ``apply_records`` then checks every record against the file and the
database (duplicates, catalogue, customer identity, policy ownership) and, only when the
caller allows it, writes customers, policies, coverages and history. Nothing is written
before every check has run, so a rejected file leaves the database untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from portal.data import tables as t
from portal.data.catalogue import coverages_for
from portal.data.history import append_event
from portal.data.people import valid_id_number
from portal.data.pii import blind_index
from portal.domain.clock import CHINA_TIME, china_minute, utc_now
from portal.domain.masking import mask_id_number
from portal.domain.records import HistoryKind, PaymentFrequency, PolicyStatus, Responsibility
from portal.i18n.import_messages import DEFAULT_LANG, message, where

MAX_YUAN = Decimal("10000000000")  # ¥10 billion: anything above is a unit mistake
RESPONSIBILITIES = tuple(r.value for r in Responsibility)

# Problems with the file as a whole: nothing can be imported, even with --skip-bad-rows.
FILE_LEVEL_CODES = frozenset(
    {"file_unreadable", "not_utf8", "empty_file", "missing_columns", "unknown_columns",
     "duplicate_columns", "malformed_json", "not_a_list"}
)

STATUS_EVENTS = {
    PolicyStatus.LAPSED: HistoryKind.POLICY_LAPSED,
    PolicyStatus.TERMINATED: HistoryKind.POLICY_TERMINATED,
    PolicyStatus.MATURED: HistoryKind.POLICY_MATURED,
}


@dataclass(frozen=True)
class RowError:
    """One problem, renderable in any language: ``line 3: "基本保额" is not a valid amount``."""

    code: str
    params: dict = field(default_factory=dict)
    where: int | None = None  # line (CSV) or item (JSON) number, 1-based; None = whole file
    kind: str = "line"

    def message(self, lang: str = DEFAULT_LANG) -> str:
        return message(self.code, self.params, lang)

    def render(self, lang: str = DEFAULT_LANG) -> str:
        separator = "：" if lang == "zh" else ": "
        return f"{where(self.kind, self.where, lang)}{separator}{self.message(lang)}"

    def __str__(self) -> str:
        return self.render("en")


class ImportRejected(Exception):
    """Raised inside the import transaction so that nothing of a bad file is kept."""

    def __init__(self, report: "ImportReport"):
        super().__init__("import rejected")
        self.report = report


@dataclass
class CustomerFields:
    customer_no: str
    name: str
    id_number: str
    birth_date: date
    gender: str
    city: str
    phone: str
    address: str = ""


@dataclass
class PolicyRecord:
    where: int
    customer: CustomerFields
    policy_no: str
    product_code: str
    status: PolicyStatus
    status_date: date | None
    insured_name: str
    beneficiaries: str
    start_date: date
    end_date: date | None
    sum_assured_fen: int
    premium_fen: int
    frequency: PaymentFrequency
    term_years: int
    cash_value_fen: int = 0
    auto_renew: bool = False
    coverages: tuple[tuple[str, int], ...] | None = None  # None: derived from the product kind
    paid_date: date | None = None  # single premium paid (property core)
    issue_note: str = ""


@dataclass
class ImportReport:
    source: str
    kind: str  # "line" or "item"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rolled_back: bool = False
    already_imported_at: datetime | None = None

    @property
    def rejected_rows(self) -> list[int | None]:
        return sorted({e.where for e in self.errors}, key=lambda w: (w is not None, w or 0))

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self, lang: str = DEFAULT_LANG) -> list[str]:
        out = [e.render(lang) for e in sorted(self.errors, key=lambda e: (e.where or 0))]
        if self.already_imported_at is not None:
            when = china_minute(self.already_imported_at)
            out.append(message("already_imported", {"when": when}, lang))
            return out
        if self.rolled_back:
            out.append(message("rolled_back", {}, lang))
        else:
            out.append(
                message(
                    "summary",
                    {
                        "created": self.created,
                        "updated": self.updated,
                        "unchanged": self.unchanged,
                        "rejected": len(self.rejected_rows),
                    },
                    lang,
                )
            )
        return out


# -- field parsing ----------------------------------------------------------------------
_YUAN = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PHONE = re.compile(r"^1\d{10}$")
_POLICY_NO = re.compile(r"^[A-Za-z0-9-]{6,40}$")
_CUSTOMER_NO = re.compile(r"^[A-Za-z0-9-]{4,32}$")


class FieldReader:
    """Parses one row's fields, collecting every problem instead of stopping at the first."""

    def __init__(self, where_: int, kind: str):
        self.where, self.kind = where_, kind
        self.errors: list[RowError] = []

    def fail(self, error_code: str, /, **params) -> None:
        self.errors.append(RowError(error_code, params, self.where, self.kind))

    def text(self, name: str, value, *, required: bool = True, max_len: int = 64, pattern: re.Pattern | None = None) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail("wrong_type", field=name, expected="type.string", value=repr(value))
            return ""
        value = value.strip()
        if not value:
            if required:
                self.fail("missing_value", field=name)
            return ""
        if len(value) > max_len:
            self.fail("too_long", field=name, max=max_len)
            return ""
        if pattern is not None and not pattern.match(value):
            self.fail("bad_text", field=name, value=value)
            return ""
        return value

    def yuan(self, name: str, value: str | None, *, required: bool = True) -> int:
        """'12,345.60' / '12345.6' / '12345' yuan -> fen. Never goes through float."""
        raw = (value or "").strip()
        if not raw:
            if required:
                self.fail("missing_value", field=name)
            return 0
        negative = raw.startswith("-")
        if not _YUAN.match(raw.lstrip("-")):
            self.fail("bad_amount", field=name, value=raw)
            return 0
        if negative:
            self.fail("negative_amount", field=name, value=raw)
            return 0
        amount = Decimal(raw.replace(",", ""))
        if amount > MAX_YUAN:
            self.fail("amount_too_large", field=name, value=raw)
            return 0
        return int(amount * 100)

    def fen(self, name: str, value, *, required: bool = True) -> int:
        """A JSON integer amount in fen."""
        if value is None:
            if required:
                self.fail("missing_value", field=name)
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("wrong_type", field=name, expected="type.integer", value=repr(value))
            return 0
        if value < 0:
            self.fail("negative_amount", field=name, value=value)
            return 0
        if value > MAX_YUAN * 100:
            self.fail("amount_too_large", field=name, value=value)
            return 0
        return value

    def day(self, name: str, value, *, required: bool = True) -> date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail("missing_value", field=name)
            return None
        if not isinstance(value, str):
            self.fail("wrong_type", field=name, expected="type.string", value=repr(value))
            return None
        raw = value.strip()
        try:
            if not _DATE.match(raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            self.fail("bad_date", field=name, value=raw)
            return None

    def integer(self, name: str, value: str | None, *, low: int, high: int) -> int:
        raw = (value or "").strip()
        if not raw:
            self.fail("missing_value", field=name)
            return 0
        if not re.fullmatch(r"\d+", raw):
            self.fail("bad_integer", field=name, value=raw)
            return 0
        number = int(raw)
        if not low <= number <= high:
            self.fail("out_of_range", field=name, low=low, high=high, value=raw)
            return 0
        return number

    def boolean(self, name: str, value, *, default: bool = False) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail("bad_boolean", field=name, value=repr(value))
            return default
        return value

    def gender(self, name: str, value: str | None) -> str:
        raw = (value or "").strip() if isinstance(value, str) else value
        mapping = {"男": "M", "女": "F", "M": "M", "F": "F", "m": "M", "f": "F"}
        if not raw:
            self.fail("missing_value", field=name)
            return ""
        if raw not in mapping:
            self.fail("bad_gender", value=raw)
            return ""
        return mapping[raw]

    def phone(self, name: str, value) -> str:
        raw = self.text(name, value, max_len=32)
        if raw and not _PHONE.match(raw.replace(" ", "").replace("-", "")):
            self.fail("bad_phone", value=raw)
            return ""
        return raw.replace(" ", "").replace("-", "")

    def id_number(self, name: str, value) -> str:
        raw = self.text(name, value, max_len=32)
        if raw and not valid_id_number(raw):
            self.fail("bad_id_number", value=mask_id_number(raw))
            return ""
        return raw.upper()

    def policy_no(self, name: str, value) -> str:
        return self.text(name, value, max_len=40, pattern=_POLICY_NO)

    def customer_no(self, name: str, value) -> str:
        return self.text(name, value, max_len=32, pattern=_CUSTOMER_NO)

    def check_birth_date(self, id_number: str, birth: date | None) -> None:
        if id_number and birth and id_number[6:14] != f"{birth:%Y%m%d}":
            self.fail("birth_date_mismatch", value=birth.isoformat())

    def check_order(self, earlier_name: str, earlier: date | None, later_name: str, later: date | None) -> None:
        if earlier and later and later < earlier:
            self.fail(
                "date_order",
                earlier=earlier_name, earlier_value=earlier.isoformat(),
                later=later_name, later_value=later.isoformat(),
            )

    def not_future(self, name: str, value: date | None, today: date) -> None:
        if value and value > today:
            self.fail("date_in_future", field=name, value=value.isoformat())


def parse_coverages(reader: FieldReader, name: str, raw: str | None) -> tuple[tuple[str, int], ...] | None:
    """'death:500000;critical_illness:300000' (yuan) -> ((responsibility, fen), ...)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    out = []
    for part in raw.split(";"):
        part = part.strip()
        if not part:
            continue
        if ":" not in part:
            reader.fail("bad_coverage", value=part)
            continue
        responsibility, amount = (piece.strip() for piece in part.split(":", 1))
        if responsibility not in RESPONSIBILITIES:
            reader.fail("unknown_responsibility", value=responsibility, allowed=", ".join(RESPONSIBILITIES))
            continue
        before = len(reader.errors)
        fen = reader.yuan(name, amount)
        if len(reader.errors) == before:
            out.append((responsibility, fen))
    return tuple(out)


# -- checks against the file and the database, then writing ------------------------------
def local_morning(day: date) -> datetime:
    return datetime.combine(day, time(8, 0), tzinfo=CHINA_TIME)


def _chunks(values: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Lookups:
    """Everything the checks need from the database, fetched in bulk."""

    def __init__(self, session: Session, records: list[PolicyRecord]):
        codes = sorted({r.product_code for r in records})
        self.products = {
            code: (line, kind)
            for chunk in _chunks(codes)
            for code, line, kind in session.execute(
                select(t.Product.code, t.Product.line, t.Product.kind).where(t.Product.code.in_(chunk))
            )
        }
        numbers = sorted({r.customer.customer_no for r in records})
        ids = sorted({r.customer.id_number for r in records})
        self.customers_by_no: dict[str, tuple[int, str]] = {}
        self.customers_by_id_number: dict[str, str] = {}
        for chunk in _chunks(numbers):
            for cid, no, idn in session.execute(
                select(t.Customer.id, t.Customer.customer_no, t.Customer.id_number).where(t.Customer.customer_no.in_(chunk))
            ):
                self.customers_by_no[no] = (cid, idn)
        for chunk in _chunks(ids):
            hashes = [blind_index("id_number", idn) for idn in chunk]
            for no, idn in session.execute(
                select(t.Customer.customer_no, t.Customer.id_number).where(t.Customer.id_number_hash.in_(hashes))
            ):
                self.customers_by_id_number.setdefault(idn, no)
        policy_nos = sorted({r.policy_no for r in records})
        self.policies: dict[str, t.Policy] = {}
        for chunk in _chunks(policy_nos):
            for policy in session.execute(select(t.Policy).where(t.Policy.policy_no.in_(chunk))).scalars():
                self.policies[policy.policy_no] = policy


def check_records(
    session: Session, source: str, line: str, records: list[PolicyRecord], kind: str
) -> tuple[list[RowError], _Lookups]:
    errors: list[RowError] = []
    lookups = _Lookups(session, records)
    first_policy: dict[str, int] = {}
    first_customer: dict[str, tuple[int, str]] = {}  # customer_no -> (where, id_number)
    id_owner_in_file: dict[str, str] = {}  # id_number -> customer_no

    def fail(record: PolicyRecord, error_code: str, /, **params) -> None:
        errors.append(RowError(error_code, params, record.where, kind))

    for record in records:
        if record.policy_no in first_policy:
            fail(record, "duplicate_policy_no", policy_no=record.policy_no, first=first_policy[record.policy_no])
        else:
            first_policy[record.policy_no] = record.where

        product = lookups.products.get(record.product_code)
        if product is None:
            fail(record, "unknown_product", code=record.product_code)
        elif product[0] != line:
            fail(record, "product_line_mismatch", code=record.product_code, line=f"line.{product[0]}")

        c = record.customer
        existing = lookups.customers_by_no.get(c.customer_no)
        if existing is not None and existing[1] != c.id_number:
            fail(record, "id_number_conflict", customer_no=c.customer_no,
                 existing=mask_id_number(existing[1]), given=mask_id_number(c.id_number))
        elif existing is None:
            owner = lookups.customers_by_id_number.get(c.id_number)
            if owner is not None and owner != c.customer_no:
                fail(record, "id_number_in_use", given=mask_id_number(c.id_number), other=owner)
        seen = first_customer.get(c.customer_no)
        if seen is not None and seen[1] != c.id_number:
            fail(record, "customer_mismatch_in_file", customer_no=c.customer_no, first=seen[0])
        elif seen is None:
            first_customer[c.customer_no] = (record.where, c.id_number)
            other = id_owner_in_file.setdefault(c.id_number, c.customer_no)
            if other != c.customer_no and existing is None:
                fail(record, "id_number_in_use", given=mask_id_number(c.id_number), other=other)

        policy = lookups.policies.get(record.policy_no)
        if policy is not None:
            if policy.source_system != source:
                fail(record, "policy_source_conflict", policy_no=record.policy_no, source=f"source.{policy.source_system}")
            elif existing is None or policy.policyholder_id != existing[0]:
                fail(record, "policy_owner_conflict", policy_no=record.policy_no)
    return errors, lookups


def _policy_values(record: PolicyRecord, source: str, line: str, customer_id: int) -> dict:
    return dict(
        policy_no=record.policy_no,
        source_system=source,
        line=line,
        product_code=record.product_code,
        status=record.status.value,
        status_date=record.status_date,
        policyholder_id=customer_id,
        insured_name=record.insured_name,
        beneficiaries=record.beneficiaries,
        start_date=record.start_date,
        end_date=record.end_date,
        sum_assured_fen=record.sum_assured_fen,
        premium_fen=record.premium_fen,
        payment_frequency=record.frequency.value,
        payment_term_years=record.term_years,
        cash_value_fen=record.cash_value_fen,
        auto_renew=record.auto_renew,
    )


def apply_records(
    session: Session,
    *,
    source: str,
    line: str,
    kind: str,
    records: list[PolicyRecord],
    parse_errors: list[RowError],
    skip_bad_rows: bool,
) -> ImportReport:
    """Check, then (if allowed) write. Raises ``ImportRejected`` when a bad file must not
    be imported at all, so the caller's transaction rolls back."""
    report = ImportReport(source, kind)
    check_errors, lookups = check_records(session, source, line, records, kind)
    report.errors = parse_errors + check_errors
    file_level = any(e.code in FILE_LEVEL_CODES for e in report.errors)
    if report.errors and (not skip_bad_rows or file_level):
        report.rolled_back = True
        raise ImportRejected(report)

    bad = {e.where for e in report.errors}
    customers: dict[str, int] = {no: cid for no, (cid, _) in lookups.customers_by_no.items()}
    for record in records:
        if record.where in bad:
            continue
        customer_id = customers.get(record.customer.customer_no)
        if customer_id is None:
            c = record.customer
            customer = t.Customer(
                customer_no=c.customer_no, name=c.name, id_number=c.id_number, birth_date=c.birth_date,
                gender=c.gender, city=c.city, phone=c.phone, address=c.address,
            )
            session.add(customer)
            session.flush()
            customer_id = customers[c.customer_no] = customer.id
        outcome = _upsert_policy(session, record, source, line, lookups, customer_id)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _coverage_rows(record: PolicyRecord, product_kind: str) -> list[tuple[str, int]]:
    if record.coverages is not None:
        return sorted(record.coverages)
    return sorted((r.value, amount) for r, amount in coverages_for(product_kind, record.sum_assured_fen))


def _upsert_policy(
    session: Session, record: PolicyRecord, source: str, line: str, lookups: _Lookups, customer_id: int
) -> str:
    values = _policy_values(record, source, line, customer_id)
    coverages = _coverage_rows(record, lookups.products[record.product_code][1])
    policy = lookups.policies.get(record.policy_no)
    if policy is None:
        policy = t.Policy(**values)
        session.add(policy)
        session.flush()
        lookups.policies[record.policy_no] = policy
        for responsibility, amount in coverages:
            session.add(t.PolicyCoverage(policy_id=policy.id, responsibility=responsibility, amount_fen=amount))
        note = f"imported from {source}" + (f"; {record.issue_note}" if record.issue_note else "")
        append_event(
            session, customer_id=customer_id, policy_id=policy.id, occurred_at=local_morning(record.start_date),
            kind=HistoryKind.POLICY_ISSUED, amount_fen=None, note=note,
        )
        if record.status in STATUS_EVENTS and record.status_date is not None:
            append_event(
                session, customer_id=customer_id, policy_id=policy.id,
                occurred_at=local_morning(record.status_date), kind=STATUS_EVENTS[record.status],
                amount_fen=None, note=f"imported from {source}",
            )
        _paid_premium(session, record, policy, customer_id)
        return "created"

    existing_coverages = sorted(
        session.execute(
            select(t.PolicyCoverage.responsibility, t.PolicyCoverage.amount_fen).where(t.PolicyCoverage.policy_id == policy.id)
        ).all()
    )
    changed = {k: v for k, v in values.items() if getattr(policy, k) != v}
    coverage_changed = [tuple(c) for c in existing_coverages] != coverages
    premium_changed = _paid_premium(session, record, policy, customer_id, dry_run=True)
    if not changed and not coverage_changed and not premium_changed:
        return "unchanged"
    old_status = policy.status
    for key, value in changed.items():
        setattr(policy, key, value)
    if coverage_changed:
        for row in session.execute(select(t.PolicyCoverage).where(t.PolicyCoverage.policy_id == policy.id)).scalars():
            session.delete(row)
        session.flush()
        for responsibility, amount in coverages:
            session.add(t.PolicyCoverage(policy_id=policy.id, responsibility=responsibility, amount_fen=amount))
    session.flush()
    if "status" in changed and record.status in STATUS_EVENTS:
        kind, when = STATUS_EVENTS[record.status], record.status_date or record.start_date
    else:
        kind, when = HistoryKind.SERVICE, None
    note = f"updated from {source}: " + ", ".join(sorted(changed) + (["coverages"] if coverage_changed else []))
    if "status" in changed:
        note += f" ({old_status} -> {record.status.value})"
    append_event(
        session, customer_id=customer_id, policy_id=policy.id,
        occurred_at=local_morning(when) if when else utc_now(), kind=kind, amount_fen=None, note=note[:256],
    )
    _paid_premium(session, record, policy, customer_id)
    return "updated"


def _paid_premium(session: Session, record: PolicyRecord, policy: t.Policy, customer_id: int, dry_run: bool = False) -> bool:
    """The single premium a source reports as paid, as an installment (once). Returns
    whether anything is (or would be) written."""
    if record.paid_date is None:
        return False
    existing = session.execute(
        select(t.PremiumInstallment).where(
            t.PremiumInstallment.policy_id == policy.id, t.PremiumInstallment.due_date == record.start_date
        )
    ).scalar_one_or_none()
    if existing is not None and existing.paid_date is not None:
        return False  # a paid installment is history: never rewritten by an import
    if dry_run:
        return True
    if existing is None:
        existing = t.PremiumInstallment(policy_id=policy.id, due_date=record.start_date, amount_fen=record.premium_fen)
        session.add(existing)
    existing.paid_date = record.paid_date
    session.flush()
    append_event(
        session, customer_id=customer_id, policy_id=policy.id, occurred_at=local_morning(record.paid_date),
        kind=HistoryKind.PREMIUM_PAID, amount_fen=existing.amount_fen, note=f"premium_installment#{existing.id}",
    )
    return True


def with_where(errors: list[RowError], where_: int, kind: str) -> list[RowError]:
    return [replace(e, where=where_, kind=kind) for e in errors]
