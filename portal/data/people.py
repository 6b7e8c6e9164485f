"""Realistic but fictitious personal data: names, ID numbers, phones, bank accounts.

Everything is drawn from a caller's ``random.Random`` so generated data is reproducible.
ID numbers follow GB 11643 (region, birth date, sequence with sex parity, check digit).
"""

from __future__ import annotations

import random
from datetime import date

CITIES = ("北京", "上海", "广州", "成都")

# Districts with their GB/T 2260 codes, so ID numbers match the customer's city.
DISTRICTS: dict[str, tuple[tuple[str, str], ...]] = {
    "北京": (("110105", "朝阳区"), ("110108", "海淀区"), ("110102", "西城区")),
    "上海": (("310104", "徐汇区"), ("310115", "浦东新区"), ("310105", "长宁区")),
    "广州": (("440106", "天河区"), ("440104", "越秀区"), ("440105", "海珠区")),
    "成都": (("510107", "武侯区"), ("510104", "锦江区"), ("510106", "金牛区")),
}

STREETS = ("建国路", "中山路", "人民路", "解放路", "长安街", "南京路", "天府大道", "体育西路", "学院路", "和平里")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
MALE_GIVEN = ("伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "建华", "国强", "志刚", "文博", "浩然", "子轩", "宇航", "建军", "海涛", "俊杰")
FEMALE_GIVEN = ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂兰", "淑芬", "雅琴", "欣怡", "梓涵", "雨欣", "婷婷", "晓燕", "春梅", "美玲", "丽华")

PHONE_PREFIXES = ("134", "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "187", "188", "189", "177", "133")

BANKS = (
    ("中国工商银行", "622202"),
    ("中国建设银行", "621700"),
    ("中国农业银行", "622848"),
    ("中国银行", "621661"),
    ("招商银行", "622588"),
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def valid_id_number(value: str) -> bool:
    """18-character resident ID: 17 digits, a valid birth date and the right check digit."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return value[17].upper() == id_check_digit(value[:17])


def make_id_number(rng: random.Random, region: str, birth: date, gender: str) -> str:
    sequence = rng.randint(0, 499) * 2 + (1 if gender == "M" else 0)  # odd = male
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)


def make_name(rng: random.Random, gender: str, surname: str | None = None) -> str:
    given = MALE_GIVEN if gender == "M" else FEMALE_GIVEN
    return (surname or rng.choice(SURNAMES)) + rng.choice(given)


def make_phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            n -= 9 if n > 9 else 0
        total += n
    return str((10 - total % 10) % 10)


def make_bank_account(rng: random.Random) -> tuple[str, str]:
    bank, bin_ = rng.choice(BANKS)
    body = bin_ + f"{rng.randint(0, 999_999_999_999):012d}"
    return bank, body + _luhn_digit(body)


def make_address(rng: random.Random, city: str, district: str) -> str:
    return (
        f"{city}市{district}{rng.choice(STREETS)}{rng.randint(1, 399)}号"
        f"{rng.randint(1, 30)}栋{rng.randint(1, 28)}{rng.randint(1, 4):02d}室"
    )


def make_plate(rng: random.Random, city: str) -> str:
    prefix = {"北京": "京", "上海": "沪", "广州": "粤A", "成都": "川A"}[city]
    if len(prefix) == 1:
        prefix += rng.choice("ABCEFGHJKLMNPQ")
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return prefix + "".join(rng.choice(letters) for _ in range(5))


def person(
    rng: random.Random,
    *,
    city: str,
    birth: date,
    gender: str,
    name: str | None = None,
) -> dict:
    """Customer columns (without id / customer_no) for one person."""
    region, district = rng.choice(DISTRICTS[city])
    bank, account = make_bank_account(rng)
    return {
        "name": name or make_name(rng, gender),
        "id_number": make_id_number(rng, region, birth, gender),
        "birth_date": birth,
        "gender": gender,
        "city": city,
        "phone": make_phone(rng),
        "address": make_address(rng, city, district),
        "payout_bank": bank,
        "payout_account": account,
        "preferred_language": "zh",
    }
