"""The picture guides (看图解): which guide the address asks for. No login needed: the
guides hold no customer data, so nothing here reads the session or the database."""

from __future__ import annotations

import reflex as rx

from portal.domain.guides import GUIDES, guide, neighbours
from portal.state.session import SessionState, set_html_lang
from portal.state.offload import handler


def guide_tiles() -> list[dict[str, str]]:
    """The tiles on /guides, in display order: id, catalog keys, icon, step count."""
    return [
        {
            "id": g.guide_id,
            "href": f"/guides/{g.guide_id}",
            "title": f"guide.{g.guide_id}.title",
            "summary": f"guide.{g.guide_id}.summary",
            "steps": str(g.steps),
        }
        for g in GUIDES
    ]


def step_rows(guide_id: str) -> list[dict[str, str]]:
    """One row per step of a known guide: its number, picture and catalog keys."""
    found = guide(guide_id)
    if found is None:
        return []
    prefix = f"guide.{guide_id}"
    return [
        {
            "n": str(n),
            "label": f"guides.step.{n}",
            "src": found.picture(n),
            "title": f"{prefix}.s{n}.title",
            "text": f"{prefix}.s{n}.text",
            "alt": f"{prefix}.s{n}.alt",
        }
        for n in range(1, found.steps + 1)
    ]


class GuideState(SessionState):
    guide_id: str = ""
    found: bool = False
    loaded: bool = False
    steps: list[dict[str, str]] = []
    previous_id: str = ""
    next_id: str = ""
    action_href: str = ""

    @handler
    def load(self):
        requested = self.router.page.params.get("guide", "")
        found = guide(requested)
        self.loaded = False
        if found is None:
            # Never echo what was asked for: an unknown id only says "not found".
            self.guide_id, self.found, self.steps = "", False, []
            self.previous_id = self.next_id = self.action_href = ""
        else:
            self.guide_id, self.found = found.guide_id, True
            self.steps = step_rows(found.guide_id)
            self.previous_id, self.next_id = neighbours(found.guide_id)
            self.action_href = f"/act/{found.action.value}" if found.action is not None else ""
        self.loaded = True
        return set_html_lang(self.locale)

    @handler
    def load_list(self):
        return set_html_lang(self.locale)
