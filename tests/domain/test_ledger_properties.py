"""Property tests: whatever a customer does with loans over time, the ledger balances.

Each example walks one policy through a random sequence of days on which the customer
takes loans (through ``quote_loan``, with valid random amounts and terms, large ones held
to the next day as the service does) and repays random amounts (through
``quote_repayment``). Every result is applied as new immutable records, and after every
step the test checks, against its own independent running totals:

* borrowed − repaid principal == Σ outstanding principal ≥ 0;
* 0 ≤ loan headroom ≤ the 80% limit (computed here in integer fen), and it equals the
  limit minus everything owed;
* in the roll-up, every money figure is the sum of its lines, LOANS_TAKEN is the sum of
  principals, LOANS_REPAID the sum of repayments, REPAYMENT_DUE the sum of total dues.
"""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from portal.domain.categories import COUNT_CATEGORIES, Category
from portal.domain.loans import (
    MINIMUM_LOAN,
    loan_balance,
    loan_headroom,
    quote_loan,
    quote_repayment,
)
from portal.domain.records import Loan, LoanKind, LoanRepayment
from portal.domain.rejections import Rejected
from portal.domain.rollup import roll_up
from tests.domain.factories import account, benefit, installment, movement, picture, policy

FIRST_DAY = date(2025, 1, 1)
FEN = Decimal("0.01")
RATES = [Decimal("0"), Decimal("0.035"), Decimal("0.0365"), Decimal("0.05"), Decimal("0.0725")]


def fen(n: int) -> Decimal:
    return Decimal(n) * FEN


@dataclass
class Ledger:
    """The customer's loans as immutable records, plus the test's own running totals."""

    loans: list[Loan] = field(default_factory=list)
    next_id: int = 1
    repaid_principal: Decimal = Decimal("0.00")
    repaid_interest: Decimal = Decimal("0.00")

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def borrowed(self, on: date) -> Decimal:
        return sum((loan.principal for loan in self.loans if loan.start_date <= on), Decimal("0.00"))

    def pending(self, on: date) -> Decimal:
        """Held loans not yet paid out: reserved against the headroom."""
        return sum((loan.principal for loan in self.loans if loan.start_date > on), Decimal("0.00"))


# Cash values in fen, spread over bands (bounded integers alone lean heavily to small values):
# none; too little to lend (limit < ¥500); ordinary; large enough for held loans (> ¥100,000).
cash_values = st.one_of(
    st.just(0),
    st.integers(1, 62_499),
    st.integers(62_500, 5_000_000),
    st.integers(5_000_000, 30_000_000),
    st.integers(13_000_000, 30_000_000).map(lambda n: n - n % 100),
)

