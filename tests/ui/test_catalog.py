"""Every string the pages can ask for exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from portal.domain.categories import Category, Group, ReminderKind
from portal.domain.records import (
    BenefitKind,
    HistoryKind,
    Line,
    LoanKind,
    PaymentFrequency,
    PolicyStatus,
    Responsibility,
)
from portal.i18n.catalog import CATALOG, EN, ZH, translate

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def test_both_languages_have_the_same_keys():
    assert set(ZH) == set(EN)


def test_literal_keys_used_in_pages_exist():
    used = set()
    for source in PORTAL.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        used |= set(re.findall(r'T\["([a-z_]+\.[a-z_]+)"\]', text))
        used |= set(re.findall(r'(?:title_key|label_key)="([a-z_]+\.[a-z_]+)"', text))
    assert used, "the scan found the pages' keys"
    missing = sorted(k for k in used if k not in ZH)
    assert missing == []


def test_keys_built_from_domain_values_exist():
    expected = (
        [f"category.{c.value}" for c in Category]
        + [f"category_help.{c.value}" for c in Category]
        + [f"group.{g.value}" for g in Group]
        + [f"reminder.{r.value}" for r in ReminderKind]
        + [f"reminder_help.{r.value}" for r in ReminderKind]
        + [f"status.{s.value}" for s in PolicyStatus]
        + [f"line.{l.value}" for l in Line]
        + [f"benefit.{b.value}" for b in BenefitKind]
        + [f"loan.{k.value}" for k in LoanKind]
        + [f"history.{h.value}" for h in HistoryKind]
        + [f"freq.{f.value}" for f in PaymentFrequency]
        + [f"resp.{r.value}" for r in Responsibility]
        + ["item.premium", "item.policy_loan", "item.universal_account"]
        + [f"part.{p}" for p in ("principal", "interest", "cash_value", "outstanding", "minimum_balance")]
    )
    for locale, catalog in CATALOG.items():
        assert [k for k in expected if k not in catalog] == [], locale


def test_translate_fills_placeholders_and_falls_back_to_chinese():
    assert translate("en", "auth.locked", minutes=15).startswith("Too many wrong passwords")
    assert "15 分钟" in translate("zh", "auth.locked", minutes=15)
    assert translate("fr", "nav.logout") == "退出登录"
