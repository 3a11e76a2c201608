"""Approval's guards as one pure function (``deciding.approval_refusal``): every guard, allowed
at its limit and refused past it, by a table."""
from __future__ import annotations

from dataclasses import replace

import pytest

from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.grants.deciding import ApprovalFacts, approval_refusal
from backoffice.grants.reviewing import Tally


def eur(amount: int) -> Money:
    return Money(amount * 100, "EUR")


BOARD = ValidationError("Awards above €1,000.00 need a board resolution, ...",
                        field="board_resolution_ref")
#: An award of €500 that passes every guard.
FACTS = ApprovalFacts(
    amount=eur(500), currency="EUR", requested=80000, programme="Meetup Fund",
    max_per_grant=100000, votes=Tally(yes=2, no=1, abstain=0, quorum=3), board=None,
    overdue=None, year=2026, budget=1000000, awarded=900000, fund="GRANTS",
    available=eur(2000))

#: (what differs from FACTS, the refusal's field and message; None: allowed)
CASES = {
    "everything in order": ({}, None),
    "another currency": ({"amount": Money(50000, "USD")}, ("amount", "Give the amount in EUR.")),
    "zero": ({"amount": eur(0)}, ("amount", "The amount awarded must be positive; reject the "
                                            "application instead.")),
    "negative": ({"amount": eur(-5)}, ("amount", "The amount awarded must be positive; reject "
                                                 "the application instead.")),
    "what was asked for": ({"amount": eur(800)}, None),
    "more than asked for": ({"amount": Money(80001, "EUR")},
                            ("amount", "The award cannot be more than the €800.00 asked for.")),
    "nothing asked for, up to the maximum": ({"requested": None, "amount": eur(1000),
                                              "available": eur(1000)}, None),
    "more than the maximum": ({"requested": None, "amount": Money(100001, "EUR")},
                              ("amount", "A grant from “Meetup Fund” is at most €1,000.00.")),
    "quorum just reached": ({"votes": Tally(1, 0, 2, 3)}, None),
    "no quorum": ({"votes": Tally(2, 0, 0, 3)},
                  (None, "The committee has not reached its quorum: 2 of 3 votes cast.")),
    "a tie": ({"votes": Tally(1, 1, 1, 3)},
              (None, "The committee did not vote for it (1 yes, 1 no, 1 abstention).")),
    "voted against": ({"votes": Tally(1, 2, 0, 3)},
                      (None, "The committee did not vote for it (1 yes, 2 no, 0 abstentions).")),
    "board resolution missing": ({"board": BOARD}, ("board_resolution_ref", str(BOARD))),
    "an overdue report": ({"overdue": "G-2025-0003"},
                          (None, "The report back for grant G-2025-0003 is overdue: no new "
                                 "grant until it is in.")),
    "no budget this year": ({"budget": None},
                            ("amount", "The programme “Meetup Fund” has no budget for 2026.")),
    "the budget's last euro": ({"awarded": 950000}, None),
    "beyond the budget": ({"awarded": 950001},
                          ("amount", "This would exceed the 2026 budget of the programme "
                                     "“Meetup Fund”: €499.99 is left.")),
    "the fund's last euro": ({"available": eur(500)}, None),
    "beyond the fund": ({"available": Money(49999, "EUR")},
                        ("amount", "Fund GRANTS has only €499.99 available.")),
    # The first guard in the committee's reading order wins.
    "amount before vote": ({"amount": eur(0), "votes": Tally(0, 0, 0, 3)},
                           ("amount", "The amount awarded must be positive; reject the "
                                      "application instead.")),
    "vote before board": ({"votes": Tally(0, 3, 0, 3), "board": BOARD},
                          (None, "The committee did not vote for it (0 yes, 3 no, 0 "
                                 "abstentions).")),
    "board before budget": ({"board": BOARD, "budget": None},
                            ("board_resolution_ref", str(BOARD))),
    "budget before fund": ({"awarded": 999999, "available": eur(0)},
                           ("amount", "This would exceed the 2026 budget of the programme "
                                      "“Meetup Fund”: €0.01 is left.")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_approval_guard(case):
    changes, expected = CASES[case]
    refusal = approval_refusal(replace(FACTS, **changes))
    if expected is None:
        assert refusal is None
    else:
        assert refusal is not None and (refusal.field, str(refusal)) == expected
