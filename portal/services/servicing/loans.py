"""Taking a policy loan (当前可借款) and repaying one (当前应还款)."""

from __future__ import annotations

import re

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from portal.data import tables as t
from portal.domain.amounts import parse_amount
from portal.domain.loans import MAX_TERM_MONTHS, LoanQuote, quote_loan, quote_repayment
from portal.domain.money import to_fen
from portal.domain.records import HistoryKind, LoanKind, Policy
from portal.domain.rejections import Rejected
from portal.domain.senior import FRAUD_WARNING_VERSION, account_change_holds_loan
from portal.services.servicing import lookup
from portal.services.servicing.core import (
    ActionKind,
    RequestStatus,
    Review,
    ReviewLine,
    bump_version,
    date_line,
    money_line,
    percent_line,
    record,
)


def _term(value) -> int:
    if isinstance(value, bool):
        raise Rejected("error.loan_term", months=MAX_TERM_MONTHS)
    # ASCII digits only, at most two: "²".isdigit() is true and int("²") fails, and a
    # 5,000-digit string would exceed int()'s limit.
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,2}", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise Rejected("error.loan_term", months=MAX_TERM_MONTHS)
    return value


def _fraud_acknowledgement(form: dict) -> str:
    """The time the guarded customer acknowledged the current fraud warning; without it
    (whoever calls, however) the loan form cannot be used."""
    version, at = form.get("fraud_ack"), form.get("fraud_ack_at")
    if version != FRAUD_WARNING_VERSION or not isinstance(at, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", at):
        raise Rejected("error.fraud_warning_required")
    return at


def loan_quote_for(session: Session, policy: Policy, pic, amount: Decimal, term: int, today: date,
                   except_request: int | None = None) -> LoanQuote:
    loans = [loan for loan in pic.loans if loan.policy_id == policy.policy_id]
    reserved = lookup.reserved_for_held_loans(session, policy.policy_id, except_request)
    quote = quote_loan(policy, loans, amount, term, today, reserved=reserved)
    if quote.held:
        # A held loan is paid out, and starts accruing, on its cooling-off day.
        quote = quote_loan(policy, loans, amount, term, today, reserved=reserved,
                           start=today + timedelta(days=1))
    return quote


def create_loan(session: Session, request: t.ServiceRequest, payload: dict, now: datetime) -> None:
    session.add(
        t.PolicyLoan(
            loan_no=f"L{request.request_no}",
            policy_id=payload["policy_id"],
            kind=LoanKind.POLICY_LOAN.value,
            principal_fen=payload["amount_fen"],
            annual_rate_bp=payload["rate_bp"],
            start_date=date.fromisoformat(payload["start"]),
            due_date=date.fromisoformat(payload["due"]),
            request_id=request.id,
        )
    )
    session.flush()
    record(session, request, HistoryKind.LOAN_TAKEN, payload["policy_id"], payload["amount_fen"], now)


class TakeLoan:
    kind = ActionKind.TAKE_LOAN
    needs_step_up = True

    def prepare(self, session: Session, customer_id: int, form: dict, today: date) -> Review:
        seen = lookup.policy_versions(session, customer_id)  # before the figures it guards
        pic = lookup.picture(session, customer_id)
        policy = lookup.own_policy(pic, form.get("policy"))
        amount = parse_amount(form.get("amount"))
        term = _term(form.get("term_months"))
        quote = loan_quote_for(session, policy, pic, amount, term, today)
        paid_to = lookup.payout_account(session, customer_id)
        guarded = lookup.fraud_guarded(session, customer_id, today)
        acknowledged_at = _fraud_acknowledgement(form) if guarded else None
        # A guarded customer's loan right after a payout-account change waits a day too.
        account_hold = guarded and account_change_holds_loan(lookup.payout_account_changed_on(session, customer_id), today)
        held = quote.held or account_hold
        lines = [
            ReviewLine("review.policy", policy.policy_no),
            money_line("review.loan_headroom", quote.headroom),
            money_line("review.loan_amount", quote.amount, emphasis=True),
            percent_line("review.annual_rate", quote.annual_rate),
            ReviewLine("review.term_months", str(term)),
            date_line("review.start_date", quote.start_date),
            date_line("review.due_date", quote.due_date),
            money_line("review.interest_to_due", quote.interest_to_due),
            money_line("review.repay_at_due", quote.repay_at_due),
            ReviewLine("review.paid_to", paid_to),
        ]
        if quote.held:
            lines.append(ReviewLine("review.note", value_key="review.cooling_off"))
        elif account_hold:
            lines.append(ReviewLine("review.note", value_key="review.account_change_hold"))
        if acknowledged_at:
            lines.append(ReviewLine("review.fraud_ack", acknowledged_at, value_key=""))
        return Review(
            kind=self.kind,
            customer_id=customer_id,
            policy_id=policy.policy_id,
            policy_no=policy.policy_no,
            amount=quote.amount,
            lines=tuple(lines),
            payload={
                "policy_id": policy.policy_id,
                "amount_fen": to_fen(quote.amount),
                "rate_bp": int(quote.annual_rate * 10000),
                "term": term,
                "start": quote.start_date.isoformat(),
                "due": quote.due_date.isoformat(),
                "versions": {policy.policy_id: seen[policy.policy_id]},
            },
            held=held,
            history_kind=HistoryKind.LOAN_TAKEN,
            extra={"term_months": term, **({"fraud_ack": {"version": FRAUD_WARNING_VERSION, "at": acknowledged_at}}
                                           if acknowledged_at else {})},
        )

    def apply(self, session: Session, review: Review, request: t.ServiceRequest, today: date, now: datetime) -> None:
        payload = review.payload
        bump_version(session, t.Policy, payload["policy_id"], payload["versions"][payload["policy_id"]])
        if review.held:
            request.status = RequestStatus.UNDER_REVIEW.value
            request.decided_at = None
            request.release_on = today + timedelta(days=1)
            session.add(request)
            record(session, request, HistoryKind.REQUEST_HELD, payload["policy_id"], payload["amount_fen"], now)
            return
        create_loan(session, request, payload, now)


class RepayLoan:
    kind = ActionKind.REPAY_LOAN
    needs_step_up = True

    def prepare(self, session: Session, customer_id: int, form: dict, today: date) -> Review:
        seen = lookup.policy_versions(session, customer_id)  # before the figures it guards
        pic = lookup.picture(session, customer_id)
        loan_no = form.get("loan")
        loan = next((ln for ln in pic.loans if isinstance(loan_no, str) and ln.loan_no == loan_no), None)
        if loan is None:
            raise Rejected("error.loan_not_found")
        amount = parse_amount(form.get("amount"))
        quote = quote_repayment(loan, amount, today)
        paid_from = lookup.payout_account(session, customer_id)
        policy_no = next(p.policy_no for p in pic.policies if p.policy_id == loan.policy_id)
        lines = [
            ReviewLine("review.policy", policy_no),
            ReviewLine("review.loan_no", loan.loan_no),
            money_line("review.total_due", quote.balance.total_due),
            money_line("review.repay_amount", quote.amount, emphasis=True),
            money_line("review.interest_part", quote.interest_part),
            money_line("review.principal_part", quote.principal_part),
            money_line("review.remaining", quote.remaining),
            ReviewLine("review.paid_from", paid_from),
        ]
        if quote.closes_loan:
            lines.append(ReviewLine("review.note", value_key="review.closes_loan"))
        return Review(
            kind=self.kind,
            customer_id=customer_id,
            policy_id=loan.policy_id,
            policy_no=policy_no,
            amount=quote.amount,
            lines=tuple(lines),
            payload={
                "loan_id": loan.loan_id,
                "policy_id": loan.policy_id,
                "principal_fen": to_fen(quote.principal_part),
                "interest_fen": to_fen(quote.interest_part),
                "versions": {loan.policy_id: seen[loan.policy_id]},
            },
            history_kind=HistoryKind.LOAN_REPAID,
        )

    def apply(self, session: Session, review: Review, request: t.ServiceRequest, today: date, now: datetime) -> None:
        payload = review.payload
        bump_version(session, t.Policy, payload["policy_id"], payload["versions"][payload["policy_id"]])
        session.add(
            t.LoanRepayment(
                loan_id=payload["loan_id"],
                paid_date=today,
                principal_fen=payload["principal_fen"],
                interest_fen=payload["interest_fen"],
                request_id=request.id,
            )
        )
        session.flush()
        record(session, request, HistoryKind.LOAN_REPAID, payload["policy_id"],
               payload["principal_fen"] + payload["interest_fen"], now)
