"""Property core system export: JSON, an array of policy objects.

Each object nests its policyholder, the insured party with the insured vehicle or home,
and a one-year period; money is integer fen, status is a word, ``autoRenew`` a boolean.
Errors are located by item number (1-based).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from portal.data.builder import one_year_end
from portal.data.importers.common import CustomerFields, FieldReader, PolicyRecord, RowError
from portal.domain.records import PaymentFrequency, PolicyStatus, Responsibility

# Deepest nesting an item may have: the format needs 4 (item > insured > vehicle), the
# rest is slack. Much deeper input is refused before Python's recursion limit is reached.
MAX_DEPTH = 16

SOURCE = "property_core"
LINE = "property"

STATUS_WORDS = {
    "active": PolicyStatus.IN_FORCE,
    "expired": PolicyStatus.MATURED,  # the one-year period ran out
    "cancelled": PolicyStatus.TERMINATED,
}
STATUS_ALLOWED = "active, expired, cancelled"

_PLATE = re.compile(r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z]·?[A-Z0-9]{5,6}$")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_RESPONSIBILITIES = tuple(r.value for r in Responsibility)


def _object(r: FieldReader, name: str, value, *, required: bool = True) -> dict:
    if value is None:
        if required:
            r.fail("missing_value", field=name)
        return {}
    if not isinstance(value, dict):
        r.fail("wrong_type", field=name, expected="type.object", value=type(value).__name__)
        return {}
    return value


def _insured_object(r: FieldReader, insured: dict, product_code: str) -> str:
    """Validates the vehicle / home and returns its description for the issue event."""
    vehicle, home = insured.get("vehicle"), insured.get("property")
    if product_code.startswith("PA"):
        v = _object(r, "insured.vehicle", vehicle, required=False)
        if not v:
            if vehicle is None:
                r.fail("missing_object")
            return ""
        plate = r.text("insured.vehicle.plateNo", v.get("plateNo"), max_len=16)
        if plate and not _PLATE.match(plate):
            r.fail("bad_plate", value=plate)
        vin = r.text("insured.vehicle.vin", v.get("vin"), required=False, max_len=17 + 8)
        if vin and not _VIN.match(vin):
            r.fail("bad_vin", value=vin)
        model = r.text("insured.vehicle.model", v.get("model"), required=False)
        return " ".join(part for part in ("车辆", plate, model) if part)
    if product_code.startswith("PH"):
        p = _object(r, "insured.property", home, required=False)
        if not p:
            if home is None:
                r.fail("missing_object")
            return ""
        address = r.text("insured.property.address", p.get("address"), max_len=128)
        area = p.get("areaSqm")
        if area is not None and (isinstance(area, bool) or not isinstance(area, int) or area <= 0):
            r.fail("wrong_type", field="insured.property.areaSqm", expected="type.integer", value=repr(area))
            area = None
        return " ".join(part for part in ("房屋", address, f"{area}平方米" if area else "") if part)
    return ""


def _coverages(r: FieldReader, value) -> tuple[tuple[str, int], ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        r.fail("wrong_type", field="coverages", expected="type.list", value=type(value).__name__)
        return None
    out = []
    for index, entry in enumerate(value, start=1):
        name = f"coverages[{index}]"
        entry = _object(r, name, entry)
        if not entry:
            continue
        responsibility = r.text(f"{name}.responsibility", entry.get("responsibility"), max_len=32)
        if responsibility and responsibility not in _RESPONSIBILITIES:
            r.fail("unknown_responsibility", value=responsibility, allowed=", ".join(_RESPONSIBILITIES))
            continue
        before = len(r.errors)
        amount = r.fen(f"{name}.amountFen", entry.get("amountFen"))
        if responsibility and len(r.errors) == before:
            out.append((responsibility, amount))
    return tuple(out)


def _record(item_no: int, item, today: date) -> tuple[PolicyRecord | None, list[RowError]]:
    r = FieldReader(item_no, "item")
    if not isinstance(item, dict):
        r.fail("item_not_object")
        return None, r.errors

    policy_no = r.policy_no("policyNo", item.get("policyNo"))
    product_code = r.text("productCode", item.get("productCode"), max_len=32)
    raw_status = item.get("status")
    status = STATUS_WORDS.get(raw_status) if isinstance(raw_status, str) else None
    if raw_status is None or raw_status == "":
        r.fail("missing_value", field="status")
    elif status is None:
        r.fail("unknown_status", value=raw_status, allowed=STATUS_ALLOWED)
    status_date = r.day("statusDate", item.get("statusDate"), required=False)
    r.not_future("statusDate", status_date, today)
    if status is PolicyStatus.TERMINATED and status_date is None and item.get("statusDate") in (None, ""):
        r.fail("status_date_required", status=raw_status, field="statusDate")

    holder = _object(r, "policyholder", item.get("policyholder"))
    customer_no = r.customer_no("policyholder.customerNo", holder.get("customerNo")) if holder else ""
    name = r.text("policyholder.name", holder.get("name")) if holder else ""
    id_number = r.id_number("policyholder.idNumber", holder.get("idNumber")) if holder else ""
    birth = r.day("policyholder.birthDate", holder.get("birthDate")) if holder else None
    r.not_future("policyholder.birthDate", birth, today)
    r.check_birth_date(id_number, birth)
    gender = r.gender("policyholder.gender", holder.get("gender")) if holder else ""
    city = r.text("policyholder.city", holder.get("city"), max_len=32) if holder else ""
    phone = r.phone("policyholder.phone", holder.get("phone")) if holder else ""
    address = r.text("policyholder.address", holder.get("address"), required=False, max_len=256) if holder else ""

    insured = _object(r, "insured", item.get("insured"))
    insured_name = r.text("insured.name", insured.get("name")) if insured else ""
    description = _insured_object(r, insured, product_code) if insured else ""

    period = _object(r, "period", item.get("period"))
    start = r.day("period.start", period.get("start")) if period else None
    end = r.day("period.end", period.get("end")) if period else None
    if start and end and not (start < end <= one_year_end(start)):
        r.fail("bad_period", start=start.isoformat(), end=end.isoformat())
    r.check_order("period.start", start, "statusDate", status_date)

    sum_insured = r.fen("sumInsuredFen", item.get("sumInsuredFen"))
    premium = r.fen("premiumFen", item.get("premiumFen"))
    auto_renew = r.boolean("autoRenew", item.get("autoRenew"))
    coverages = _coverages(r, item.get("coverages"))
    paid_date = r.day("paidDate", item.get("paidDate"), required=False)
    r.not_future("paidDate", paid_date, today)

    if r.errors:
        return None, r.errors
    if status is PolicyStatus.MATURED and status_date is None:
        status_date = end
    return (
        PolicyRecord(
            where=item_no,
            customer=CustomerFields(customer_no, name, id_number, birth, gender, city, phone, address),
            policy_no=policy_no,
            product_code=product_code,
            status=status,
            status_date=status_date,
            insured_name=insured_name,
            beneficiaries="",
            start_date=start,
            end_date=end,
            sum_assured_fen=sum_insured,
            premium_fen=premium,
            frequency=PaymentFrequency.SINGLE,
            term_years=0,
            auto_renew=auto_renew,
            coverages=coverages,
            paid_date=paid_date,
            issue_note=description,
        ),
        [],
    )


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _depth(value, limit: int) -> int:
    """Nesting depth of a parsed item, counting no further than ``limit`` + 1."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _malformed(text: str, exc: json.JSONDecodeError) -> RowError:
    return RowError("malformed_json", {"column": exc.colno, "detail": exc.msg}, exc.lineno, "line")


