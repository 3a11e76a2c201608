"""Every allowed and refused step of a group's life (``GROUP_STATES``), with the words a refusal
uses."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from backoffice.core.errors import InvalidTransition
from backoffice.groups.models import GROUP_STATES, GroupStatus

from ..state_tables import assert_step, assert_table

G = GroupStatus
#: (state, action) -> where it leads; every other pair is refused. ``change_status`` names the
#: action by the state asked for.
TABLE = {
    (G.APPLICANT, "approve"): G.ACTIVE,
    (G.APPLICANT, "decline"): G.DECLINED,
    (G.ACTIVE, "dormant"): G.DORMANT,
    (G.DORMANT, "active"): G.ACTIVE,
    (G.ACTIVE, "dissolved"): G.DISSOLVED,
    (G.DORMANT, "dissolved"): G.DISSOLVED,
    (G.ACTIVE, "add_organiser"): G.ACTIVE,
    (G.DORMANT, "add_organiser"): G.DORMANT,
}
ACTIONS = ["approve", "decline", "add_organiser", *(s.value for s in GroupStatus)]


def refusal(state: GroupStatus, action: str) -> str:
    if action in ("approve", "decline"):
        return f"PyHack is {state.value}, not an applicant."
    if action == "add_organiser":
        return f"PyHack is {state.value}: organisers are added to active or dormant groups."
    return f"PyHack is {state.value}; it cannot become {action}."


def test_the_table_is_the_one_written_here():
    assert_table(GROUP_STATES, TABLE)


@pytest.mark.parametrize("state", list(GroupStatus))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_step(state, action):
    # a group's refusals are never AlreadyDone
    assert_step(GROUP_STATES, SimpleNamespace(status=state, name="PyHack"), action, TABLE,
                (InvalidTransition, refusal(state, action)))
