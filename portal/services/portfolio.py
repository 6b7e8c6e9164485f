"""Read use cases: a customer's dashboard, a category's records, the policy list and one
policy. Each one first decides whether the caller may see that customer's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, func, select

from portal.data.picture import load_customer_picture, load_policy_ref
from portal.data.tables import Customer, ManagerAssignment
from portal.domain.actions import ActionKind, available_actions
from portal.domain.categories import Category, CategoryFigure, Rollup
from portal.domain.loans import LoanBalance, loan_balance
from portal.domain.masking import mask_id_number, mask_phone
from portal.domain.records import (
    BenefitItem,
    CustomerPicture,
    HistoryEvent,
    Loan,
    Policy,
    PremiumInstallment,
    UniversalAccount,
)
from portal.domain.rollup import account_value, roll_up
from portal.services.auth import Principal


class AccessDenied(Exception):
    """The caller may not see this customer's data. Pages show 'not found' for policies so
    that the existence of other people's policies is not revealed."""


def authorize_customer(session: Session, principal: Principal | None, customer_id: int | None) -> int:
    """The customer id the caller may act on: customers their own, managers assigned ones."""
    if principal is None:
        raise AccessDenied("not logged in")
    if principal.is_customer:
        if customer_id is not None and customer_id != principal.customer_id:
            raise AccessDenied("another customer's data")
        return principal.customer_id
    if principal.is_manager and customer_id is not None:
        assigned = session.exec(
            select(ManagerAssignment.id).where(
                ManagerAssignment.manager_id == principal.manager_id,
                ManagerAssignment.customer_id == customer_id,
            )
        ).first()
        if assigned is not None:
            return customer_id
    raise AccessDenied("not assigned")


@dataclass(frozen=True)
class Dashboard:
    customer_name: str
    id_number_masked: str  # identifiers leave the service layer masked only
    phone_masked: str
    picture: CustomerPicture
    rollup: Rollup


def load_dashboard(
    session: Session, principal: Principal | None, today: date, customer_id: int | None = None, *, history: bool = False
) -> Dashboard:
    """The eleven figures; the history is counted, not read, unless ``history`` (its own page)."""
    customer_id = authorize_customer(session, principal, customer_id)
    customer = session.get(Customer, customer_id)
    picture = load_customer_picture(session, customer_id, history=history)
    return Dashboard(
        customer_name=customer.name,
        id_number_masked=mask_id_number(customer.id_number),
        phone_masked=mask_phone(customer.phone),
        picture=picture,
        rollup=roll_up(picture, today),
    )


def load_category(
    session: Session, principal: Principal | None, category: Category, today: date
) -> tuple[Dashboard, CategoryFigure]:
    dashboard = load_dashboard(session, principal, today, history=category is Category.HISTORY)
    return dashboard, dashboard.rollup.figure(category)


@dataclass(frozen=True)
class Page:
    """One page of a longer list: the browser holds a page of rows, never the whole list."""

    items: tuple
    number: int  # 0-based, clamped into range
    count: int  # pages, at least 1
    total: int  # items in the whole list


