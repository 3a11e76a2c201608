"""The ledger's rules one by one, without a database: every valid entry passes all of them, and
each bad case is refused by exactly the rule written for it (with its message)."""
from __future__ import annotations

import os
from dataclasses import FrozenInstanceError, dataclass, replace
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.core.errors import ValidationError
from backoffice.core.money import MAX_MAJOR_UNITS, Money
from backoffice.ledger import checks
from backoffice.ledger.checks import Amount, ClosedPeriod, Draft, Line, UnbalancedEntry


@dataclass(frozen=True)
class Thing:
    """An account or a fund as the rules see it."""

    id: int | None
    label: str
    active: bool = True
    role: str | None = None


CASH, FEES, INTERFUND = Thing(1, "1200 Bank"), Thing(2, "6100 Fees"), Thing(3, "1900 Interfund", role="interfund")
GENERAL, BERLIN = Thing(1, "GEN General"), Thing(2, "BER Berlin")
DAY = date(2026, 3, 14)
ALL = tuple(rule.check for rule in checks.RULES)
#: Examples per property (a mutation run sets fewer: it runs these tests once per mutant).
SETTINGS = settings(max_examples=int(os.environ.get("LEDGER_CHECKS_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


Money(1, "JPY").check_size()  # babel's currency data loads once, not inside a timed example


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def failing(draft: Draft, among=ALL) -> dict:
    return {check.__name__: problem for check in among if (problem := check(draft)) is not None}


@st.composite
def valid_drafts(draw):
    """Entries of two to eight lines that balance per currency and per fund."""
    lines = []
    for fund in draw(st.lists(st.sampled_from([GENERAL, BERLIN]), min_size=1, max_size=2, unique=True)):
        for currency in draw(st.lists(st.sampled_from(["EUR", "USD", "JPY"]), min_size=1,
                                      max_size=2, unique=True)):
            amounts = draw(st.lists(st.integers(-10**6, 10**6).filter(bool), min_size=1, max_size=3))
            if sum(amounts) == 0:
                amounts = amounts[:-1] or [1]
            for amount in [*amounts, -sum(amounts)]:
                account = draw(st.sampled_from([CASH, FEES]))
                lines.append(Line(account, fund, Money(amount, currency),
                                  draw(st.none() | st.text(max_size=200))))
    description = draw(st.text(min_size=1, max_size=500).filter(str.strip))
    return Draft(DAY, description, lines)


@SETTINGS
@given(valid_drafts())
def test_a_valid_entry_passes_every_rule(draft):
    assert failing(draft) == {}
    checks.check_entry(draft)  # raises nothing


def _first_line(draft: Draft, **changes) -> Draft:
    return replace(draft, lines=[replace(draft.lines[0], **changes), *draft.lines[1:]])


def _plus(draft: Draft, *lines: Line) -> Draft:
    return replace(draft, lines=[*draft.lines, *lines])


LIMIT = MAX_MAJOR_UNITS * 100  # EUR minor units

#: case: (how to spoil a valid entry, the rule that refuses it, its message, its error class,
#: other rules that must refuse it too)
BAD = {
    "no date": (lambda d: replace(d, booking_date=None), checks.booking_date_given,
                "Give the booking date.", ValidationError, set()),
    "a datetime": (lambda d: replace(d, booking_date=datetime(2026, 3, 14, 12)),
                   checks.booking_date_given, "Give the booking date.", ValidationError, set()),
    "no description": (lambda d: replace(d, description=" \n "), checks.description_given,
                       "Describe the entry.", ValidationError, set()),
    "description too long": (lambda d: replace(d, description="x" * 501), checks.description_short,
                             "The description is longer than 500 characters.", ValidationError, set()),
    "one line": (lambda d: replace(d, lines=d.lines[:1]), checks.two_lines,
                 "An entry needs at least two lines.", ValidationError,
                 {"balanced_per_currency", "balanced_per_fund"}),
    "zero": (lambda d: _plus(d, Line(CASH, GENERAL, eur(0))), checks.amounts_non_zero,
             "Line {n}: the amount is zero.", ValidationError, set()),
    "absurd": (lambda d: _plus(d, Line(FEES, GENERAL, eur(LIMIT + 1)), Line(CASH, GENERAL, eur(-LIMIT - 1))),
               checks.amounts_within_limit,
               "Line {n}: The amount is larger than the limit of 1,000,000,000 EUR for one amount.",
               ValidationError, set()),
    "inactive account": (lambda d: _first_line(d, account=replace(d.lines[0].account, active=False)),
                         checks.accounts_active, "Line 1: account {account} is inactive.",
                         ValidationError, set()),
    "inactive fund": (lambda d: _first_line(d, fund=replace(d.lines[0].fund, active=False)),
                      checks.funds_active, "Line 1: fund {fund} is inactive.", ValidationError, set()),
    "interfund by hand": (lambda d: _first_line(d, account=INTERFUND), checks.interfund_by_the_ledger,
                          "Line 1: 1900 Interfund is kept by the ledger itself. Post to the funds "
                          "involved and it adds the interfund lines.", ValidationError, set()),
    "long memo": (lambda d: _first_line(d, memo="m" * 201), checks.memos_short,
                  "Line 1: the memo is longer than 200 characters.", ValidationError, set()),
    "unbalanced": (lambda d: _first_line(d, amount=d.lines[0].amount + Money(1, d.lines[0].amount.currency)),
                   checks.balanced_per_currency, None, UnbalancedEntry, {"balanced_per_fund"}),
    "a fund unbalanced": (lambda d: _plus(d, Line(FEES, GENERAL, eur(5)), Line(CASH, BERLIN, eur(-5))),
                          checks.balanced_per_fund, None, UnbalancedEntry, set()),
    "closed period": (lambda d: replace(d, closed_period="month 2026-03"), checks.period_open,
                      "The month 2026-03 is closed: nothing can be posted on 2026-03-14. Choose a "
                      "date in an open period, or ask the treasurer to reopen the month 2026-03.",
                      ClosedPeriod, set()),
}


@pytest.mark.parametrize("case", BAD)
@SETTINGS
@given(draft=valid_drafts())
def test_each_rule_refuses_exactly_its_bad_case(case, draft):
    spoil, check, message, error, also = BAD[case]
    bad = spoil(draft)
    refused = failing(bad)
    assert set(refused) == {check.__name__} | also
    problem = refused[check.__name__]
    assert problem.error is error
    if message is not None:
        assert problem.message == message.format(n=len(draft.lines) + 1,
                                                 account=draft.lines[0].account.label,
                                                 fund=draft.lines[0].fund.label)
    first = next(c.__name__ for c in ALL if c.__name__ in refused)
    assert checks.first_problem(bad, ALL) == refused[first]
    if check is checks.balanced_per_fund:  # posting checks the funds once its interfund lines are in
        raised = checks.first_problem(bad, (check,)).exception()
    else:
        with pytest.raises(ValidationError) as info:
            checks.check_entry(bad)
        raised = info.value
    assert type(raised) is refused[first].error and str(raised) == refused[first].message
    assert raised.field == refused[first].field


def test_limits_are_inclusive():
    at_limit = Draft(DAY, "x" * 500, [Line(FEES, GENERAL, eur(LIMIT), "m" * 200),
                                      Line(CASH, GENERAL, eur(-LIMIT))])
    assert failing(at_limit) == {}


def test_unbalanced_entries_name_debits_credits_and_the_difference():
    draft = Draft(DAY, "x", [Line(FEES, GENERAL, eur(1000)), Line(CASH, GENERAL, eur(-900)),
                             Line(FEES, GENERAL, Money(5, "USD")), Line(CASH, GENERAL, Money(-5, "USD"))])
    assert checks.balanced_per_currency(draft).message == (
        "The entry does not balance: debits 10.00 EUR, credits 9.00 EUR, difference 1.00 EUR.")
    credits_heavy = replace(draft, lines=[Line(FEES, GENERAL, eur(900)), Line(CASH, GENERAL, eur(-1000))])
    assert checks.balanced_per_currency(credits_heavy).message == (
        "The entry does not balance: debits 9.00 EUR, credits 10.00 EUR, difference -1.00 EUR.")
    funds = Draft(DAY, "x", [Line(FEES, GENERAL, eur(500)), Line(CASH, BERLIN, eur(-500))])
    assert checks.balanced_per_fund(funds).message == (
        "The entry does not balance in fund GEN General: off by 5.00 EUR.")
    assert checks.balanced_per_fund(funds).field is None


def test_stored_entries_are_checked_with_amounts_money_would_refuse():
    """``ledger verify`` reads amounts back as they are: an unknown currency is named, not raised."""
    draft = Draft(DAY, "x", [Line(FEES, GENERAL, Amount(7, "XXQ")), Line(CASH, GENERAL, Amount(-5, "XXQ"))])
    refused = failing(draft, checks.STORED)
    assert set(refused) == {"currencies_known", "balanced_per_currency", "balanced_per_fund"}
    assert refused["currencies_known"].message == "Line 1: unknown currency 'XXQ'."
    assert refused["balanced_per_currency"].message == (
        "The entry does not balance: debits 7 XXQ, credits 5 XXQ, difference 2 XXQ.")
    assert refused["balanced_per_fund"].message == "The entry does not balance in fund GEN General: off by 2 XXQ."


def test_lines_must_carry_money_and_name_their_account_and_fund():
    good = [Line(FEES, GENERAL, eur(1)), Line(CASH, GENERAL, eur(-1))]
    cases = {
        "the amount must be Money.": [good[0], replace(good[1], amount=-1)],
        "choose an account.": [good[0], replace(good[1], account=None)],
        "choose a fund.": [good[0], replace(good[1], fund=Thing(None, "new"))],
    }
    for message, lines in cases.items():
        problem = checks.first_problem(Draft(DAY, "x", lines))
        assert problem is not None and problem.message == f"Line 2: {message}"
    unsaved = [good[0], replace(good[1], account=Thing(None, "new"))]
    assert checks.first_problem(Draft(DAY, "x", unsaved)).message == "Line 2: choose an account."
    no_fund = [good[0], replace(good[1], fund=None)]
    assert checks.first_problem(Draft(DAY, "x", no_fund)).message == "Line 2: choose a fund."


def test_reversals_may_repeat_interfund_lines():
    lines = [Line(INTERFUND, GENERAL, eur(1)), Line(CASH, GENERAL, eur(-1))]
    assert checks.interfund_by_the_ledger(Draft(DAY, "x", lines)) is not None
    assert checks.interfund_by_the_ledger(Draft(DAY, "x", lines, allow_interfund=True)) is None


def test_every_rule_is_in_the_one_list_and_posting_checks_all_but_the_funds_first():
    assert len(set(ALL)) == len(ALL)
    assert checks.POSTING == tuple(c for c in ALL if c is not checks.balanced_per_fund)
    assert {c.__name__ for c in checks.STORED} == {
        "description_given", "description_short", "two_lines", "amounts_non_zero", "memos_short",
        "currencies_known", "balanced_per_currency", "balanced_per_fund"}


def test_what_the_rules_look_at_cannot_change_and_defaults_to_nothing():
    line = Line(CASH, GENERAL, eur(1))
    draft = Draft(DAY, "x", [line])
    problem = checks.Problem("Wrong.")
    for value, name in [(line, "memo"), (draft, "closed_period"), (problem, "field"),
                        (checks.RULES[0], "stored")]:
        with pytest.raises(FrozenInstanceError):
            setattr(value, name, "changed")
    assert line.memo is None and draft.closed_period is None and draft.allow_interfund is False
    assert problem.field is None and problem.error is ValidationError
    assert type(problem.exception()) is ValidationError and str(problem.exception()) == "Wrong."


FIELDS = {"no date": "booking_date", "a datetime": "booking_date", "no description": "description",
          "description too long": "description", "closed period": "booking_date"}


@pytest.mark.parametrize("case", BAD)
def test_each_problem_names_the_field_it_belongs_to(case):
    spoil, check, *_ = BAD[case]
    draft = Draft(DAY, "x", [Line(FEES, GENERAL, eur(1)), Line(CASH, GENERAL, eur(-1))])
    assert check(spoil(draft)).field == FIELDS.get(case)


def test_a_missing_description_is_asked_for():
    draft = Draft(DAY, None, [Line(FEES, GENERAL, eur(1)), Line(CASH, GENERAL, eur(-1))])
    assert checks.first_problem(draft).message == "Describe the entry."
    assert checks.description_short(draft) is None


def test_a_debit_of_one_minor_unit_is_a_debit():
    draft = Draft(DAY, "x", [Line(FEES, GENERAL, eur(1)), Line(CASH, GENERAL, eur(-2))])
    assert checks.balanced_per_currency(draft).message == (
        "The entry does not balance: debits 0.01 EUR, credits 0.02 EUR, difference -0.01 EUR.")
