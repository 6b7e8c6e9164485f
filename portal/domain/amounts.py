"""Reading an amount of money a customer typed. Pure.

Accepted: ASCII digits (full-width ones from Chinese input methods are read as ASCII;
Arabic-Indic and other scripts' digits are refused, see ``portal.domain.text``) with at most two decimals, optional thousands separators, an optional
leading ¥. Refused, each with its own message: empty, not a number, negative, zero, more
than two decimals, absurdly large. Never goes through float.
"""

from __future__ import annotations

import re
from decimal import Decimal

from portal.domain.rejections import Rejected
from portal.domain.text import ascii_digits_only

# Far above any real policy amount, and well inside a 64-bit fen column.
MAX_AMOUNT = Decimal("1000000000.00")

_NUMBER = re.compile(r"^[+-]?([0-9]+(,[0-9]{3})*|[0-9]*)(\.[0-9]*)?$")


def parse_amount(text) -> Decimal:
    """The amount as Decimal yuan with exactly two places, or ``Rejected``."""
    if not isinstance(text, (str, int)) or isinstance(text, bool):
        raise Rejected("error.amount_not_number")
    if isinstance(text, int) and abs(text) > MAX_AMOUNT:
        # str() of an int above 4,300 digits raises ValueError: refuse by size first.
        raise Rejected("error.amount_too_large" if text > 0 else "error.amount_negative")
    raw = str(text).strip().replace("¥", "").replace("￥", "").replace(" ", "")
    # Full-width digits and separators come from Chinese input methods.
    raw = raw.translate(str.maketrans("０１２３４５６７８９．，－", "0123456789.,-"))
    if raw == "":
        raise Rejected("error.amount_empty")
    if not ascii_digits_only(raw) or not _NUMBER.match(raw) or not any(ch.isdigit() for ch in raw):
        raise Rejected("error.amount_not_number")
    value = Decimal(raw.replace(",", ""))
    if value < 0:
        raise Rejected("error.amount_negative")
    if value == 0:
        raise Rejected("error.amount_zero")
    # Size first: quantize() on a number longer than the 28-digit context would raise
    # InvalidOperation instead of refusing it.
    if value > MAX_AMOUNT:
        raise Rejected("error.amount_too_large")
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        raise Rejected("error.amount_decimals")
    return value.quantize(Decimal("0.01"))
