"""Every allowed and refused step of a group's life (``GROUP_STATES``), with the words a refusal
uses."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from backoffice.core.errors import AlreadyDone, InvalidTransition
from backoffice.groups.models import GROUP_STATES, GroupStatus

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
    assert {key: step.target for key, step in GROUP_STATES.table.items()} == TABLE


@pytest.mark.parametrize("state", list(GroupStatus))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_step(state, action):
    group = SimpleNamespace(status=state, name="PyHack")
    if (state, action) in TABLE:
        assert GROUP_STATES.apply(group, action) is state
        assert group.status is TABLE[state, action]
        return
    with pytest.raises(InvalidTransition) as raised:  # a group's refusals are never AlreadyDone
        GROUP_STATES.apply(group, action)
    assert not isinstance(raised.value, AlreadyDone)
    assert str(raised.value) == refusal(state, action) and group.status is state