def _items(text: str) -> Iterator[tuple[int, object] | RowError]:
    """The array's items one by one (each parsed on its own, so no second copy of the
    whole file is built), or a file-level error where the file stops being readable."""
    pos = _WHITESPACE.match(text, 0).end()
    if not text.startswith("[", pos):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            yield _malformed(text, exc)
        except (RecursionError, ValueError):
            yield RowError("too_deep", {"max": MAX_DEPTH}, None, "item")
        else:
            yield RowError("not_a_list", {}, None, "item")
        return
    pos = _WHITESPACE.match(text, pos + 1).end()
    if text.startswith("]", pos):
        after = _WHITESPACE.match(text, pos + 1).end()
        if after != len(text):
            yield _malformed(text, json.JSONDecodeError("Extra data", text, after))
        else:
            yield RowError("empty_file", {}, None, "item")
        return
    number = 0
    while True:
        number += 1
        try:
            item, pos = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield _malformed(text, exc)
            return
        except RecursionError:
            yield RowError("too_deep", {"max": MAX_DEPTH}, number, "item")
            return
        except ValueError:  # an integer longer than Python reads from a string (4,300 digits)
            yield RowError("number_too_long_in_file", {}, number, "item")
            return
        if _depth(item, MAX_DEPTH) > MAX_DEPTH:
            yield RowError("too_deep", {"max": MAX_DEPTH}, number, "item")
            return
        yield number, item
        pos = _WHITESPACE.match(text, pos).end()
        if text.startswith(",", pos):
            pos = _WHITESPACE.match(text, pos + 1).end()
            continue
        if text.startswith("]", pos):
            after = _WHITESPACE.match(text, pos + 1).end()
            if after != len(text):
                yield _malformed(text, json.JSONDecodeError("Extra data", text, after))
            return
        yield _malformed(text, json.JSONDecodeError("Expecting ',' delimiter", text, pos))
        return


def iter_records(text: str, today: date) -> Iterator[tuple[PolicyRecord | None, list[RowError]]]:
    """One (record or None, errors) per item; a file-level problem comes as (None, [error])."""
    for entry in _items(text):
        if isinstance(entry, RowError):
            yield None, [entry]
            return
        number, item = entry
        yield _record(number, item, today)


def parse(text: str, today: date) -> tuple[list[PolicyRecord], list[RowError]]:
    records, errors = [], []
    for record, item_errors in iter_records(text, today):
        if record is not None:
            records.append(record)
        errors.extend(item_errors)
    if any(e.code == "malformed_json" for e in errors):
        errors = [e for e in errors if e.code == "malformed_json"]
    return records, errors


def records_in_file(path, today: date, digest=None) -> Iterator[tuple[PolicyRecord | None, list[RowError]]]:
    """``iter_records`` over the file. JSON is held as one string while its items are
    parsed one at a time (the file size limit bounds it); ``digest`` sees every byte."""
    content = Path(path).read_bytes()
    if digest is not None:
        digest.update(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield None, [RowError("not_utf8", {}, None, "item")]
        return
    del content
    yield from iter_records(text, today)
