"""What both importers share: errors, field parsing, and writing validated records.

A source parser turns each row/item into a ``PolicyRecord`` (or ``RowError``s) using a
``FieldReader``; ``pipeline.run_import`` then checks every record against the file and
the database (duplicates, catalogue, customer identity, policy ownership) and, only when
the caller allows it, writes customers, policies, coverages and history in batches.
Nothing is written before every row has been checked, so a rejected file leaves the
database untouched. Free text goes through ``portal.domain.text`` (no control or
invisible characters, nothing a spreadsheet would run as a formula); numbers are ASCII
digits of bounded length.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from portal.data.catalogue import coverages_for
from portal.data.people import valid_id_number
from portal.domain.clock import CHINA_TIME, china_minute
from portal.domain.masking import mask_id_number
from portal.domain.text import has_forbidden_chars, looks_like_formula
from portal.domain.records import HistoryKind, PaymentFrequency, PolicyStatus, Responsibility
from portal.i18n.import_messages import DEFAULT_LANG, message, where

MAX_YUAN = Decimal("10000000000")  # ¥10 billion: anything above is a unit mistake
# A number written with more characters than this is refused before it is converted
# (``int()`` of a long digit string is slow, and above 4,300 digits raises ValueError).
MAX_NUMBER_CHARS = 24
MAX_COVERAGES_CHARS = 512  # the 保障责任 list: 7 responsibilities with generous amounts
RESPONSIBILITIES = tuple(r.value for r in Responsibility)

# Problems with the file as a whole: nothing can be imported, even with --skip-bad-rows.
FILE_LEVEL_CODES = frozenset(
    {"file_unreadable", "not_utf8", "empty_file", "missing_columns", "unknown_columns",
     "duplicate_columns", "malformed_json", "not_a_list", "file_too_large", "field_too_large",
     "too_deep", "number_too_long_in_file", "file_changed"}
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
    customer_exists: bool = False  # set by the database checks


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
    # The database changed under a running import: the batches before stayed written.
    stopped: bool = False

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
        elif self.stopped:
            out.append(message("stopped", {"written": self.created + self.updated + self.unchanged}, lang))
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
# ASCII digits only ([0-9], never \d: that also matches full-width and other scripts'
# digits, which Decimal() and int() would then read as numbers).
_YUAN = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PHONE = re.compile(r"^1[0-9]{10}$")
_POLICY_NO = re.compile(r"^[A-Za-z0-9-]{6,40}$")
_CUSTOMER_NO = re.compile(r"^[A-Za-z0-9-]{4,32}$")


def _shown(text: str, limit: int = 40) -> str:
    """A value as a message shows it: long values cut short."""
    return text if len(text) <= limit else text[:limit] + "…"


def _shown_int(value: int) -> str:
    if abs(value) < 10**40:
        return str(value)
    return ("-" if value < 0 else "") + f"~10^{int(value.bit_length() * 0.30103)}"


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
            self.fail("wrong_type", field=name, expected="type.string", value=_shown(repr(value)))
            return ""
        if has_forbidden_chars(value):  # before strip(): a tab or newline at either end counts
            self.fail("text_control_chars", field=name)
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
        if pattern is None and looks_like_formula(value):
            self.fail("text_formula", field=name, value=value)
            return ""
        return value

    def yuan(self, name: str, value: str | None, *, required: bool = True) -> int:
        """'12,345.60' / '12345.6' / '12345' yuan -> fen. Never goes through float."""
        raw = (value or "").strip()
        if not raw:
            if required:
                self.fail("missing_value", field=name)
            return 0
        if len(raw) > MAX_NUMBER_CHARS:
            self.fail("number_too_long", field=name, max=MAX_NUMBER_CHARS)
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
            self.fail("wrong_type", field=name, expected="type.integer", value=_shown(repr(value)))
            return 0
        if abs(value) > MAX_YUAN * 100:  # compared, never printed: str() of a huge int raises
            self.fail("amount_too_large", field=name, value=_shown_int(value))
            return 0
        if value < 0:
            self.fail("negative_amount", field=name, value=value)
            return 0
        return value

    def day(self, name: str, value, *, required: bool = True) -> date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail("missing_value", field=name)
            return None
        if not isinstance(value, str):
            self.fail("wrong_type", field=name, expected="type.string", value=_shown(repr(value)))
            return None
        raw = value.strip()
        if len(raw) > MAX_NUMBER_CHARS:
            self.fail("too_long", field=name, max=MAX_NUMBER_CHARS)
            return None
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
        if len(raw) > MAX_NUMBER_CHARS:
            self.fail("number_too_long", field=name, max=MAX_NUMBER_CHARS)
            return 0
        if not re.fullmatch(r"[0-9]+", raw):
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
            self.fail("bad_boolean", field=name, value=_shown(repr(value)))
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
    if len(raw) > MAX_COVERAGES_CHARS:
        reader.fail("too_long", field=name, max=MAX_COVERAGES_CHARS)
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


def policy_values(record: PolicyRecord, source: str, line: str, customer_id: int) -> dict:
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


def coverage_rows(record: PolicyRecord, product_kind: str) -> list[tuple[str, int]]:
    if record.coverages is not None:
        return sorted(record.coverages)
    return sorted((r.value, amount) for r, amount in coverages_for(product_kind, record.sum_assured_fen))


class HashingReader(io.RawIOBase):
    """A binary file whose every byte read also goes into ``digest``: the pass that
    writes proves it read the very file the validating pass checked."""

    def __init__(self, raw, digest):
        self._raw, self._digest = raw, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self._digest.update(memoryview(buffer)[:n])
        return n