# Background records so the other money categories are not trivially empty.
background = st.fixed_dictionaries(
    {
        "installments": st.lists(
            st.tuples(st.integers(-400, 400), st.integers(1, 10**6), st.booleans()), max_size=5
        ),
        "benefits": st.lists(
            st.tuples(st.integers(-400, 400), st.integers(1, 10**6), st.booleans()), max_size=4
        ),
        "movements": st.lists(st.tuples(st.integers(-400, 400), st.integers(-10**5, 10**6)), max_size=5),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cash_fen=cash_values,
    rate=st.sampled_from(RATES),
    extra=background,
    data=st.data(),
)
def test_loan_ledger_always_balances(cash_fen, rate, extra, data):
    p = policy(policy_id=1, cash_value=fen(cash_fen), loan_rate=rate, start_date=date(2015, 1, 1))
    # 80% rounded down, in integer fen, independently of the code under test.
    limit = fen(cash_fen * 8 // 10)

    installments = [
        installment(p, FIRST_DAY + timedelta(days=off), str(fen(amount)),
                    paid=FIRST_DAY + timedelta(days=off) if paid else None)
        for off, amount, paid in extra["installments"]
    ]
    benefits = [
        benefit(p, FIRST_DAY + timedelta(days=off), str(fen(amount)),
                paid=FIRST_DAY + timedelta(days=off + 3) if paid else None)
        for off, amount, paid in extra["benefits"]
    ]
    accounts = [
        account(p, movements=tuple(
            movement(FIRST_DAY + timedelta(days=off), str(fen(amount)))
            for off, amount in extra["movements"]
        ))
    ]

    ledger = Ledger()
    day = FIRST_DAY
    steps = data.draw(st.integers(1, 25), label="steps")
    for _ in range(steps):
        day += timedelta(days=data.draw(st.integers(0, 90), label="days later"))
        action = data.draw(st.sampled_from(["borrow", "borrow", "repay", "repay", "repay_all"]),
                           label="action")
        if action == "borrow":
            _borrow(ledger, p, limit, day, data)
        else:
            _repay(ledger, day, data, everything=action == "repay_all")
        _check(ledger, p, limit, day, installments, benefits, accounts)
        # The same ledger seen later still balances (interest keeps accruing).
        _check(ledger, p, limit, day + timedelta(days=45), installments, benefits, accounts)


def _borrow(ledger: Ledger, p, limit: Decimal, day: date, data) -> None:
    reserved = ledger.pending(day)
    started = [loan for loan in ledger.loans if loan.start_date <= day]
    headroom = max(loan_headroom(p, ledger.loans, day) - reserved, Decimal("0.00"))
    term = data.draw(st.integers(1, 6), label="term")
    if headroom < MINIMUM_LOAN:
        event("borrow refused: no headroom")
        try:
            quote_loan(p, ledger.loans, MINIMUM_LOAN, term, day, reserved=reserved)
        except Rejected as err:
            # No cash value at all: the policy cannot lend; otherwise it is just too little.
            expected = "error.loan_not_allowed" if p.cash_value == 0 else "error.loan_no_headroom"
            assert err.code == expected
        else:
            raise AssertionError(f"a loan was quoted with headroom {headroom}")
        return

    low, high = int(MINIMUM_LOAN * 100), int(headroom * 100)
    amount_fen = data.draw(
        st.one_of(
            st.integers(low, high),
            st.integers(0, 100).map(lambda pct: low + (high - low) * pct // 100),  # spread
            st.just(high),  # everything available
            st.just(low),
        ),
        label="amount (fen)",
    )
    amount = fen(amount_fen)
    quote = quote_loan(p, ledger.loans, amount, term, day, reserved=reserved)
    assert quote.headroom == headroom
    assert quote.amount == amount
    event("borrow: held to the next day" if quote.held else "borrow: paid out today")
    if quote.held:
        # As the service does: a held loan is paid out, and accrues, from the next day.
        assert amount > Decimal("100000.00")
        quote = quote_loan(p, ledger.loans, amount, term, day, reserved=reserved,
                           start=day + timedelta(days=1))
        assert quote.start_date == day + timedelta(days=1)
    else:
        assert amount <= Decimal("100000.00")
        assert quote.start_date == day
    assert quote.interest_to_due >= 0
    # Right after lending, what is owed (or reserved) never exceeds the limit.
    owed = sum((loan_balance(loan, day).total_due for loan in started), Decimal("0.00"))
    assert owed + reserved + amount <= limit

    lid = ledger.new_id()
    ledger.loans.append(
        Loan(
            loan_id=lid,
            policy_id=p.policy_id,
            loan_no=f"L{lid:06d}",
            kind=LoanKind.POLICY_LOAN,
            principal=quote.amount,
            annual_rate=quote.annual_rate,
            start_date=quote.start_date,
            due_date=quote.due_date,
        )
    )


def _repay(ledger: Ledger, day: date, data, everything: bool) -> None:
    if not ledger.loans:
        return
    index = data.draw(st.integers(0, len(ledger.loans) - 1), label="loan")
    loan = ledger.loans[index]
    due = loan_balance(loan, day).total_due
    if due <= 0:
        event("repay refused: owes nothing")
        # Closed, or a held loan not yet paid out: nothing to repay.
        try:
            quote_repayment(loan, Decimal("0.01"), day)
        except Rejected as err:
            assert (err.code, err.params) == ("error.loan_closed", {"loan": loan.loan_no})
        else:
            raise AssertionError("a repayment was quoted on a loan owing nothing")
        return

    due_fen = int(due * 100)
    interest_fen = int(loan_balance(loan, day).accrued_interest * 100)
    amount = due if everything else fen(data.draw(
        st.one_of(
            st.integers(1, due_fen),
            st.integers(1, 100).map(lambda pct: max(1, due_fen * pct // 100)),  # spread
            st.sampled_from([n for n in (interest_fen, interest_fen + 1) if 1 <= n <= due_fen] or [1]),
        ),
        label="repay (fen)",
    ))
    quote = quote_repayment(loan, amount, day)
    assert quote.interest_part + quote.principal_part == amount
    assert quote.interest_part >= 0 and quote.principal_part >= 0
    # Interest first: principal is touched only once the accrued interest is covered.
    assert quote.principal_part == 0 or quote.interest_part == quote.balance.accrued_interest
    # One fen above what is due is always refused.
    try:
        quote_repayment(loan, due + FEN, day)
    except Rejected as err:
        assert err.code == "error.repay_above_due"
    else:
        raise AssertionError("an overpayment was quoted")

    paid = LoanRepayment(
        repayment_id=ledger.new_id(),
        loan_id=loan.loan_id,
        paid_date=day,
        principal=quote.principal_part,
        interest=quote.interest_part,
    )
    updated = replace(loan, repayments=loan.repayments + (paid,))
    ledger.loans[index] = updated
    ledger.repaid_principal += quote.principal_part
    ledger.repaid_interest += quote.interest_part

    after = loan_balance(updated, day)
    assert after.total_due == quote.remaining
    event("repay: closes the loan" if quote.closes_loan else "repay: part")
    if quote.closes_loan:
        assert after.total_due == 0 and after.outstanding_principal == 0


def _check(ledger: Ledger, p, limit: Decimal, on: date, installments, benefits, accounts) -> None:
    balances = [loan_balance(loan, on) for loan in ledger.loans]
    outstanding = sum((b.outstanding_principal for b in balances), Decimal("0.00"))
    owed = sum((b.total_due for b in balances), Decimal("0.00"))

    # Principal balances.
    assert all(b.outstanding_principal >= 0 and b.accrued_interest >= 0 for b in balances)
    assert ledger.borrowed(on) - ledger.repaid_principal == outstanding >= 0
    assert sum((b.repaid_principal for b in balances), Decimal("0.00")) == ledger.repaid_principal
    assert sum((b.repaid_interest for b in balances), Decimal("0.00")) == ledger.repaid_interest

    # Headroom: within [0, limit], and exactly the limit less everything owed.
    headroom = loan_headroom(p, ledger.loans, on)
    assert Decimal("0.00") <= headroom <= limit
    assert headroom == max(limit - owed, Decimal("0.00"))

    # The roll-up reconciles with its lines and with the ledger.
    rollup = roll_up(
        picture(policies=[p], installments=installments, benefits=benefits,
                loans=ledger.loans, accounts=accounts),
        on,
    )
    for category in Category:
        figure = rollup.figure(category)
        assert figure.count == len(figure.lines)
        if category in COUNT_CATEGORIES:
            assert figure.amount is None
            continue
        assert all(line.amount is not None for line in figure.lines)
        assert figure.amount == sum((line.amount for line in figure.lines), Decimal("0.00"))

    def amount(category: Category) -> Decimal:
        return rollup.figure(category).amount

    assert amount(Category.LOANS_TAKEN) == ledger.borrowed(on)
    assert amount(Category.LOANS_TAKEN) == sum(
        (loan.principal for loan in ledger.loans if loan.start_date <= on), Decimal("0.00")
    )
    assert amount(Category.LOANS_REPAID) == ledger.repaid_principal + ledger.repaid_interest
    assert amount(Category.REPAYMENT_DUE) == owed
    assert amount(Category.LOANABLE) == headroom
    assert amount(Category.PREMIUMS_PAID) == sum(
        (i.amount for i in installments if i.paid_date is not None and i.paid_date <= on),
        Decimal("0.00"),
    )
    assert amount(Category.CLAIMABLE) == sum(
        (b.amount for b in benefits
         if not (b.paid_date is not None and b.paid_date <= on) and b.payable_date <= on),
        Decimal("0.00"),
    )
    assert amount(Category.UNIVERSAL_ACCOUNTS) == sum(
        (m.amount for a in accounts for m in a.movements if m.occurred_on <= on), Decimal("0.00")
    )
