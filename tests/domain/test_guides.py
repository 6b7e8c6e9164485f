"""The picture-guide registry: seven guides of three to six steps, each action's guide."""

from __future__ import annotations

import pytest

from portal.domain.actions import ActionKind
from portal.domain.guides import GUIDE_IDS, GUIDES, MAX_STEPS, MIN_STEPS, guide, guide_for_action, neighbours


def test_seven_guides_with_unique_ids():
    assert len(GUIDES) == 7
    assert len(set(GUIDE_IDS)) == len(GUIDE_IDS)
    assert set(GUIDE_IDS) == {"pay_premium", "collect_benefit", "take_loan", "repay_loan", "update_profile", "reinstate", "spot_scam"}


@pytest.mark.parametrize("g", GUIDES, ids=lambda g: g.guide_id)
def test_every_guide_has_three_to_six_steps(g):
    assert MIN_STEPS <= g.steps <= MAX_STEPS


def test_every_action_with_a_guide_maps_to_an_existing_guide():
    for kind in ActionKind:
        found = guide_for_action(kind)
        if found is not None:
            assert guide(found) is not None
            assert guide(found).action is kind
    assert guide_for_action(ActionKind.PAY_PREMIUM) == "pay_premium"
    assert guide_for_action("take_loan") == "take_loan"
    assert guide_for_action(ActionKind.WITHDRAW) is None
    assert guide_for_action("no_such_action") is None


def test_the_scam_guide_belongs_to_no_action():
    assert guide("spot_scam").action is None
    assert "spot_scam" not in {guide_for_action(kind) for kind in ActionKind}


@pytest.mark.parametrize("bad", ["", "../../etc", "<script>", "x" * 5000, "PAY_PREMIUM", " pay_premium", None, 7, ["pay_premium"]])
def test_unknown_ids_find_nothing(bad):
    assert guide(bad) is None


def test_pictures_live_under_the_guide_folder():
    assert guide("take_loan").picture(2) == "/guides/take_loan/step-2.svg"


def test_neighbours_in_display_order():
    assert neighbours(GUIDE_IDS[0]) == ("", GUIDE_IDS[1])
    assert neighbours(GUIDE_IDS[-1]) == (GUIDE_IDS[-2], "")
    assert neighbours(GUIDE_IDS[2]) == (GUIDE_IDS[1], GUIDE_IDS[3])
