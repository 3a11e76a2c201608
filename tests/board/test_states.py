"""Every allowed and refused step of a meeting (``MEETING_STATES``) and of the auditors'
checklist (``AUDIT_STATES``, ``ITEM_STATES``), with the words a refusal uses."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from backoffice.board.audit_models import AUDIT_STATES, ITEM_STATES, AuditStatus, ItemState
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


#: How a refusal names each step (a whole sentence: "... closing the meeting is not possible").
STEPS = {"edit_agenda": "changing the agenda", "invite": "inviting",
         "open": "opening the meeting", "attendance": "recording attendance",
         "minutes": "writing the minutes", "vote": "voting", "close": "closing the meeting",
         "approve_minutes": "approving the minutes", "addendum": "adding an addendum"}


def refusal(state: MeetingStatus, action: str) -> tuple[type, str]:
    if (state, action) in DONE:
        return AlreadyDone, f"The meeting's state is “{state.label}” already."
    return InvalidTransition, (f"The meeting's state is “{state.label}”: "
                               f"{STEPS[action]} is not possible now.")


def test_the_table_is_the_one_written_here():
    assert_table(MEETING_STATES, TABLE)


@pytest.mark.parametrize("state", list(MeetingStatus))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_step(state, action):
    assert_step(MEETING_STATES, SimpleNamespace(status=state), action, TABLE,
                refusal(state, action))


# --- the auditors' checklist (board/audit_models.py) --------------------------------------------

AUDIT_TABLE = {
    (AuditStatus.OPEN, "sample"): AuditStatus.OPEN,
    (AuditStatus.OPEN, "check"): AuditStatus.OPEN,
    (AuditStatus.OPEN, "report"): AuditStatus.REPORTED,
}
It = ItemState
ITEM_TABLE = {
    (It.OPEN, "check"): It.CHECKED,
    (It.QUERIED, "check"): It.CHECKED,  # the answer satisfied the auditors
    (It.OPEN, "query"): It.QUERIED,
    (It.CHECKED, "query"): It.QUERIED,  # a second look raised a question
}


def test_the_audit_tables_are_the_ones_written_here():
    assert_table(AUDIT_STATES, AUDIT_TABLE)
    assert_table(ITEM_STATES, ITEM_TABLE)


@pytest.mark.parametrize("state", list(AuditStatus))
@pytest.mark.parametrize("action", ["sample", "check", "report"])
def test_every_step_of_an_audit(state, action):
    refusal = (AlreadyDone, "The report on 2026 is written already.") if action == "report" \
        else (InvalidTransition, "The audit of 2026 is reported: it changes no more.")
    assert_step(AUDIT_STATES, SimpleNamespace(status=state, year=2026), action, AUDIT_TABLE,
                refusal)


@pytest.mark.parametrize("state", list(ItemState))
@pytest.mark.parametrize("action", ["check", "query"])
def test_every_step_of_an_audit_item(state, action):
    refusal = (AlreadyDone, f"The item is {state.value} already.")
    assert_step(ITEM_STATES, SimpleNamespace(status=state), action, ITEM_TABLE, refusal)
