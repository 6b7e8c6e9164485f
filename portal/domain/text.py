"""One rule for free text and numbers that come in from outside. Pure.

* **Free text** (names, addresses, beneficiaries, cities, notes…) must not hold control
  characters (Unicode category Cc: none is allowed, not even tab or newline) nor the
  invisible format characters that disguise text: zero-width space / non-joiner / joiner
  (U+200B–U+200D), word joiner (U+2060), the byte-order mark (U+FEFF), the bidi embeddings
  and overrides (U+202A–U+202E) and isolates (U+2066–U+2069). Any other Cf character is
  refused too; none belongs in a name or an address.
* **Formula-like text**: a value a spreadsheet would run as a formula when the data is
  exported (it starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return, e.g.
  ``=cmd|' /C calc'!A0``) is refused where it comes in, and ``formula_safe`` neutralises
  any cell the portal writes to CSV (a leading single quote).
* **Numbers** are ASCII digits only: ``str.isdigit``, ``\\d`` and ``Decimal`` also accept
  Arabic-Indic, full-width and other scripts' digits, so ``Decimal("١٠٠٠")`` is 1000.
  ``ascii_digits_only`` is the check every amount and number parser applies.

``text_problem`` names what is wrong as a short code (``"control_chars"`` or
``"formula"``); callers turn it into their own catalog message.
"""

from __future__ import annotations

import unicodedata

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Named for the docs and tests; every Cf character is refused anyway.
INVISIBLE_FORMAT_CHARS = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff" "\u202a\u202b\u202c\u202d\u202e" "\u2066\u2067\u2068\u2069"
)


def has_forbidden_chars(value: str) -> bool:
    """True when ``value`` holds a control (Cc) or format (Cf) character."""
    if value.isprintable():  # fast path (C): printable text has neither Cc nor Cf
        return False
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def looks_like_formula(value: str) -> bool:
    """True when a spreadsheet would treat ``value`` as a formula."""
    return value.startswith(FORMULA_PREFIXES)


def text_problem(value: str, *, formula: bool = True) -> str | None:
    """``"control_chars"``, ``"formula"`` or None for acceptable free text.

    ``formula=False`` for the few fields whose valid values may start with ``-`` or ``+``
    (none of the portal's free-text fields today)."""
    if has_forbidden_chars(value):
        return "control_chars"
    if formula and looks_like_formula(value):
        return "formula"
    return None


def ascii_digits_only(value: str) -> bool:
    """True when every digit in ``value`` is an ASCII 0–9 (other characters are the
    caller's business)."""
    return all(ch in "0123456789" for ch in value if ch.isnumeric())


def formula_safe(value: str) -> str:
    """A cell that a spreadsheet shows as text: a leading single quote before a value
    starting with = + - @ tab or CR; every other value unchanged."""
    return "'" + value if looks_like_formula(value) else value