def page_bounds(total: int, number: int, size: int) -> tuple[int, int]:
    """(page number clamped into range, page count ≥ 1) for ``total`` items."""
    count = max(1, -(-total // size))
    return min(max(int(number), 0), count - 1), count


def page_of(items, number: int, size: int) -> Page:
    items = tuple(items)
    number, count = page_bounds(len(items), number, size)
    return Page(items[number * size : (number + 1) * size], number, count, len(items))


def list_policies(
    session: Session,
    principal: Principal | None,
    today: date,
    line: str | None = None,
    status: str | None = None,
    reminder: str | None = None,
    page: int = 0,
    size: int = 20,
) -> Page:
    """The unified query, one page of it. Line and status filters need the policies only
    (one statement); a reminder filter needs the roll-up, which knows what each reminder
    concerns."""
    customer_id = authorize_customer(session, principal, None)
    only_ids = None
    if reminder:
        picture = load_customer_picture(session, customer_id, history=False)
        rollup = roll_up(picture, today)
        only_ids = next((set(r.policy_ids) for r in rollup.reminders if r.kind.value == reminder), set())
    else:
        picture = load_customer_picture(session, customer_id, records=False)
    return page_of(filter_policies(picture.policies, line, status, only_ids), page, size)


def filter_policies(
    policies, line: str | None, status: str | None, only_ids: set[int] | None = None
) -> list[Policy]:
    """None means no filter; ``only_ids`` narrows to the policies a reminder concerns."""
    return [
        policy
        for policy in policies
        if (not line or policy.line.value == line)
        and (not status or policy.status.value == status)
        and (only_ids is None or policy.policy_id in only_ids)
    ]


@dataclass(frozen=True)
class LoanView:
    loan: Loan
    balance: LoanBalance


@dataclass(frozen=True)
class PolicyDetail:
    policy: Policy
    installments: tuple[PremiumInstallment, ...]
    benefits: tuple[BenefitItem, ...]
    loans: tuple[LoanView, ...]
    account: UniversalAccount | None
    account_value: Decimal | None
    history: tuple[HistoryEvent, ...]
    actions: tuple[ActionKind, ...] = ()  # what the policyholder can do with it today


def load_policy(
    session: Session, principal: Principal | None, policy_no: str, today: date
) -> PolicyDetail:
    """Raises AccessDenied both for a policy that does not exist and for someone else's."""
    ref = load_policy_ref(session, policy_no)
    if ref is None:
        raise AccessDenied("no such policy")
    policy_id, owner = ref
    customer_id = authorize_customer(session, principal, owner)
    # This policy's records only: the page costs the same for one policy as for 157.
    picture = load_customer_picture(session, customer_id, only_policy_id=policy_id)
    policy = picture.policies[0]
    pid = policy.policy_id
    account = next((a for a in picture.accounts if a.policy_id == pid), None)
    return PolicyDetail(
        policy=policy,
        installments=tuple(i for i in picture.installments if i.policy_id == pid),
        benefits=tuple(b for b in picture.benefits if b.policy_id == pid),
        loans=tuple(
            LoanView(loan, loan_balance(loan, today)) for loan in picture.loans if loan.policy_id == pid
        ),
        account=account,
        account_value=account_value(account, today) if account else None,
        history=tuple(
            sorted(
                (e for e in picture.history if e.policy_id == pid),
                key=lambda e: (e.occurred_at, e.event_id),
                reverse=True,
            )
        ),
        # Only the policyholder acts on a policy; a manager sees it read-only.
        actions=tuple(available_actions(policy, picture, today)) if principal.is_customer else (),
    )


@dataclass(frozen=True)
class ClientSummary:
    customer_id: int
    name: str
    city: str
    policy_count: int
    reminder_counts: dict[str, int]


def load_manager_clients(
    session: Session, principal: Principal | None, today: date, page: int = 0, size: int = 20
) -> Page:
    """One page of the clients assigned to the calling manager, with what needs doing for
    each. Paged in SQL: a manager with thousands of clients costs one page's roll-ups per
    request, not one per client. (The manager console replaces this with SQL summaries.)"""
    if principal is None or not principal.is_manager:
        raise AccessDenied("managers only")
    assigned = ManagerAssignment.manager_id == principal.manager_id
    total = session.exec(select(func.count()).select_from(ManagerAssignment).where(assigned)).one()
    page, count = page_bounds(total, page, size)
    rows = session.exec(
        select(Customer)
        .join(ManagerAssignment, ManagerAssignment.customer_id == Customer.id)
        .where(assigned)
        .order_by(Customer.customer_no)
        .offset(page * size)
        .limit(size)
    ).all()
    summaries = []
    for customer in rows:
        rollup = roll_up(load_customer_picture(session, customer.id, history=False), today)
        summaries.append(
            ClientSummary(
                customer_id=customer.id,
                name=customer.name,
                city=customer.city,
                policy_count=rollup.figure(Category.OVERVIEW).count,
                reminder_counts={r.kind.value: r.count for r in rollup.reminders},
            )
        )
    return Page(tuple(summaries), page, count, total)
