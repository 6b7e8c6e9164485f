"""Deterministic life core CSV files of any size, for the import tests and benchmark.

Row ``n`` (0-based) is policy ``9`` + n as 15 digits of customer ``n // 3``: three
policies per customer, every fifth lapsed, every seventh matured, every fourth with an
explicit coverage list. Every row is valid for any "today" after 2026-01-01.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from portal.data import tables as t
from portal.data.importers.life_core import COLUMNS
from portal.data.people import id_check_digit

HEADER = [zh for zh, _, _ in COLUMNS.values()]
_PRODUCTS = ("CL101", "CL201", "CL301", "CL501", "CL601")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
_CITIES = ("北京", "上海", "广州", "成都")


def customer_fields(c: int) -> dict[str, str]:
    birth = date(1950, 1, 1) + timedelta(days=c % 18000)
    first17 = f"110105{birth:%Y%m%d}{(c // 18000) % 1000:03d}"
    city = _CITIES[c % 4]
    return {
        "客户号": f"BC{c:08d}",
        "投保人姓名": _SURNAMES[c % 20] + _GIVEN[(c // 20) % 20],
        "证件号码": first17 + id_check_digit(first17),
        "出生日期": birth.isoformat(),
        "性别": "男" if int(first17[-1]) % 2 else "女",
        "城市": city,
        "手机号码": f"139{c % 100_000_000:08d}",
        "联系地址": f"{city}市朝阳区建国路{c % 400 + 1}号",
    }


def life_row(n: int) -> dict[str, str]:
    c = n // 3
    start = date(2005, 1, 1) + timedelta(days=(n * 37) % 7000)
    row = {
        "保单号": f"9{n:015d}",
        "险种代码": _PRODUCTS[n % 5],
        "保单状态": "01",
        "状态日期": "",
        **customer_fields(c),
        "被保险人": _SURNAMES[(c + 3) % 20] + _GIVEN[n % 20],
        "受益人": "法定" if n % 2 else "配偶 100%",
        "生效日期": start.isoformat(),
        "满期日期": "",
        "基本保额": f"{(n % 50 + 1) * 10_000:,}.00",
        "期交保费": f"{(n % 97 + 3) * 101}.5",
        "交费方式": "12",
        "交费年期": "20",
        "现金价值": f"{n % 9_000}.36",
        "保障责任": "death:100000;critical_illness:50000" if n % 4 == 0 else "",
    }
    if n % 5 == 1:
        row.update({"保单状态": "02", "状态日期": (start + timedelta(days=400)).isoformat()})
    elif n % 7 == 2:
        start = date(2000, 1, 1) + timedelta(days=(n * 37) % 5000)
        end = start + timedelta(days=3650)
        row["生效日期"] = start.isoformat()
        row.update({"保单状态": "04", "状态日期": end.isoformat(), "满期日期": end.isoformat()})
    return row


def write_life_csv(path: Path, rows: int, *, first: int = 0) -> Path:
    """Rows ``first`` .. ``first + rows - 1`` as a life core CSV file."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        for n in range(first, first + rows):
            r = life_row(n)
            writer.writerow([r[h] for h in HEADER])
    return Path(path)


def add_online_customer(session: Session, username: str, password_hash: str) -> int:
    """A customer with a login outside the generated numbers: the one who keeps using the
    portal while a generated file is imported (benchmark and tests). Returns its id."""
    customer = t.Customer(customer_no="WEB0001", name="在线", id_number="110105198001010011",
                          birth_date=date(1980, 1, 1), gender="M", city="北京", phone="13900000001")
    session.add(customer)
    session.flush()
    session.add(t.UserAccount(username=username, password_hash=password_hash, role="customer", customer_id=customer.id))
    session.flush()
    return customer.id
