"""Partial withdrawal from a universal-life account (万能个人账户)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from portal.data import tables as t
from portal.domain.amounts import parse_amount
from portal.domain.money import to_fen
from portal.domain.records import HistoryKind
from portal.domain.rejections import Rejected
from portal.domain.withdrawals import quote_withdrawal
from portal.services.servicing import lookup
from portal.services.servicing.core import (
    ActionKind,
    Review,
    ReviewLine,
    bump_version,
    money_line,
    percent_line,
    record,
)


class Withdraw:
    kind = ActionKind.WITHDRAW
    needs_step_up = True

    def prepare(self, session: Session, customer_id: int, form: dict, today: date) -> Review:
        seen = lookup.account_versions(session, customer_id)  # before the balance it guards
        pic = lookup.picture(session, customer_id)
        policy = lookup.own_policy(pic, form.get("policy"))
        account = next((a for a in pic.accounts if a.policy_id == policy.policy_id), None)
        if account is None:
            raise Rejected("error.no_account", policy=policy.policy_no)
        quote = quote_withdrawal(policy, account, parse_amount(form.get("amount")), today)
        paid_to = lookup.payout_account(session, customer_id)
        lines = (
            ReviewLine("review.policy", policy.policy_no),
            ReviewLine("review.account_no", account.account_no),
            money_line("review.account_value", quote.value_before),
            money_line("review.withdraw_amount", quote.amount, emphasis=True),
            ReviewLine("review.policy_year", str(quote.policy_year)),
            percent_line("review.charge_rate", quote.charge_rate),
            money_line("review.charge", quote.charge),
            money_line("review.net_payout", quote.net_payout, emphasis=True),
            money_line("review.value_after", quote.value_after),
            money_line("review.minimum_balance", account.minimum_balance),
            ReviewLine("review.paid_to", paid_to),
        )
        return Review(
            kind=self.kind,
            customer_id=customer_id,
            policy_id=policy.policy_id,
            policy_no=policy.policy_no,
            amount=quote.amount,
            lines=lines,
            payload={
                "account_id": account.account_id,
                "policy_id": policy.policy_id,
                "amount_fen": to_fen(quote.amount),
                "charge_fen": to_fen(quote.charge),
                "versions": {account.account_id: seen[account.account_id]},
            },
            history_kind=HistoryKind.ACCOUNT_WITHDRAWAL,
        )

    def apply(self, session: Session, review: Review, request: t.ServiceRequest, today: date, now: datetime) -> None:
        p = review.payload
        # The account's version guards its balance: two withdrawals decided on the same
        # balance cannot both take the account below its minimum.
        bump_version(session, t.UniversalAccount, p["account_id"], p["versions"][p["account_id"]])
        net = p["amount_fen"] - p["charge_fen"]
        session.add(t.AccountMovement(account_id=p["account_id"], occurred_on=today, kind="withdrawal",
                                      amount_fen=-net, request_id=request.id))
        if p["charge_fen"]:
            session.add(t.AccountMovement(account_id=p["account_id"], occurred_on=today, kind="fee",
                                          amount_fen=-p["charge_fen"], request_id=request.id))
        session.flush()
        record(session, request, HistoryKind.ACCOUNT_WITHDRAWAL, p["policy_id"], p["amount_fen"], now)
