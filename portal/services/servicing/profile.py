"""Updating phone, address and payout account: the cure for "lost contact" policies."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session

from portal.data import tables as t
from portal.data.pii import seal_fields, still_holding, with_hashes
from portal.domain.masking import mask_account, mask_phone
from portal.domain.profile import clean_address, clean_payout, clean_phone
from portal.domain.records import HistoryKind
from portal.domain.rejections import Rejected
from portal.services.servicing import lookup
from portal.services.servicing.core import ActionKind, Conflict, Review, ReviewLine, record


def _shown(field: str, value: str) -> str:
    if field == "phone":
        return mask_phone(value)
    if field == "payout_account":
        return mask_account(value)
    return value


class UpdateProfile:
    kind = ActionKind.UPDATE_PROFILE
    needs_step_up = True  # re-authentication comes first: the page asks before the form

    def prepare(self, session: Session, customer_id: int, form: dict, today: date) -> Review:
        person = lookup.customer(session, customer_id)
        wanted: dict[str, str] = {}
        if form.get("phone") not in (None, "", person.phone):
            wanted["phone"] = clean_phone(form.get("phone"))
        if form.get("address") not in (None, "", person.address):
            wanted["address"] = clean_address(form.get("address"))
        bank, account = form.get("payout_bank"), form.get("payout_account")
        if (bank, account) != (None, None) and (bank, account) != (person.payout_bank, person.payout_account):
            wanted["payout_bank"], wanted["payout_account"] = clean_payout(bank, account)
        changes = {f: v for f, v in wanted.items() if v != getattr(person, f)}
        if not changes:
            raise Rejected("error.nothing_changed")
        old = {f: getattr(person, f) for f in changes}
        lines = tuple(
            ReviewLine(f"profile.{f}", f"{_shown(f, old[f]) or '—'} → {_shown(f, changes[f])}") for f in changes
        )
        return Review(
            kind=self.kind,
            customer_id=customer_id,
            policy_id=None,
            policy_no="",
            amount=None,
            lines=lines,
            payload={"changes": changes, "old": old},
            history_kind=HistoryKind.PROFILE_UPDATED,
        )

    def apply(self, session: Session, review: Review, request: t.ServiceRequest, today: date, now: datetime) -> None:
        changes, old = review.payload["changes"], review.payload["old"]
        # Only if every field still holds the value the customer saw: compared in clear,
        # then the update is pinned to the stored text read (encrypted values differ on
        # every write, so a concurrent change cannot go unnoticed).
        conditions = still_holding(session, t.Customer, request.customer_id, old)
        if conditions is None:
            raise Conflict("customer changed")
        moved = session.execute(
            update(t.Customer).where(t.Customer.id == request.customer_id, *conditions).values(**with_hashes(changes))
        ).rowcount
        if moved != 1:
            raise Conflict("customer changed")
        # The previous values stay on the request, encrypted like the customer row (the
        # history note holds them masked).
        details = json.loads(request.details)
        details["previous"] = seal_fields(old)
        request.details = json.dumps(details, ensure_ascii=False)
        session.add(request)
        note = "; ".join(f"{f}: {_shown(f, old[f]) or '-'} -> {_shown(f, changes[f])}" for f in changes)
        record(session, request, HistoryKind.PROFILE_UPDATED, None, None, now, note)
