import pytest

from portal.domain.masking import mask_account, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize("fn", [mask_id_number, mask_phone, mask_account, mask_name])
def test_empty_input_gives_empty(fn):
    assert fn("") == ""


def test_id_number_shows_last_four_only():
    assert mask_id_number("11010519900307123X") == "**************123X"
    assert mask_id_number("12345") == "*2345"


@pytest.mark.parametrize("short", ["1", "1234"])
def test_short_id_number_fully_masked(short):
    assert mask_id_number(short) == "*" * len(short)


def test_mobile_phone_keeps_first_three_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"


def test_other_phone_keeps_last_two():
    assert mask_phone("010-6512345") == "********45"  # 0106512345: 10 chars
    assert mask_phone("12") == "**"


def test_account_shows_last_four():
    assert mask_account("6222 0202 0000 1234") == "**** **** 1234"
    assert mask_account("62220202000012345678") == "**** **** 5678"
    assert mask_account("123") == "***"


def test_chinese_names():
    assert mask_name("张丽") == "张*"
    assert mask_name("张小丽") == "张*丽"
    assert mask_name("欧阳小丽") == "欧**丽"
    assert mask_name("张") == "*"


def test_latin_names():
    assert mask_name("John Smith") == "J* S*"
    assert mask_name("  Anna  ") == "A*"
