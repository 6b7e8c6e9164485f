"""The picture guides: every step's words in both languages, every picture a small, safe,
accessible SVG, and the page state refusing ids it does not know."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import reflex as rx
from reflex.istate.data import RouterData

from tests.async_run import call
from portal.domain.guides import GUIDES
from portal.i18n.catalog import CATALOG
from portal.i18n.guides import EN, ZH
from portal.state.guides import GuideState, guide_tiles, step_rows

ASSETS = Path(__file__).resolve().parents[2] / "assets"
SVG = "{http://www.w3.org/2000/svg}"
MAX_BYTES = 6 * 1024

PICTURES = [(g, n) for g in GUIDES for n in range(1, g.steps + 1)]


def picture_path(g, n) -> Path:
    return ASSETS / g.picture(n).lstrip("/")


def test_guide_strings_exist_in_both_languages_and_reach_the_catalog():
    assert set(ZH) == set(EN)
    for locale, catalog in CATALOG.items():
        for key in ZH:
            assert catalog.get(key), (locale, key)


@pytest.mark.parametrize("g", GUIDES, ids=lambda g: g.guide_id)
def test_every_step_has_title_words_and_alt_text_in_zh_and_en(g):
    for locale in ("zh", "en"):
        catalog = CATALOG[locale]
        assert catalog[f"guide.{g.guide_id}.title"] and catalog[f"guide.{g.guide_id}.summary"]
        for n in range(1, g.steps + 1):
            assert catalog[f"guides.step.{n}"]
            for part in ("title", "text", "alt"):
                text = catalog[f"guide.{g.guide_id}.s{n}.{part}"]
                assert text.strip(), (locale, g.guide_id, n, part)
        # No stray steps beyond the registered count.
        assert f"guide.{g.guide_id}.s{g.steps + 1}.text" not in catalog
    # The Chinese is Chinese and the English is English.
    assert re.search(r"[\u4e00-\u9fff]", ZH[f"guide.{g.guide_id}.s1.text"])
    assert not re.search(r"[\u4e00-\u9fff]", EN[f"guide.{g.guide_id}.s1.text"])


def test_no_picture_without_a_step_and_no_step_without_a_picture():
    on_disk = {p.relative_to(ASSETS / "guides").as_posix() for p in (ASSETS / "guides").rglob("*") if p.is_file()}
    expected = {f"{g.guide_id}/step-{n}.svg" for g, n in PICTURES}
    assert on_disk == expected


@pytest.mark.parametrize("g, n", PICTURES, ids=lambda v: getattr(v, "guide_id", str(v)))
def test_every_picture_is_a_small_safe_accessible_svg(g, n):
    path = picture_path(g, n)
    assert path.is_file(), path
    data = path.read_bytes()
    assert len(data) < MAX_BYTES
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and (title.text or "").strip()
    assert desc is not None and (desc.text or "").strip()
    for element in root.iter():
        tag = element.tag.split("}")[-1].lower()
        assert tag not in ("script", "image", "foreignobject", "use", "style", "a"), tag
        for name, value in element.attrib.items():
            local = name.split("}")[-1].lower()
            assert not local.startswith("on"), (tag, name)
            assert local != "href", (tag, name, value)
            assert "url(" not in value and "http" not in value.replace("http://www.w3.org/2000/svg", ""), (tag, name)
    text = data.decode("utf-8").lower()
    assert "<script" not in text and "javascript:" not in text and "@import" not in text


def test_step_rows_point_at_the_pictures_and_keys():
    rows = step_rows("take_loan")
    assert [r["n"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[0]["src"] == "/guides/take_loan/step-1.svg"
    for row in rows:
        for key in ("label", "title", "text", "alt"):
            assert row[key] in ZH
    assert step_rows("../../etc") == []
    tiles = guide_tiles()
    assert [t["id"] for t in tiles] == [g.guide_id for g in GUIDES]
    assert all(t["title"] in ZH and t["summary"] in ZH for t in tiles)


def state_for(guide_param):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(GuideState.get_full_name().split(".")[1:])
    query = {} if guide_param is None else {"guide": guide_param}
    root.router = RouterData.from_router_data({"pathname": "/guides/x", "asPath": "/guides/x", "query": query, "headers": {}})
    state.router = root.router
    return state


def test_a_known_guide_loads_without_login():
    state = state_for("take_loan")
    call(GuideState.load, state)
    assert state.loaded and state.found
    assert state.guide_id == "take_loan"
    assert len(state.steps) == 5
    assert (state.previous_id, state.next_id) == ("collect_benefit", "repay_loan")
    assert state.action_href == "/act/take_loan"


def test_the_scam_guide_has_no_action_link():
    state = state_for("spot_scam")
    call(GuideState.load, state)
    assert state.found and state.action_href == "" and state.next_id == ""


@pytest.mark.parametrize("bad", ["../../etc", "<script>alert(1)</script>", "<script>", "x" * 5000, "", None, "take_loan/../spot_scam", "TAKE_LOAN", "take_loan\x00"])
def test_unknown_or_malicious_ids_are_refused_without_a_crash(bad):
    state = state_for(bad)
    call(GuideState.load, state)
    assert state.loaded is True
    assert state.found is False
    assert state.guide_id == "" and state.steps == [] and state.action_href == ""
    assert state.previous_id == "" and state.next_id == ""


def test_a_bad_id_after_a_good_one_clears_the_page():
    state = state_for("pay_premium")
    call(GuideState.load, state)
    assert state.found
    state.router = state_for("../../etc").router
    call(GuideState.load, state)
    assert not state.found and state.steps == []
