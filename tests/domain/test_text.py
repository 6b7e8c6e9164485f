"""The shared rule for free text and numbers from outside (portal.domain.text)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.text import ascii_digits_only, formula_safe, has_forbidden_chars, looks_like_formula, text_problem

VALID = ["张伟", "O'Brien", "北京市朝阳区建国路88号", "孙丽(配偶) 100%", "Anne-Marie", "李 秀兰", "粤A·D12345", "法定"]


@pytest.mark.parametrize("value", VALID)
def test_ordinary_names_and_addresses_pass(value):
    assert text_problem(value) is None


@pytest.mark.parametrize(
    "value",
    ["张\x00伟", "张伟\t", "张\n伟", "张\r伟", "\x1b[31m张伟", "张\x7f伟", "张\x85伟",  # C0, DEL, C1 controls
     "张\u200b伟", "张\u200c伟", "张\u200d伟", "张\u2060伟", "\ufeff张伟",  # zero-width, word joiner, BOM
     "张\u202a伟", "张\u202b伟", "张\u202c伟", "张\u202d伟", "张\u202e伟",  # bidi embeddings / overrides
     "张\u2066伟", "张\u2067伟", "张\u2068伟", "张\u2069伟", "张\u00ad伟"],  # isolates, soft hyphen (Cf)
)
def test_control_and_invisible_format_characters_are_refused(value):
    assert has_forbidden_chars(value)
    assert text_problem(value) == "control_chars"


@pytest.mark.parametrize("value", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "=HYPERLINK(\"x\")"])
def test_formula_like_text_is_refused(value):
    assert looks_like_formula(value)
    assert text_problem(value) == "formula"
    assert text_problem(value, formula=False) is None


def test_tab_and_cr_prefixes_are_formula_like_and_control_characters():
    for value in ("\t=1+1", "\r=1+1"):
        assert looks_like_formula(value)
        assert text_problem(value) == "control_chars"  # the stricter rule answers first


@pytest.mark.parametrize(
    "value, expected",
    [("=1+1", "'=1+1"), ("+86", "'+86"), ("-5", "'-5"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("张伟", "张伟"), ("O'Brien", "O'Brien"), ("", ""), ("a=b", "a=b"), ("'=1", "'=1")],
)
def test_formula_safe(value, expected):
    assert formula_safe(value) == expected


@given(st.text())
def test_formula_safe_never_leaves_a_formula_and_only_adds_a_quote(value):
    safe = formula_safe(value)
    assert not looks_like_formula(safe)
    assert safe in (value, "'" + value)
    assert (safe != value) == looks_like_formula(value)


def test_formula_safe_survives_a_csv_round_trip():
    buffer = io.StringIO()
    csv.writer(buffer).writerow([formula_safe(v) for v in ("=cmd|' /C calc'!A0", "张伟")])
    cells = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert cells == ["'=cmd|' /C calc'!A0", "张伟"]


@pytest.mark.parametrize("value", ["1000", "12,345.60", "", "abc", "1e5"])
def test_ascii_digits_pass(value):
    assert ascii_digits_only(value)


@pytest.mark.parametrize("value", ["١٠٠٠", "۱۰۰۰", "१०००", "１０００", "𝟏", "²", "½", "1٠"])
def test_other_digits_are_refused(value):
    assert not ascii_digits_only(value)
