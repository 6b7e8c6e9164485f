"""Money as exact Decimal yuan in Python, integer fen at rest.

Floats never appear: every conversion goes through Decimal strings or integers,
and rounding is always explicit (half-up for charges, down for limits).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def yuan(value: int | str | Decimal) -> Decimal:
    """A Decimal yuan amount quantised to the fen. Rejects floats on purpose."""
    if isinstance(value, float):
        raise TypeError("money must not be built from a float")
    try:
        return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc


def from_fen(fen: int) -> Decimal:
    # scaleb gives the exact two-place value (0 -> 0.00) without a division and quantize,
    # which matters when a 157-policy picture converts thousands of amounts.
    return Decimal(int(fen)).scaleb(-2)


def to_fen(amount: Decimal) -> int:
    """Exact conversion; an amount with fractions of a fen is a bug, not a rounding case."""
    quantised = amount.quantize(FEN)
    if quantised != amount:
        raise ValueError(f"amount {amount} has fractions of a fen")
    return int(quantised * 100)


def round_half_up(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def round_down(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_DOWN)


def total(amounts) -> Decimal:
    return sum((Decimal(a) for a in amounts), ZERO)


def format_yuan(amount: Decimal) -> str:
    """¥1,234.56 — the same in Chinese and English interfaces."""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"
