"""Masking of personal identifiers for display and notices (PRODUCT: masked by default).

Rules (copied to the README):

* identity number: only the last 4 characters show: ``**************1234``; 4 characters
  or fewer are masked entirely (showing all of a short value would hide nothing).
* phone: an 11-digit mobile number keeps its first 3 and last 4 digits: ``138****5678``;
  any other number keeps only its last 2 characters.
* bank account: ``**** **** 1234``, whatever the length (the length itself is not shown).
* name: Chinese names keep the surname and, from 3 characters on, the last character:
  ``张*``, ``张*丽``, ``欧**丽``; Latin names keep the first letter of each word: ``J* S*``.
* empty input gives "".
"""

from __future__ import annotations

MASK = "*"
_SEPARATORS = str.maketrans("", "", " -")


def _mask_all_but_last(value: str, keep: int) -> str:
    if len(value) <= keep:
        return MASK * len(value)
    return MASK * (len(value) - keep) + value[-keep:]


def mask_id_number(s: str) -> str:
    return _mask_all_but_last(s.strip(), 4)


def mask_phone(s: str) -> str:
    compact = s.strip().translate(_SEPARATORS)
    if len(compact) == 11 and compact.isdigit():
        return f"{compact[:3]}{MASK * 4}{compact[-4:]}"
    return _mask_all_but_last(compact, 2)


def mask_account(s: str) -> str:
    compact = s.strip().translate(_SEPARATORS)
    if not compact:
        return ""
    if len(compact) <= 4:
        return MASK * len(compact)
    return f"{MASK * 4} {MASK * 4} {compact[-4:]}"


def _is_latin(name: str) -> bool:
    return name.isascii()


def _mask_chinese(name: str) -> str:
    if len(name) <= 1:
        return MASK * len(name)
    if len(name) == 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]


def mask_name(s: str) -> str:
    name = s.strip()
    if not name:
        return ""
    if _is_latin(name):
        return " ".join(word[0] + MASK for word in name.split())
    return _mask_chinese(name)


def mask_customer_no(s: str) -> str:
    """A customer number for a watermark: first 2 and last 4 characters."""
    s = s or ""
    return s if len(s) <= 6 else s[:2] + "*" * (len(s) - 6) + s[-4:]
