"""Importers: good files land with the right values; bad files say what and where, and
leave the database exactly as it was."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from portal.data import tables as t
from portal.data.catalogue import ensure_products
from portal.data.history import verify_chain
from portal.data.import_policies import import_file
from portal.data.importers.life_core import COLUMNS
from portal.data.people import id_check_digit
from portal.i18n.import_messages import MESSAGES
from tests.data.helpers import dump, new_engine

# The sample files are static: every date in them lies before this day.
TODAY = date(2026, 11, 21)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "portal" / "data" / "samples"
HEADER = [zh for zh, _, _ in COLUMNS.values()]


def make_id(region: str, birth: str, seq: str) -> str:
    return region + birth + seq + id_check_digit(region + birth + seq)


EXISTING_ID = make_id("110108", "19800101", "013")


@pytest.fixture()
def engine(tmp_path):
    engine = new_engine(tmp_path / "import.db")
    with Session(engine) as session:
        ensure_products(session)
        session.add(
            t.Customer(
                customer_no="EX00000001", name="钱进", id_number=EXISTING_ID, birth_date=date(1980, 1, 1),
                gender="M", city="北京", phone="13900000000",
            )
        )
        session.commit()
    return engine


def row(**overrides) -> dict:
    base = {
        "保单号": "2020110000990001", "险种代码": "CL101", "保单状态": "01", "状态日期": "",
        "客户号": "LC20000001", "投保人姓名": "周明", "证件号码": make_id("110105", "19750520", "017"),
        "出生日期": "1975-05-20", "性别": "男", "城市": "北京", "手机号码": "13811112222", "联系地址": "",
        "被保险人": "周明", "受益人": "法定", "生效日期": "2020-05-01", "满期日期": "",
        "基本保额": "100,000.00", "期交保费": "3,456.70", "交费方式": "12", "交费年期": "20",
        "现金价值": "12,345.60", "保障责任": "",
    }
    base.update(overrides)
    return base


def csv_file(tmp_path: Path, rows: list[dict], header: list[str] = HEADER, name: str = "life.csv") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    path = tmp_path / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def json_file(tmp_path: Path, content, name: str = "property.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def auto_item(**overrides) -> dict:
    item = {
        "policyNo": "PDAA2026110000990001",
        "productCode": "PA01",
        "status": "active",
        "policyholder": {
            "customerNo": "EX00000001", "name": "钱进", "idNumber": EXISTING_ID, "birthDate": "1980-01-01",
            "gender": "M", "city": "北京", "phone": "13900000000",
        },
        "insured": {"name": "钱进", "vehicle": {"plateNo": "京A12345", "vin": "LSVAU2180N2183456", "model": "大众 帕萨特"}},
        "period": {"start": "2026-01-01", "end": "2026-12-31"},
        "sumInsuredFen": 20000000,
        "premiumFen": 456789,
        "autoRenew": True,
        "paidDate": "2025-12-30",
    }
    item.update(overrides)
    return item


def run(engine, source: str, path: Path, **kwargs):
    return import_file(engine, source, path, today=TODAY, **kwargs)


def q(engine, sql: str, **params):
    with Session(engine) as session:
        return session.execute(text(sql), params).all()


# -- good files ------------------------------------------------------------------------
def test_life_sample_imports_with_exact_values(engine):
    report = run(engine, "life", SAMPLES / "life_core_sample.csv")
    assert report.ok and report.created == 6
    policy = q(
        engine,
        "SELECT p.status, p.premium_fen, p.sum_assured_fen, p.cash_value_fen, p.payment_frequency, "
        "p.payment_term_years, p.source_system, p.line, c.customer_no, c.gender FROM policy p "
        "JOIN customer c ON c.id = p.policyholder_id WHERE p.policy_no = '2015110000880001'",
    )[0]
    assert tuple(policy) == ("in_force", 680000, 20000000, 4125036, "annual", 20, "life_core", "life", "LC10000001", "M")
    matured = q(engine, "SELECT status, status_date, premium_fen, end_date FROM policy WHERE policy_no = '2012110000880002'")[0]
    assert (matured[0], str(matured[1])[:10], matured[2], str(matured[3])[:10]) == ("matured", "2024-09-01", 368050, "2024-08-31")
    statuses = dict(q(engine, "SELECT policy_no, status FROM policy"))
    assert statuses["2021440000880004"] == "lapsed" and statuses["2018110000880006"] == "terminated"
    assert dict(q(engine, "SELECT policy_no, payment_frequency FROM policy"))["2023510000880005"] == "monthly"
    coverages = q(
        engine,
        "SELECT c.responsibility, c.amount_fen FROM policy_coverage c JOIN policy p ON p.id = c.policy_id "
        "WHERE p.policy_no = '2021440000880004' ORDER BY 1",
    )
    assert [tuple(c) for c in coverages] == [("critical_illness", 30000000), ("death", 30000000)]
    derived = q(
        engine,
        "SELECT c.responsibility FROM policy_coverage c JOIN policy p ON p.id = c.policy_id "
        "WHERE p.policy_no = '2015110000880001' ORDER BY 1",
    )
    assert [c[0] for c in derived] == ["death", "disability"]  # from the product kind
    assert q(engine, "SELECT COUNT(*) FROM customer WHERE customer_no LIKE 'LC%'")[0][0] == 4
    issued = q(engine, "SELECT COUNT(*) FROM history_event WHERE kind = 'policy_issued'")[0][0]
    assert issued == 6
    with Session(engine) as session:
        assert verify_chain(session) == []


def test_property_sample_imports_with_exact_values(engine):
    run(engine, "life", SAMPLES / "life_core_sample.csv")  # the JSON's policyholders exist there
    report = run(engine, "property", SAMPLES / "property_core_sample.json")
    assert report.ok and report.created == 3, report.lines("en")
    rows = {
        r[0]: r
        for r in q(
            engine,
            "SELECT policy_no, status, auto_renew, premium_fen, sum_assured_fen, line, payment_frequency, end_date, "
            "source_system FROM policy WHERE line = 'property'",
        )
    }
    auto = rows["PDAA2026440000770001"]
    assert (auto[1], bool(auto[2]), auto[3], auto[4], auto[6], str(auto[7])[:10], auto[8]) == (
        "in_force", True, 512050, 18000000, "single", "2027-02-28", "property_core",
    )
    assert rows["PDAA2025510000770003"][1] == "matured" and not rows["PQAH2026110000770002"][2]
    paid = q(
        engine,
        "SELECT i.amount_fen, i.paid_date, h.amount_fen FROM premium_installment i JOIN policy p ON p.id = i.policy_id "
        "JOIN history_event h ON h.note = 'premium_installment#' || i.id WHERE p.policy_no = 'PDAA2026440000770001'",
    )
    assert [(a, str(b)[:10], c) for a, b, c in paid] == [(512050, "2026-02-26", 512050)]
    note = q(engine, "SELECT h.note FROM history_event h JOIN policy p ON p.id = h.policy_id "
                     "WHERE p.policy_no = 'PDAA2026440000770001' AND h.kind = 'policy_issued'")[0][0]
    assert "粤A·D12345" in note
    owner = q(engine, "SELECT c.customer_no FROM policy p JOIN customer c ON c.id = p.policyholder_id "
                      "WHERE p.policy_no = 'PQAH2026110000770002'")[0][0]
    assert owner == "LC10000001"  # matched to the customer the life core created


# -- bad files: clear message with the line, database untouched --------------------------
BAD_LIFE_ROWS = [
    ("bad_amount", {"期交保费": "12,34.5"}, "期交保费"),
    ("bad_amount", {"基本保额": "1e5"}, "基本保额"),
    ("bad_date", {"生效日期": "2021-02-30"}, "生效日期"),
    ("bad_date", {"出生日期": "1975/05/20"}, "出生日期"),
    ("unknown_product", {"险种代码": "CL999"}, "CL999"),
    ("product_line_mismatch", {"险种代码": "PA01"}, "PA01"),
    ("unknown_status", {"保单状态": "05"}, "05"),
    ("negative_amount", {"期交保费": "-100.00"}, "期交保费"),
    ("unknown_frequency", {"交费方式": "2"}, "2"),
    ("bad_id_number", {"证件号码": "110105197505200170"}, "0170"),
    ("birth_date_mismatch", {"出生日期": "1975-05-21"}, "1975-05-21"),
    ("bad_phone", {"手机号码": "1381111222"}, "1381111222"),
    ("missing_value", {"被保险人": ""}, "被保险人"),
    ("status_date_required", {"保单状态": "03"}, "状态日期"),
    ("date_order", {"满期日期": "2019-01-01"}, "满期日期"),
    ("term_frequency_mismatch", {"交费方式": "0"}, ""),
    ("unknown_responsibility", {"保障责任": "death:100000;flood:5"}, "flood"),
]


@pytest.mark.parametrize("code, overrides, mentioned", BAD_LIFE_ROWS)
def test_bad_life_row_is_reported_with_its_line_and_nothing_is_imported(engine, tmp_path, code, overrides, mentioned):
    before = dump(engine)
    good = row()
    bad = row(**{"保单号": "2020110000990002", **overrides})
    report = run(engine, "life", csv_file(tmp_path, [good, bad, row(**{"保单号": "2020110000990003"})]))
    assert report.rolled_back and [e.code for e in report.errors] == [code]
    error = report.errors[0]
    assert error.where == 3
    assert error.render("zh").startswith("第 3 行：") and mentioned in error.render("zh")
    assert error.render("en").startswith("line 3: ")
    assert dump(engine) == before


def test_id_number_conflicting_with_an_existing_customer(engine, tmp_path):
    before = dump(engine)
    other_id = make_id("110108", "19800101", "035")
    path = csv_file(tmp_path, [row(), row(**{"保单号": "2020110000990009", "客户号": "EX00000001", "证件号码": other_id,
                                            "出生日期": "1980-01-01"})])
    report = run(engine, "life", path)
    assert [(e.code, e.where) for e in report.errors] == [("id_number_conflict", 3)]
    message = report.errors[0].render("zh")
    assert "EX00000001" in message and EXISTING_ID not in message and other_id[-4:] in message  # masked
    assert dump(engine) == before


def test_id_number_belonging_to_another_customer(engine, tmp_path):
    path = csv_file(tmp_path, [row(**{"证件号码": EXISTING_ID, "出生日期": "1980-01-01"})])
    report = run(engine, "life", path)
    assert [(e.code, e.where, e.params["other"]) for e in report.errors] == [("id_number_in_use", 2, "EX00000001")]


def test_duplicate_policy_number_within_the_file(engine, tmp_path):
    before = dump(engine)
    report = run(engine, "life", csv_file(tmp_path, [row(), row(**{"保单号": "2020110000990002"}), row()]))
    assert [(e.code, e.where, e.params["first"]) for e in report.errors] == [("duplicate_policy_no", 4, 2)]
    assert dump(engine) == before


def test_missing_column_rejects_the_whole_file_even_when_skipping(engine, tmp_path):
    before = dump(engine)
    header = [h for h in HEADER if h != "期交保费"]
    report = run(engine, "life", csv_file(tmp_path, [row()], header=header), skip_bad_rows=True)
    assert [e.code for e in report.errors] == ["missing_columns"] and report.rolled_back
    assert "期交保费" in report.errors[0].render("zh")
    assert dump(engine) == before


def test_english_header_aliases_are_accepted(engine, tmp_path):
    header = [en for _, en, _ in COLUMNS.values()]
    zh_to_en = {zh: en for zh, en, _ in COLUMNS.values()}
    data = {zh_to_en[k]: v for k, v in row().items()}
    report = run(engine, "life", csv_file(tmp_path, [data], header=header))
    assert report.ok and report.created == 1


def test_wrong_field_count_is_a_row_error(engine, tmp_path):
    path = csv_file(tmp_path, [row()])
    path.write_text(path.read_text(encoding="utf-8") + "2020110000990005,CL101\n", encoding="utf-8")
    report = run(engine, "life", path)
    assert [(e.code, e.where) for e in report.errors] == [("bad_row_shape", 3)]


BAD_ITEMS = [
    ("wrong_type", {"premiumFen": "4567.89"}, "premiumFen"),
    ("negative_amount", {"premiumFen": -1}, "premiumFen"),
    ("unknown_status", {"status": "ACTIVE"}, "ACTIVE"),
    ("unknown_product", {"productCode": "PX99"}, "PX99"),
    ("product_line_mismatch", {"productCode": "CL101"}, "CL101"),
    ("bad_period", {"period": {"start": "2026-01-01", "end": "2027-06-30"}}, "2027-06-30"),
    ("bad_date", {"period": {"start": "2026-13-01", "end": "2026-12-31"}}, "period.start"),
    ("missing_object", {"insured": {"name": "钱进"}}, ""),
    ("bad_plate", {"insured": {"name": "钱进", "vehicle": {"plateNo": "ABC123"}}}, "ABC123"),
    ("bad_boolean", {"autoRenew": "yes"}, "autoRenew"),
    ("missing_value", {"policyNo": None}, "policyNo"),
]


@pytest.mark.parametrize("code, overrides, mentioned", BAD_ITEMS)
def test_bad_property_item_is_reported_with_its_index(engine, tmp_path, code, overrides, mentioned):
    before = dump(engine)
    items = [auto_item(), auto_item(**{"policyNo": "PDAA2026110000990002", **overrides})]
    report = run(engine, "property", json_file(tmp_path, items))
    assert [(e.code, e.where) for e in report.errors] == [(code, 2)]
    assert report.errors[0].render("zh").startswith("第 2 条：") and mentioned in report.errors[0].render("zh")
    assert report.errors[0].render("en").startswith("item 2: ")
    assert dump(engine) == before


def test_malformed_json_reports_the_line(engine, tmp_path):
    before = dump(engine)
    text_ = json.dumps([auto_item()], ensure_ascii=False, indent=2).replace('"status": "active",', '"status": "active"')
    report = run(engine, "property", json_file(tmp_path, text_), skip_bad_rows=True)
    assert [e.code for e in report.errors] == ["malformed_json"]
    line = report.errors[0].where
    assert line == next(i for i, l in enumerate(text_.splitlines(), start=1) if '"policyholder"' in l)
    assert report.errors[0].render("en").startswith(f"line {line}: malformed JSON")
    assert dump(engine) == before


def test_json_that_is_not_a_list(engine, tmp_path):
    report = run(engine, "property", json_file(tmp_path, {"policies": []}))
    assert [e.code for e in report.errors] == ["not_a_list"]


# -- skipping bad rows, re-imports, updates ---------------------------------------------
def test_skip_bad_rows_imports_only_the_good_ones(engine, tmp_path):
    rows = [
        row(),
        row(**{"保单号": "2020110000990002", "期交保费": "abc"}),
        row(**{"保单号": "2020110000990003"}),
        row(**{"保单号": "2020110000990004", "险种代码": "CL999"}),
    ]
    report = run(engine, "life", csv_file(tmp_path, rows), skip_bad_rows=True)
    assert not report.rolled_back and report.created == 2
    assert report.rejected_rows == [3, 5]
    assert sorted(n for (n,) in q(engine, "SELECT policy_no FROM policy")) == ["2020110000990001", "2020110000990003"]


def test_reimporting_the_same_file_changes_nothing(engine, tmp_path):
    path = SAMPLES / "life_core_sample.csv"
    assert run(engine, "life", path).created == 6
    before = dump(engine)
    again = run(engine, "life", path)
    assert again.ok and again.already_imported_at is not None and again.created == again.updated == 0
    assert dump(engine) == before
    # The same content in a different file (another sha256): upserted as unchanged.
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes() + b"\n")
    third = run(engine, "life", copy)
    assert (third.created, third.updated, third.unchanged) == (0, 0, 6)
    after = dump(engine)
    assert {k: v for k, v in after.items() if k != "import_batch"} == {k: v for k, v in before.items() if k != "import_batch"}


def test_changed_row_updates_the_policy_and_logs_it(engine, tmp_path):
    run(engine, "life", csv_file(tmp_path, [row()], name="v1.csv"))
    report = run(engine, "life", csv_file(tmp_path, [row(**{"保单状态": "02", "状态日期": "2026-01-10"})], name="v2.csv"))
    assert (report.created, report.updated) == (0, 1)
    assert q(engine, "SELECT status FROM policy")[0][0] == "lapsed"
    kinds = [k for (k,) in q(engine, "SELECT kind FROM history_event ORDER BY id")]
    assert kinds == ["policy_issued", "policy_lapsed"]
    with Session(engine) as session:
        assert verify_chain(session) == []


def test_policy_of_another_customer_cannot_be_taken_over(engine, tmp_path):
    run(engine, "life", csv_file(tmp_path, [row()], name="v1.csv"))
    before = dump(engine)
    other = row(**{"客户号": "LC20000002", "证件号码": make_id("310104", "19880808", "024"), "出生日期": "1988-08-08"})
    report = run(engine, "life", csv_file(tmp_path, [other], name="v2.csv"))
    assert [e.code for e in report.errors] == ["policy_owner_conflict"]
    assert dump(engine) == before


# -- messages and the CLI ---------------------------------------------------------------
def test_every_message_exists_in_both_languages_and_renders():
    assert set(MESSAGES["zh"]) == set(MESSAGES["en"])
    params = {
        "n": 1, "detail": "x", "columns": "a", "line": "line.life", "column": 1, "found": 1, "expected": "type.integer",
        "field": "f", "value": "v", "max": 1, "low": 0, "high": 1, "later": "a", "later_value": "b", "earlier": "c",
        "earlier_value": "d", "start": "s", "end": "e", "allowed": "a", "status": "s", "code": "c", "customer_no": "c",
        "existing": "e", "given": "g", "other": "o", "first": 1, "policy_no": "p", "source": "source.life_core",
        "created": 1, "updated": 1, "unchanged": 1, "rejected": 1, "when": "w", "size": 1, "written": 1,
    }
    for lang in ("zh", "en"):
        for code, template in MESSAGES[lang].items():
            assert template.format(**params)


def run_cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PORTAL_DB_URL": f"sqlite:///{db}", "PORTAL_TODAY": TODAY.isoformat()}
    return subprocess.run(
        [sys.executable, "-m", "portal.data.import_policies", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_cli_languages_and_exit_codes(tmp_path):
    db = tmp_path / "cli.db"
    bad = csv_file(tmp_path, [row(), row(**{"保单号": "2020110000990002", "生效日期": "2020-13-01"})])
    zh = run_cli(db, "--source", "life", str(bad))
    assert zh.returncode == 1 and "第 3 行：" in zh.stdout and "生效日期" in zh.stdout and "未导入" in zh.stdout
    en = run_cli(db, "--source", "life", str(bad), "--lang", "en")
    assert en.returncode == 1 and "line 3: " in en.stdout and "is not a valid date" in en.stdout
    skip = run_cli(db, "--source", "life", str(bad), "--skip-bad-rows", "--lang", "en")
    assert skip.returncode == 1 and "1 created" in skip.stdout and "1 rejected" in skip.stdout
    prop = run_cli(db, "--source", "property", str(SAMPLES / "property_core_sample.json"))
    assert prop.returncode == 0 and "新增 3 张" in prop.stdout, prop.stdout
    life = run_cli(db, "--source", "life", str(SAMPLES / "life_core_sample.csv"))
    assert life.returncode == 0, life.stdout  # matches the policyholders the property core created
    again = run_cli(db, "--source", "property", str(SAMPLES / "property_core_sample.json"), "--lang", "en")
    assert again.returncode == 0 and "already imported" in again.stdout


# -- bounds and input hygiene -----------------------------------------------------------
HOSTILE_LIFE_ROWS = [
    ("text_formula", {"投保人姓名": "=cmd|' /C calc'!A0"}, "投保人姓名"),
    ("text_formula", {"被保险人": "@SUM(A1:A9)"}, "被保险人"),
    ("text_formula", {"受益人": "+1+1"}, "受益人"),
    ("text_formula", {"联系地址": "-2+3"}, "联系地址"),
    ("text_control_chars", {"投保人姓名": "周\u200b明"}, "投保人姓名"),
    ("text_control_chars", {"被保险人": "周\u202e明"}, "被保险人"),
    ("text_control_chars", {"联系地址": "北京市\u2066朝阳区\u2069"}, "联系地址"),
    ("text_control_chars", {"受益人": "周明\x00"}, "受益人"),
    ("text_control_chars", {"投保人姓名": "\t=1+1"}, "投保人姓名"),
    ("text_control_chars", {"城市": "北\ufeff京"}, "城市"),
    ("bad_amount", {"期交保费": "١٠٠٠"}, "期交保费"),  # Arabic-Indic digits
    ("bad_amount", {"基本保额": "１００，０００"}, "基本保额"),  # full-width digits
    ("bad_integer", {"交费年期": "２０"}, "交费年期"),
    ("bad_date", {"生效日期": "２０２０-05-01"}, "生效日期"),
    ("bad_phone", {"手机号码": "138١١١١٢٢٢٢"}, "138"),
    ("number_too_long", {"基本保额": "9" * 5000}, "基本保额"),
    ("number_too_long", {"交费年期": "1" * 5000}, "交费年期"),
    ("too_long", {"投保人姓名": "周" * 65}, "64"),
    ("too_long", {"联系地址": "路" * 257}, "256"),
    ("too_long", {"保障责任": "death:1;" * 100}, "512"),
]


@pytest.mark.parametrize("code, overrides, mentioned", HOSTILE_LIFE_ROWS)
def test_hostile_life_values_get_a_message_not_a_traceback(engine, tmp_path, code, overrides, mentioned):
    before = dump(engine)
    bad = row(**{"保单号": "2020110000990002", **overrides})
    report = run(engine, "life", csv_file(tmp_path, [row(), bad]))
    assert report.rolled_back and [(e.code, e.where) for e in report.errors] == [(code, 3)]
    assert mentioned in report.errors[0].render("zh") and report.errors[0].render("en").startswith("line 3: ")
    assert dump(engine) == before


def test_ordinary_names_and_addresses_still_import(engine, tmp_path):
    rows = [row(**{"投保人姓名": "O'Brien", "被保险人": "张伟", "联系地址": "北京市朝阳区建国路88号",
                   "受益人": "孙丽(配偶) 100%"})]
    report = run(engine, "life", csv_file(tmp_path, rows))
    assert report.ok and report.created == 1
    assert q(engine, "SELECT name, address FROM customer WHERE customer_no = 'LC20000001'")[0] == (
        "O'Brien", "北京市朝阳区建国路88号")


def test_a_field_beyond_the_csv_limit_is_a_file_error(engine, tmp_path):
    path = csv_file(tmp_path, [row(**{"联系地址": "路" * 200_000})])
    report = run(engine, "life", path, skip_bad_rows=True)
    assert report.rolled_back and [e.code for e in report.errors] == ["field_too_large"]
    assert "131072" in report.errors[0].render("en")


def test_a_file_above_the_size_limit_is_refused_before_reading(engine, tmp_path, monkeypatch):
    from portal.data.importers import pipeline

    path = csv_file(tmp_path, [row()])
    monkeypatch.setitem(pipeline.MAX_FILE_BYTES, "life_core", path.stat().st_size - 1)
    report = run(engine, "life", path)
    assert report.rolled_back and [e.code for e in report.errors] == ["file_too_large"]
    assert str(path.stat().st_size) in report.errors[0].render("zh")


def test_json_nested_100000_levels_gets_a_message(engine, tmp_path):
    before = dump(engine)
    deep = "[" * 100_000 + "]" * 100_000
    for content in (deep, "[" + deep + "]", json.dumps([auto_item()]) [:-1] + ", " + deep + "]"):
        report = run(engine, "property", json_file(tmp_path, content), skip_bad_rows=True)
        assert report.rolled_back and [e.code for e in report.errors] == ["too_deep"], content[:20]
        assert "16" in report.errors[0].render("zh") and "nested too deeply" in report.errors[0].render("en")
    # Nested deeper than the format needs but well inside the recursion limit: refused too.
    nested = {"a": 1}
    for _ in range(20):
        nested = {"a": nested}
    report = run(engine, "property", json_file(tmp_path, [auto_item(extra=nested)]))
    assert [(e.code, e.where) for e in report.errors] == [("too_deep", 1)]
    assert dump(engine) == before


def test_json_numbers_with_thousands_of_digits_get_a_message(engine, tmp_path):
    before = dump(engine)
    huge = "9" * 5000
    text_ = json.dumps([auto_item(), auto_item(policyNo="PDAA2026110000990002", premiumFen=0)]).replace(
        '"premiumFen": 0', f'"premiumFen": {huge}')
    report = run(engine, "property", json_file(tmp_path, text_), skip_bad_rows=True)
    assert report.rolled_back and [(e.code, e.where) for e in report.errors] == [("number_too_long_in_file", 2)]
    # 4,000 digits is still readable by Python: refused as an amount, shown short.
    text_ = json.dumps([auto_item(premiumFen=0)]).replace('"premiumFen": 0', f'"premiumFen": {"9" * 4000}')
    report = run(engine, "property", json_file(tmp_path, text_))
    assert [e.code for e in report.errors] == ["amount_too_large"] and len(report.errors[0].render("en")) < 200
    assert dump(engine) == before


def test_json_text_fields_follow_the_same_rule(engine, tmp_path):
    holder = dict(auto_item()["policyholder"], name="=HYPERLINK(\"http://x\")")
    report = run(engine, "property", json_file(tmp_path, [auto_item(policyholder=holder)]))
    assert [(e.code, e.where) for e in report.errors] == [("text_formula", 1)]
    insured = {"name": "钱\u200d进", "vehicle": auto_item()["insured"]["vehicle"]}
    report = run(engine, "property", json_file(tmp_path, [auto_item(insured=insured)]))
    assert [(e.code, e.where) for e in report.errors] == [("text_control_chars", 1)]
