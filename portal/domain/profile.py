"""Checking a customer's new contact and payout details. Pure.

Rules (copied to the README): a mainland mobile number (11 digits starting 13–19, spaces
and dashes ignored); an address of 5–120 characters without control or invisible format
characters and not starting like a spreadsheet formula (``portal.domain.text``); a payout account of 12–19 digits at a
bank from the list (picked, not typed).
"""

from __future__ import annotations

import re

from portal.domain.rejections import Rejected
from portal.domain.text import text_problem

BANKS = (
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "交通银行",
    "招商银行",
    "中国邮政储蓄银行",
    "兴业银行",
)

# ASCII digits only: ``\d`` alone also matches full-width and other scripts' digits,
# which would then be stored as the phone number or payout account.
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_ACCOUNT = re.compile(r"^[0-9]{12,19}$")
# Full-width digits come from Chinese input methods (as in amounts.py).
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _compact(text) -> str:
    if not isinstance(text, str):
        return ""
    return re.sub(r"[\s-]", "", text).translate(_FULL_WIDTH_DIGITS)


def clean_phone(text) -> str:
    phone = _compact(text)
    if not _MOBILE.match(phone):
        raise Rejected("error.phone_invalid")
    return phone


def clean_address(text) -> str:
    """Spaces are collapsed; control and invisible format characters (a newline too) and
    formula-like text are refused (``portal.domain.text``)."""
    raw = text.strip(" \u3000") if isinstance(text, str) else ""
    problem = text_problem(raw)
    if problem is not None:
        raise Rejected(f"error.address_{problem}")
    address = " ".join(raw.split())
    if not 5 <= len(address) <= 120:
        raise Rejected("error.address_invalid")
    return address


def clean_payout(bank, account) -> tuple[str, str]:
    if bank not in BANKS:
        raise Rejected("error.bank_invalid")
    number = _compact(account)
    if not _ACCOUNT.match(number):
        raise Rejected("error.account_invalid")
    return bank, number
