"""Life core system export: CSV, one row per policy, its own column names and codes.

The header may use the life core's Chinese column names or their English aliases (see
docs/import-formats.md). Amounts are yuan strings ("12,345.60" or "12345.6"), dates
YYYY-MM-DD, status and payment frequency are life-core codes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from portal.data.importers.common import (
    CustomerFields, FieldReader, HashingReader, PolicyRecord, RowError, parse_coverages,
)
from portal.domain.records import PaymentFrequency, PolicyStatus

SOURCE = "life_core"
LINE = "life"

# canonical key: (life core column name, English alias, required)
COLUMNS: dict[str, tuple[str, str, bool]] = {
    "policy_no": ("保单号", "policy_no", True),
    "product_code": ("险种代码", "product_code", True),
    "status_code": ("保单状态", "status_code", True),
    "status_date": ("状态日期", "status_date", False),
    "customer_no": ("客户号", "customer_no", True),
    "holder_name": ("投保人姓名", "holder_name", True),
    "id_number": ("证件号码", "id_number", True),
    "birth_date": ("出生日期", "birth_date", True),
    "gender": ("性别", "gender", True),
    "city": ("城市", "city", True),
    "phone": ("手机号码", "phone", True),
    "address": ("联系地址", "address", False),
    "insured_name": ("被保险人", "insured_name", True),
    "beneficiaries": ("受益人", "beneficiaries", False),
    "start_date": ("生效日期", "start_date", True),
    "end_date": ("满期日期", "end_date", False),
    "sum_assured": ("基本保额", "sum_assured", True),
    "premium": ("期交保费", "premium", True),
    "frequency_code": ("交费方式", "frequency_code", True),
    "payment_term_years": ("交费年期", "payment_term_years", True),
    "cash_value": ("现金价值", "cash_value", False),
    "coverages": ("保障责任", "coverages", False),
}

STATUS_CODES = {
    "01": PolicyStatus.IN_FORCE,  # 有效
    "02": PolicyStatus.LAPSED,  # 中止
    "03": PolicyStatus.TERMINATED,  # 终止
    "04": PolicyStatus.MATURED,  # 满期
}
STATUS_ALLOWED = "01(有效/in force), 02(中止/lapsed), 03(终止/terminated), 04(满期/matured)"

FREQUENCY_CODES = {
    "0": PaymentFrequency.SINGLE,  # 趸交
    "1": PaymentFrequency.MONTHLY,  # 月交
    "3": PaymentFrequency.QUARTERLY,  # 季交
    "6": PaymentFrequency.SEMI_ANNUAL,  # 半年交
    "12": PaymentFrequency.ANNUAL,  # 年交
}
FREQUENCY_ALLOWED = "0(趸交), 1(月交), 3(季交), 6(半年交), 12(年交)"

_BY_HEADER = {name: key for key, (zh, en, _) in COLUMNS.items() for name in (zh, en)}


def _header(row: list[str]) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """Column positions and display names by canonical key, or file-level errors."""
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    unknown, duplicate = [], []
    for index, name in enumerate(cell.strip().lstrip("\ufeff") for cell in row):
        key = _BY_HEADER.get(name)
        if key is None:
            unknown.append(name or f"#{index + 1}")
        elif key in positions:
            duplicate.append(name)
        else:
            positions[key], labels[key] = index, name
    errors = []
    missing = [COLUMNS[k][0] for k, (_, _, required) in COLUMNS.items() if required and k not in positions]
    if missing:
        errors.append(RowError("missing_columns", {"columns": ", ".join(missing)}, None, "line"))
    if unknown:
        errors.append(RowError("unknown_columns", {"columns": ", ".join(unknown)}, None, "line"))
    if duplicate:
        errors.append(RowError("duplicate_columns", {"columns": ", ".join(duplicate)}, None, "line"))
    return positions, labels, errors


def _record(line: int, cells: dict[str, str], labels: dict[str, str], today: date) -> tuple[PolicyRecord | None, list[RowError]]:
    r = FieldReader(line, "line")

    def label(key: str) -> str:
        return labels.get(key, COLUMNS[key][0])

    def get(key: str) -> str:
        return cells.get(key, "")

    policy_no = r.policy_no(label("policy_no"), get("policy_no"))
    product_code = r.text(label("product_code"), get("product_code"), max_len=32)
    raw_status = get("status_code").strip()
    status = STATUS_CODES.get(raw_status)
    if not raw_status:
        r.fail("missing_value", field=label("status_code"))
    elif status is None:
        r.fail("unknown_status", value=raw_status, allowed=STATUS_ALLOWED)
    status_date = r.day(label("status_date"), get("status_date"), required=False)
    if status is not None and status is not PolicyStatus.IN_FORCE and status_date is None and not get("status_date").strip():
        r.fail("status_date_required", status=raw_status, field=label("status_date"))

    customer_no = r.customer_no(label("customer_no"), get("customer_no"))
    holder = r.text(label("holder_name"), get("holder_name"))
    id_number = r.id_number(label("id_number"), get("id_number"))
    birth = r.day(label("birth_date"), get("birth_date"))
    r.not_future(label("birth_date"), birth, today)
    r.check_birth_date(id_number, birth)
    gender = r.gender(label("gender"), get("gender"))
    city = r.text(label("city"), get("city"), max_len=32)
    phone = r.phone(label("phone"), get("phone"))
    address = r.text(label("address"), get("address"), required=False, max_len=256)

    insured = r.text(label("insured_name"), get("insured_name"))
    beneficiaries = r.text(label("beneficiaries"), get("beneficiaries"), required=False, max_len=256)
    start = r.day(label("start_date"), get("start_date"))
    end = r.day(label("end_date"), get("end_date"), required=False)
    r.check_order(label("start_date"), start, label("end_date"), end)
    r.check_order(label("start_date"), start, label("status_date"), status_date)
    r.not_future(label("status_date"), status_date, today)

    sum_assured = r.yuan(label("sum_assured"), get("sum_assured"))
    premium = r.yuan(label("premium"), get("premium"))
    cash_value = r.yuan(label("cash_value"), get("cash_value"), required=False)
    raw_frequency = get("frequency_code").strip()
    frequency = FREQUENCY_CODES.get(raw_frequency)
    if not raw_frequency:
        r.fail("missing_value", field=label("frequency_code"))
    elif frequency is None:
        r.fail("unknown_frequency", value=raw_frequency, allowed=FREQUENCY_ALLOWED)
    before = len(r.errors)
    term = r.integer(label("payment_term_years"), get("payment_term_years"), low=0, high=100)
    if frequency is not None and len(r.errors) == before:
        if (frequency is PaymentFrequency.SINGLE) != (term == 0):
            r.fail("term_frequency_mismatch")
    coverages = parse_coverages(r, label("coverages"), get("coverages"))

    if r.errors:
        return None, r.errors
    record = PolicyRecord(
        where=line,
        customer=CustomerFields(customer_no, holder, id_number, birth, gender, city, phone, address),
        policy_no=policy_no,
        product_code=product_code,
        status=status,
        status_date=status_date,
        insured_name=insured,
        beneficiaries=beneficiaries,
        start_date=start,
        end_date=end,
        sum_assured_fen=sum_assured,
        premium_fen=premium,
        frequency=frequency,
        term_years=term,
        cash_value_fen=cash_value,
        coverages=coverages,
    )
    return record, []


def iter_records(lines: Iterable[str], today: date) -> Iterator[tuple[PolicyRecord | None, list[RowError]]]:
    """One (record or None, errors) per data row, read as the file is read: nothing of
    earlier rows is kept. Problems with the file as a whole come as (None, [error]) with
    no line (or the line where reading stopped)."""
    reader = csv.reader(lines)
    any_row = False
    try:
        header = next(reader, None)
        if header is None:
            yield None, [RowError("empty_file", {}, None, "line")]
            return
        positions, labels, header_errors = _header(header)
        if header_errors:
            yield None, header_errors
            return
        width = len(header)
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            any_row = True
            if len(row) != width:
                yield None, [RowError("bad_row_shape", {"found": len(row), "expected": width}, line, "line")]
                continue
            cells = {key: row[index] for key, index in positions.items()}
            yield _record(line, cells, labels, today)
    except csv.Error as exc:
        detail = str(exc)
        code = "field_too_large" if "field larger than field limit" in detail else "file_unreadable"
        yield None, [RowError(code, {"detail": detail, "max": csv.field_size_limit()}, reader.line_num or None, "line")]
        return
    except UnicodeDecodeError:
        yield None, [RowError("not_utf8", {}, None, "line")]
        return
    if not any_row:
        yield None, [RowError("empty_file", {}, None, "line")]


def parse(text: str, today: date) -> tuple[list[PolicyRecord], list[RowError]]:
    """Records of the good rows and errors of the bad ones (line numbers are file lines);
    for small files and tests: imports use ``iter_records`` on the open file."""
    records: list[PolicyRecord] = []
    errors: list[RowError] = []
    for record, row_errors in iter_records(io.StringIO(text, newline=""), today):
        if record is not None:
            records.append(record)
        errors.extend(row_errors)
    return records, errors


def records_in_file(path, today: date, digest=None) -> Iterator[tuple[PolicyRecord | None, list[RowError]]]:
    """``iter_records`` over the file as it is read (UTF-8, a BOM accepted); ``digest``
    (a hashlib object), when given, sees every byte read."""
    with open(path, "rb") as raw:
        source = HashingReader(raw, digest) if digest is not None else raw
        text = io.TextIOWrapper(io.BufferedReader(source) if digest is not None else source,
                                encoding="utf-8-sig", newline="")
        yield from iter_records(text, today)
