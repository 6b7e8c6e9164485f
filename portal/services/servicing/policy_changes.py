"""Changes to a policy itself: auto-renewal of short-term policies, reinstatement (复效)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session

from portal.data import tables as t
from portal.domain.auto_renewal import change_auto_renewal
from portal.domain.money import format_yuan, to_fen
from portal.domain.records import HistoryKind, PolicyStatus
from portal.domain.reinstatement import REINSTATEMENT_RATE, quote_reinstatement
from portal.domain.rejections import Rejected
from portal.services.servicing import lookup
from portal.services.servicing.core import (
    ActionKind,
    Review,
    ReviewLine,
    bump_version,
    date_line,
    mark_paid,
    money_line,
    percent_line,
    record,
)


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise Rejected("error.bad_request")
    return value


class AutoRenew:
    kind = ActionKind.AUTO_RENEW
    needs_step_up = False  # no money moves now; the next term is billed like any renewal

    def prepare(self, session: Session, customer_id: int, form: dict, today: date) -> Review:
        seen = lookup.policy_versions(session, customer_id)  # before the figures it guards
        pic = lookup.picture(session, customer_id)
        policy = lookup.own_policy(pic, form.get("policy"))
        change = change_auto_renewal(policy, _flag(form.get("enable")), today)
        lines = (
            ReviewLine("review.policy", policy.policy_no),
            date_line("review.term_ends", policy.end_date),
            ReviewLine("review.auto_renew_now", value_key="common.on" if policy.auto_renew else "common.off"),
            ReviewLine("review.auto_renew_new", value_key="common.on" if change.enable else "common.off", emphasis=True),
            date_line("review.effective_from", change.effective_from),
        )
        return Review(
            kind=self.kind,
            customer_id=customer_id,
            policy_id=policy.policy_id,
            policy_no=policy.policy_no,
            amount=None,
            lines=lines,
            payload={
                "policy_id": policy.policy_id,
                "enable": change.enable,
                "effective_from": change.effective_from.isoformat(),
                "versions": {policy.policy_id: seen[policy.policy_id]},
            },
            history_kind=HistoryKind.AUTO_RENEW_CHANGED,
        )

    def apply(self, session: Session, review: Review, request: t.ServiceRequest, today: date, now: datetime) -> None:
        p = review.payload
        bump_version(session, t.Policy, p["policy_id"], p["versions"][p["policy_id"]])
        session.execute(update(t.Policy).where(t.Policy.id == p["policy_id"]).values(auto_renew=p["enable"]))
        state = "on" if p["enable"] else "off"
        record(session, request, HistoryKind.AUTO_RENEW_CHANGED, p["policy_id"], None, now,
               f"auto_renew={state} from {p['effective_from']}")


class Reinstate:
    kind = ActionKind.REINSTATE
    needs_step_up = True

    def prepare(self, session: Session, customer_id: int, form: dict, today: date) -> Review:
        seen = lookup.policy_versions(session, customer_id)  # before the figures it guards
        pic = lookup.picture(session, customer_id)
        policy = lookup.own_policy(pic, form.get("policy"))
        health = form.get("health_unchanged")
        if not isinstance(health, bool):
            raise Rejected("error.health_required")
        quote = quote_reinstatement(policy, pic.installments, pic.loans, today, health)
        paid_from = lookup.payout_account(session, customer_id)
        lines = [ReviewLine("review.policy", policy.policy_no)]
        lines += [
            ReviewLine("review.back_premium", f"{b.due_date.isoformat()} · {format_yuan(b.amount)} + {format_yuan(b.interest)}")
            for b in quote.back_premiums
        ]
        lines += [
            money_line("review.back_premiums", quote.premiums),
            percent_line("review.reinstatement_rate", REINSTATEMENT_RATE),
            money_line("review.reinstatement_interest", quote.interest),
            money_line("review.loans_owed", quote.loans_owed),
            money_line("review.total_to_pay", quote.amount, emphasis=True),
            ReviewLine("review.paid_from", paid_from),
        ]
        return Review(
            kind=self.kind,
            customer_id=customer_id,
            policy_id=policy.policy_id,
            policy_no=policy.policy_no,
            amount=quote.amount,
            lines=tuple(lines),
            payload={
                "policy_id": policy.policy_id,
                "installments": [b.installment_id for b in quote.back_premiums if b.installment_id is not None],
                "new_installments": [
                    (b.due_date.isoformat(), to_fen(b.amount)) for b in quote.back_premiums if b.installment_id is None
                ],
                "loans": [
                    (p.loan.loan_id, to_fen(p.balance.outstanding_principal), to_fen(p.balance.accrued_interest))
                    for p in quote.loans
                ],
                "versions": {policy.policy_id: seen[policy.policy_id]},
            },
            history_kind=HistoryKind.POLICY_REINSTATED,
        )

    def apply(self, session: Session, review: Review, request: t.ServiceRequest, today: date, now: datetime) -> None:
        p = review.payload
        policy_id = p["policy_id"]
        bump_version(session, t.Policy, policy_id, p["versions"][policy_id])
        if p["installments"]:
            mark_paid(session, t.PremiumInstallment, p["installments"], today, request.id)
        for due, fen in p["new_installments"]:
            session.add(t.PremiumInstallment(policy_id=policy_id, due_date=date.fromisoformat(due), amount_fen=fen,
                                             paid_date=today, request_id=request.id))
        for loan_id, principal_fen, interest_fen in p["loans"]:
            session.add(t.LoanRepayment(loan_id=loan_id, paid_date=today, principal_fen=principal_fen,
                                        interest_fen=interest_fen, request_id=request.id))
        session.execute(
            update(t.Policy)
            .where(t.Policy.id == policy_id)
            .values(status=PolicyStatus.IN_FORCE.value, status_date=today)
        )
        session.flush()
        record(session, request, HistoryKind.POLICY_REINSTATED, policy_id, review.amount_fen, now)
