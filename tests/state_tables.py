"""Walking a document's state table (``core.states``) in the per-document tests."""
from __future__ import annotations

import pytest

from backoffice.core.errors import InvalidTransition
from backoffice.core.states import StateMachine


def assert_table(machine: StateMachine, expected: dict) -> None:
    """The machine's table is exactly ``expected``: (state, action) -> where it leads."""
    assert {key: step.target for key, step in machine.table.items()} == expected


def assert_step(machine: StateMachine, document, action: str, expected: dict,
                refusal: tuple[type, str] | None) -> None:
    """``action`` on ``document`` leads where ``expected`` says, or is refused with exactly
    ``refusal`` (the error's class and words) and changes nothing."""
    state = document.status
    if (state, action) in expected:
        assert machine.apply(document, action) is state
        assert document.status is expected[state, action]
        return
    error, message = refusal
    with pytest.raises(InvalidTransition) as raised:
        machine.apply(document, action)
    assert (type(raised.value), str(raised.value)) == (error, message)
    assert document.status is state
