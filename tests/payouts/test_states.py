"""Every allowed and refused step of a payout batch (``BATCH_STATES``), with the words a refusal
uses."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from backoffice.core.errors import AlreadyDone, InvalidTransition
from backoffice.payouts.models import BATCH_STATES, BatchStatus

from ..state_tables import assert_step, assert_table

B = BatchStatus
#: (state, action) -> where it leads; every other pair is refused.
TABLE = {
    (B.READY, "execute"): B.EXECUTED,
    (B.READY, "cancel"): B.CANCELLED,
    (B.EXECUTED, "return_transfer"): B.EXECUTED,  # a single transfer comes back
}
DONE = {(B.EXECUTED, "execute"), (B.CANCELLED, "cancel")}


def refusal(state: BatchStatus, action: str) -> tuple[type, str]:
    if (state, action) in DONE:
        return AlreadyDone, f"Batch MSG-7 is already {state.value}; nothing was changed."
    if action == "return_transfer":
        return InvalidTransition, (f"Batch MSG-7 is {state.value}: only a transfer the bank "
                                   "executed can come back.")
    return InvalidTransition, f"Batch MSG-7 is {state.value}."


def test_the_table_is_the_one_written_here():
    assert_table(BATCH_STATES, TABLE)


@pytest.mark.parametrize("state", list(BatchStatus))
@pytest.mark.parametrize("action", ["execute", "cancel", "return_transfer"])
def test_every_step(state, action):
    assert_step(BATCH_STATES, SimpleNamespace(status=state, message_id="MSG-7"), action, TABLE,
                refusal(state, action))
