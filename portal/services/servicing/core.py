"""What every action shares: the review the customer confirms, the request states, the
optimistic-concurrency guards and the history entry."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import update
from sqlmodel import Session

from portal.data import tables as t
from portal.data.history import append_event
from portal.domain.actions import ActionKind
from portal.domain.money import format_yuan, to_fen
from portal.domain.records import HistoryKind


class RequestStatus(str, Enum):
    SUBMITTED = "submitted"  # 已提交
    UNDER_REVIEW = "under_review"  # 审核中
    COMPLETED = "completed"  # 办理完成
    REJECTED = "rejected"  # 已拒绝
    CANCELLED = "cancelled"  # 已撤销


class Conflict(Exception):
    """Someone else changed the record between reading and writing: start again."""


@dataclass(frozen=True)
class ReviewLine:
    """One row of the review step. ``value`` is shown as is (money and dates are the same
    in both languages) unless ``value_key`` is set, which the page translates."""

    label_key: str
    value: str = ""
    value_key: str = ""
    emphasis: bool = False


def money_line(label_key: str, amount: Decimal, emphasis: bool = False) -> ReviewLine:
    return ReviewLine(label_key, format_yuan(amount), emphasis=emphasis)


def date_line(label_key: str, day: date) -> ReviewLine:
    return ReviewLine(label_key, day.isoformat())


def percent_line(label_key: str, rate: Decimal) -> ReviewLine:
    return ReviewLine(label_key, f"{(rate * 100).quantize(Decimal('0.01'))}%")


@dataclass(frozen=True)
class Review:
    """Exactly what an action will do, computed from fresh data; the runner recomputes it
    inside the transaction and proceeds only if it is still what the customer saw."""

    kind: ActionKind
    customer_id: int
    policy_id: int | None
    policy_no: str
    amount: Decimal | None  # the money that moves, if any
    lines: tuple[ReviewLine, ...]
    # What ``apply`` needs: record ids, fen amounts, the versions read.
    payload: dict = field(default_factory=dict)
    held: bool = False  # a large loan: waits for its cooling-off day
    history_kind: HistoryKind = HistoryKind.SERVICE
    extra: dict = field(default_factory=dict)  # kept with the request, e.g. a loan's term

    @property
    def fingerprint(self) -> str:
        seen = {
            "kind": self.kind.value,
            "policy_id": self.policy_id,
            "amount": None if self.amount is None else str(self.amount),
            "lines": [(ln.label_key, ln.value, ln.value_key) for ln in self.lines],
            "payload": {k: v for k, v in self.payload.items() if k != "versions"},
        }
        return hashlib.sha256(json.dumps(seen, sort_keys=True, default=str).encode()).hexdigest()

    @property
    def amount_fen(self) -> int | None:
        return None if self.amount is None else to_fen(self.amount)

    def details_json(self) -> str:
        return json.dumps(
            {"policy_no": self.policy_no, "lines": [ln.__dict__ for ln in self.lines], **self.extra},
            ensure_ascii=False,
        )


def bump_version(session: Session, model, row_id: int, seen_version: int) -> None:
    """The concurrency guard: succeeds for exactly one of several transactions that read
    the same version (a conditional UPDATE works alike on SQLite and PostgreSQL)."""
    changed = session.execute(
        update(model)
        .where(model.id == row_id, model.version == seen_version)
        .values(version=seen_version + 1)
    ).rowcount
    if changed != 1:
        raise Conflict(f"{model.__tablename__} {row_id} changed")


def mark_paid(session: Session, model, row_ids: list[int], paid_on: date, request_id: int) -> None:
    """Pays installments / benefit items that are still unpaid; any already paid means a
    concurrent payment won, so the whole action starts again."""
    changed = session.execute(
        update(model)
        .where(model.id.in_(row_ids), model.paid_date.is_(None))
        .values(paid_date=paid_on, request_id=request_id)
    ).rowcount
    if changed != len(row_ids):
        raise Conflict(f"{model.__tablename__}: {len(row_ids) - changed} already paid")


def record(
    session: Session,
    request: t.ServiceRequest,
    kind: HistoryKind,
    policy_id: int | None,
    amount_fen: int | None,
    now: datetime,
    note: str = "",
) -> None:
    append_event(
        session,
        customer_id=request.customer_id,
        policy_id=policy_id,
        occurred_at=now,
        kind=kind,
        amount_fen=amount_fen,
        note=f"{request.request_no} {note}".strip()[:256],
    )
