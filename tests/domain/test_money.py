from decimal import Decimal

import pytest

from portal.domain.money import (
    ZERO,
    format_yuan,
    from_fen,
    round_down,
    round_half_up,
    to_fen,
    total,
    yuan,
)


def test_yuan_rejects_float():
    with pytest.raises(TypeError):
        yuan(0.1)


@pytest.mark.parametrize("value", ["abc", "", "1,000"])
def test_yuan_rejects_non_numbers(value):
    with pytest.raises(ValueError):
        yuan(value)


def test_yuan_quantises_half_up_to_the_fen():
    assert yuan("2.345") == Decimal("2.35")
    assert yuan(7) == Decimal("7.00")
    assert str(yuan(7)) == "7.00"


def test_fen_round_trip():
    assert from_fen(123456) == Decimal("1234.56")
    assert to_fen(Decimal("1234.56")) == 123456
    assert to_fen(Decimal("-0.01")) == -1


def test_to_fen_rejects_fractions_of_a_fen():
    with pytest.raises(ValueError):
        to_fen(Decimal("1.005"))


def test_rounding_is_explicit():
    assert round_half_up(Decimal("2.345")) == Decimal("2.35")
    assert round_half_up(Decimal("2.344")) == Decimal("2.34")
    assert round_down(Decimal("2.349")) == Decimal("2.34")


def test_total():
    assert total([]) == ZERO
    assert total([Decimal("0.10"), Decimal("0.20")]) == Decimal("0.30")  # no float drift


def test_format_yuan():
    assert format_yuan(Decimal("1234.5")) == "¥1,234.50"
    assert format_yuan(Decimal("0")) == "¥0.00"
    assert format_yuan(Decimal("-12.30")) == "-¥12.30"
    assert format_yuan(Decimal("1234567.89")) == "¥1,234,567.89"
