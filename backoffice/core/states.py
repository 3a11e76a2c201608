"""One idiom for a document's states: a table of (state, action) -> state.

Each document keeps its table beside its model (``grants.models.APPLICATION_STATES``,
``expenses.models.CLAIM_STATES``, ...); its services ask the table before they change anything::

    CLAIM_STATES = StateMachine(
        {(ClaimStatus.SUBMITTED, "approve"): ClaimStatus.APPROVED,
         (ClaimStatus.SUBMITTED, "reject"): ClaimStatus.REJECTED},
        refused=lambda claim, action: f"Claim {claim.ref} is already {claim.status.value}.",
        already=lambda claim, action: f"Claim {claim.ref} is already ...; nothing was changed.")

    CLAIM_STATES.check(claim, "approve")   # raises, or returns the state it leads to
    CLAIM_STATES.apply(claim, "approve")   # checks, sets ``claim.status``, returns the old state

An action whose target is the state it starts from is an operation allowed in that state (editing
a draft, correcting a payee): the same table answers "may this be done now?" for it. A refusal is
``InvalidTransition`` with the document's own words (``refused``); asking again for a change that
is done already (a double click, two people at once) is ``AlreadyDone`` (``already``, where the
document has such a message), which the web layer answers calmly. A guard is a pure function of
the document that names why an action is refused in a state that otherwise allows it.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import AlreadyDone, InvalidTransition

S = TypeVar("S", bound=Hashable)

#: Why ``action`` is refused for ``document`` (its current state is on the document).
Message = Callable[[Any, str], str]
#: Why ``action`` is refused although the state allows it, or ``None`` when it is not.
Guard = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Step(Generic[S]):
    """One row of a table: where the action leads, and the guard it must pass first."""

    target: S
    guard: Guard | None = None


def rows(*entries: tuple[Iterable[S], str, S | Step[S]]) -> dict[tuple[S, str], S | Step[S]]:
    """A table written as (states it may start from, action, where it leads) rows."""
    return {(source, action): target for sources, action, target in entries for source in sources}


class StateMachine(Generic[S]):
    """A document's states: which actions lead where, and how refusals read."""

    def __init__(self, table: Mapping[tuple[S, str], S | Step[S]], *, refused: Message,
                 already: Callable[[Any, str], str | None] | None = None,
                 state: str = "status") -> None:
        self.table: dict[tuple[S, str], Step[S]] = {
            key: step if isinstance(step, Step) else Step(step) for key, step in table.items()}
        self.refused, self.already, self.state = refused, already, state

    @property
    def actions(self) -> list[str]:
        """Every action of the table, in the table's order."""
        return list(dict.fromkeys(action for _, action in self.table))

    def sources(self, action: str) -> frozenset[S]:
        """The states ``action`` may start from."""
        return frozenset(state for state, name in self.table if name == action)

    def targets(self, action: str) -> frozenset[S]:
        return frozenset(step.target for (_, name), step in self.table.items() if name == action)

    def state_of(self, document: Any) -> S:
        return getattr(document, self.state)

    def can(self, document: Any, action: str) -> bool:
        """Whether ``action`` may be done now (its state and its guard)."""
        step = self.table.get((self.state_of(document), action))
        return step is not None and (step.guard is None or step.guard(document) is None)

    def allowed(self, document: Any, actions: Iterable[str] | None = None) -> list[str]:
        """The actions (of ``actions``, or all) that may be done now: for a page's buttons."""
        return [a for a in (self.actions if actions is None else actions) if self.can(document, a)]

    def check(self, document: Any, action: str) -> S:
        """The state ``action`` leads to, or the refusal (``AlreadyDone`` when the document is
        where the action leads already and the action may not start there)."""
        current = self.state_of(document)
        step = self.table.get((current, action))
        if step is None:
            if current in self.targets(action) and self.already is not None:
                message = self.already(document, action)
                if message is not None:
                    raise AlreadyDone(message)
            raise InvalidTransition(self.refused(document, action))
        if step.guard is not None and (reason := step.guard(document)) is not None:
            raise InvalidTransition(reason)
        return step.target

    def apply(self, document: Any, action: str) -> S:
        """Check ``action`` and move the document along it; returns the state it left."""
        before = self.state_of(document)
        setattr(document, self.state, self.check(document, action))
        return before
