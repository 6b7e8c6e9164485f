"""Property core system export: JSON, an array of policy objects.

Each object nests its policyholder, the insured party with the insured vehicle or home,
and a one-year period; money is integer fen, status is a word, ``autoRenew`` a boolean.
Errors are located by item number (1-based).
"""

from __future__ import annotations

import json
import re
from datetime import date

from portal.data.builder import one_year_end
from portal.data.importers.common import CustomerFields, FieldReader, PolicyRecord, RowError
from portal.domain.records import PaymentFrequency, PolicyStatus, Responsibility

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


def parse(text: str, today: date) -> tuple[list[PolicyRecord], list[RowError]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [RowError("malformed_json", {"column": exc.colno, "detail": exc.msg}, exc.lineno, "line")]
    if not isinstance(data, list):
        return [], [RowError("not_a_list", {}, None, "item")]
    if not data:
        return [], [RowError("empty_file", {}, None, "item")]
    records, errors = [], []
    for index, item in enumerate(data, start=1):
        record, item_errors = _record(index, item, today)
        if record is not None:
            records.append(record)
        errors.extend(item_errors)
    return records, errors
