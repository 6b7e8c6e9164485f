"""The self-service actions (由查转办) and which of them a policy offers today. Pure."""

from __future__ import annotations

from datetime import date
from enum import Enum

from portal.domain.loans import MINIMUM_LOAN, loan_balance, loan_headroom
from portal.domain.records import CustomerPicture, Policy, PolicyStatus
from portal.domain.rejections import Rejected
from portal.domain.premiums import payable_installments
from portal.domain.rollup import reinstatable


class ActionKind(str, Enum):
    PAY_PREMIUM = "pay_premium"  # 续期交费
    TAKE_LOAN = "take_loan"  # 保单借款
    REPAY_LOAN = "repay_loan"  # 借款还款
    COLLECT_BENEFIT = "collect_benefit"  # 款项领取
    WITHDRAW = "withdraw"  # 万能账户部分领取
    AUTO_RENEW = "auto_renew"  # 自动续保开关
    REINSTATE = "reinstate"  # 保单复效
    UPDATE_PROFILE = "update_profile"  # 联系方式与领款账户变更


def available_actions(policy: Policy, picture: CustomerPicture, today: date) -> list[ActionKind]:
    """The actions a policy page offers, in display order."""
    pid = policy.policy_id
    offered = []
    try:
        payable_installments(policy, picture.installments, today)
        offered.append(ActionKind.PAY_PREMIUM)
    except Rejected:
        pass
    loans = [loan for loan in picture.loans if loan.policy_id == pid]
    if loan_headroom(policy, loans, today) >= MINIMUM_LOAN:
        offered.append(ActionKind.TAKE_LOAN)
    if any(loan_balance(loan, today).total_due > 0 for loan in loans):
        offered.append(ActionKind.REPAY_LOAN)
    if any(b.policy_id == pid and b.paid_date is None and b.payable_date <= today for b in picture.benefits):
        offered.append(ActionKind.COLLECT_BENEFIT)
    if policy.status is PolicyStatus.IN_FORCE and any(a.policy_id == pid for a in picture.accounts):
        offered.append(ActionKind.WITHDRAW)
    if policy.short_term and policy.status is PolicyStatus.IN_FORCE and policy.end_date and policy.end_date >= today:
        offered.append(ActionKind.AUTO_RENEW)
    if reinstatable(policy, today):
        offered.append(ActionKind.REINSTATE)
    return offered
