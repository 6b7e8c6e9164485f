"""Auto-renewal of short-term (one-year) policies. Pure.

Rules (copied to the README): only an in-force short-term policy with an end date can be
switched; the switch never changes the current term, it decides whether the next term
(starting the day after the end date) is issued automatically; asking for the state it is
already in is refused so the history only holds real changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from portal.domain.records import Policy, PolicyStatus
from portal.domain.rejections import Rejected


@dataclass(frozen=True)
class AutoRenewalChange:
    policy: Policy
    enable: bool
    effective_from: date  # first day of the next term


def change_auto_renewal(policy: Policy, enable: bool, today: date) -> AutoRenewalChange:
    if not policy.short_term or policy.end_date is None:
        raise Rejected("error.not_short_term", policy=policy.policy_no)
    if policy.status is not PolicyStatus.IN_FORCE or policy.end_date < today:
        raise Rejected("error.policy_not_in_force", policy=policy.policy_no)
    if policy.auto_renew == enable:
        raise Rejected("error.auto_renew_unchanged")
    return AutoRenewalChange(policy, enable, policy.end_date + timedelta(days=1))
