"""Every allowed and refused step of a meeting (``MEETING_STATES``), with the words a refusal
uses."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from backoffice.board.models import MEETING_STATES, MeetingStatus
from backoffice.core.errors import AlreadyDone, InvalidTransition

from ..state_tables import assert_step, assert_table

M = MeetingStatus
TABLE = {
    (M.PLANNED, "edit_agenda"): M.PLANNED,
    (M.PLANNED, "invite"): M.INVITED,
    (M.INVITED, "invite"): M.INVITED,  # invited again (a member appointed meanwhile)
    (M.INVITED, "open"): M.OPEN,
    (M.OPEN, "attendance"): M.OPEN,
    (M.OPEN, "minutes"): M.OPEN,
    (M.HELD, "minutes"): M.HELD,  # the minute-taker finishes them after the meeting
    (M.OPEN, "vote"): M.OPEN,
    (M.OPEN, "close"): M.HELD,
    (M.HELD, "approve_minutes"): M.APPROVED,
    (M.APPROVED, "addendum"): M.APPROVED,  # the only change approved minutes take
}
ACTIONS = sorted({action for _, action in TABLE})
DONE = {(M.OPEN, "open"), (M.HELD, "close"), (M.APPROVED, "approve_minutes")}


def refusal(state: MeetingStatus, action: str) -> tuple[type, str]:
    if (state, action) in DONE:
        return AlreadyDone, f"The meeting is {state.label.lower()} already."
    return InvalidTransition, (f"The meeting is {state.label.lower()}: "
                               f"{action.replace('_', ' ')} is not possible now.")


def test_the_table_is_the_one_written_here():
    assert_table(MEETING_STATES, TABLE)


@pytest.mark.parametrize("state", list(MeetingStatus))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_step(state, action):
    assert_step(MEETING_STATES, SimpleNamespace(status=state), action, TABLE,
                refusal(state, action))
