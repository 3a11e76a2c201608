"""Every allowed and refused step of an expense claim (``CLAIM_STATES``), with the words a
refusal uses."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from backoffice.core.errors import AlreadyDone, InvalidTransition
from backoffice.expenses.models import CLAIM_STATES, ClaimStatus

from ..state_tables import assert_step, assert_table

C = ClaimStatus
#: (state, action) -> where it leads; every other pair is refused.
TABLE = {
    (C.SUBMITTED, "approve"): C.APPROVED,
    (C.SUBMITTED, "reject"): C.REJECTED,
    (C.APPROVED, "paid"): C.PAID,             # its payout batch was executed
    (C.PAID, "payment_returned"): C.APPROVED,  # the bank sent it back
    (C.APPROVED, "return_undone"): C.PAID,     # that return was matched by mistake
    (C.APPROVED, "correct_iban"): C.APPROVED,
    (C.APPROVED, "waive"): C.WAIVED,           # the claimant gave it up as a donation
}
#: action -> the refusal's words; the decisions asked for twice are ``AlreadyDone``.
REFUSED = {
    "approve": "Claim EC-7 is already {state}.",
    "reject": "Claim EC-7 is already {state}.",
    "paid": "Claim EC-7 is {state}, not approved.",
    "payment_returned": "Claim EC-7 is {state}, not paid.",
    "return_undone": "Claim EC-7 is {state}, not approved.",
    "correct_iban": "Claim EC-7 is {state}: its account can be corrected only while it waits "
                    "for payment.",
    "waive": "Claim EC-7 is {state}: only an approved claim waiting for payment can be waived.",
}
DONE = {(C.APPROVED, "approve"), (C.REJECTED, "reject"), (C.WAIVED, "waive")}


def test_the_table_is_the_one_written_here():
    assert_table(CLAIM_STATES, TABLE)


@pytest.mark.parametrize("state", list(ClaimStatus))
@pytest.mark.parametrize("action", list(REFUSED))
def test_every_step(state, action):
    refusal = ((AlreadyDone, f"Claim EC-7 is already {state.value}; nothing was changed.")
               if (state, action) in DONE
               else (InvalidTransition, REFUSED[action].format(state=state.value)))
    assert_step(CLAIM_STATES, SimpleNamespace(status=state, ref="EC-7"), action, TABLE, refusal)
