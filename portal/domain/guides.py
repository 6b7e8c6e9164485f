"""The picture guides (看图解): step-by-step help for seniors. Pure data.

Each guide has an id (also the folder of its pictures, ``assets/guides/<id>/step-<n>.svg``,
and the last part of its address, ``/guides/<id>``), three to six steps, and the
self-service action it explains (none for the scam guide). Its words live in the catalog
(``portal/i18n/guides.py``) under ``guide.<id>.*``.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.domain.actions import ActionKind

MIN_STEPS = 3
MAX_STEPS = 6


@dataclass(frozen=True)
class Guide:
    guide_id: str
    steps: int
    action: ActionKind | None
    icon: str  # a lucide icon name for the tile on /guides

    def picture(self, step: int) -> str:
        """The address of one step's picture (1-based)."""
        return f"/guides/{self.guide_id}/step-{step}.svg"


# In the order the /guides page shows them: the everyday tasks first, the scam guide last.
GUIDES: tuple[Guide, ...] = (
    Guide("pay_premium", 4, ActionKind.PAY_PREMIUM, "wallet"),
    Guide("collect_benefit", 4, ActionKind.COLLECT_BENEFIT, "hand_coins"),
    Guide("take_loan", 5, ActionKind.TAKE_LOAN, "landmark"),
    Guide("repay_loan", 4, ActionKind.REPAY_LOAN, "receipt"),
    Guide("update_profile", 4, ActionKind.UPDATE_PROFILE, "contact"),
    Guide("reinstate", 5, ActionKind.REINSTATE, "refresh_cw"),
    Guide("spot_scam", 5, None, "shield_alert"),
)

GUIDE_IDS: tuple[str, ...] = tuple(g.guide_id for g in GUIDES)
_BY_ID = {g.guide_id: g for g in GUIDES}
_BY_ACTION = {g.action: g.guide_id for g in GUIDES if g.action is not None}

# The longest id a URL may carry before it is even looked up.
MAX_ID_LENGTH = max(len(i) for i in GUIDE_IDS)


def guide(guide_id: object) -> Guide | None:
    """The guide with this id, or None for anything else (wrong type, unknown, too long)."""
    if not isinstance(guide_id, str) or len(guide_id) > MAX_ID_LENGTH:
        return None
    return _BY_ID.get(guide_id)


def guide_for_action(kind: ActionKind | str) -> str | None:
    """The id of the guide that explains an action, or None if it has none."""
    try:
        kind = ActionKind(kind)
    except ValueError:
        return None
    return _BY_ACTION.get(kind)


def neighbours(guide_id: str) -> tuple[str, str]:
    """The previous and next guide ids in display order ("" at either end)."""
    index = GUIDE_IDS.index(guide_id)
    previous = GUIDE_IDS[index - 1] if index > 0 else ""
    following = GUIDE_IDS[index + 1] if index + 1 < len(GUIDE_IDS) else ""
    return previous, following
