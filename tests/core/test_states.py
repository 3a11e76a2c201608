"""The state-machine idiom (``core.states``): a table of (state, action) -> state."""
from __future__ import annotations

from enum import StrEnum
from types import SimpleNamespace

import pytest

from backoffice.core.errors import AlreadyDone, InvalidTransition
from backoffice.core.states import StateMachine, Step, rows


class Light(StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


MACHINE = StateMachine(rows(
    ([Light.OFF], "switch_on", Light.ON),
    ([Light.ON], "switch_off", Light.OFF),
    ([Light.OFF, Light.ON], "break", Step(Light.BROKEN, guard=lambda lamp: (
        "It is under warranty." if lamp.warranty else None))),
    ([Light.ON], "dim", Light.ON),
), refused=lambda lamp, action: f"The lamp is {lamp.status} and cannot {action}.",
    already=lambda lamp, action: (f"The lamp is {lamp.status} already."
                                  if action != "break" else None))


def lamp(status: Light, warranty: bool = False) -> SimpleNamespace:
    return SimpleNamespace(status=status, warranty=warranty)


# state, action: where it leads, or (the error, its message)
CASES = [
    (Light.OFF, "switch_on", Light.ON),
    (Light.ON, "switch_on", (AlreadyDone, "The lamp is on already.")),
    (Light.BROKEN, "switch_on", (InvalidTransition, "The lamp is broken and cannot switch_on.")),
    (Light.ON, "switch_off", Light.OFF),
    (Light.OFF, "switch_off", (AlreadyDone, "The lamp is off already.")),
    (Light.OFF, "break", Light.BROKEN),
    (Light.ON, "break", Light.BROKEN),
    (Light.BROKEN, "break", (InvalidTransition, "The lamp is broken and cannot break.")),
    (Light.ON, "dim", Light.ON),
    (Light.OFF, "dim", (InvalidTransition, "The lamp is off and cannot dim.")),
    (Light.OFF, "fly", (InvalidTransition, "The lamp is off and cannot fly.")),
]


@pytest.mark.parametrize(("state", "action", "outcome"), CASES)
def test_check_and_apply(state, action, outcome):
    document = lamp(state)
    if isinstance(outcome, Light):
        assert MACHINE.check(document, action) is outcome
        assert MACHINE.can(document, action)
        assert MACHINE.apply(document, action) is state
        assert document.status is outcome
        return
    error, message = outcome
    assert not MACHINE.can(document, action)
    with pytest.raises(InvalidTransition) as raised:
        MACHINE.apply(document, action)
    assert type(raised.value) is error and str(raised.value) == message
    assert document.status is state


def test_a_guard_refuses_in_a_state_that_allows_the_action():
    document = lamp(Light.ON, warranty=True)
    assert not MACHINE.can(document, "break")
    with pytest.raises(InvalidTransition, match="under warranty") as raised:
        MACHINE.apply(document, "break")
    assert type(raised.value) is InvalidTransition and document.status is Light.ON


def test_the_table_answers_what_a_page_may_offer():
    assert MACHINE.actions == ["switch_on", "switch_off", "break", "dim"]
    assert MACHINE.allowed(lamp(Light.ON)) == ["switch_off", "break", "dim"]
    assert MACHINE.allowed(lamp(Light.ON, warranty=True)) == ["switch_off", "dim"]
    assert MACHINE.allowed(lamp(Light.OFF), ["dim", "switch_on"]) == ["switch_on"]
    assert MACHINE.sources("break") == {Light.OFF, Light.ON}
    assert MACHINE.targets("dim") == {Light.ON}


def test_without_an_already_message_every_refusal_is_invalid_transition():
    machine = StateMachine({(Light.OFF, "switch_on"): Light.ON},
                           refused=lambda lamp, action: "no", state="light")
    document = SimpleNamespace(light=Light.ON)
    with pytest.raises(InvalidTransition) as raised:
        machine.check(document, "switch_on")
    assert type(raised.value) is InvalidTransition
