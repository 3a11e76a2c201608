"""What waits for the person who logs in, for the start page.

Each package registers its kinds of waiting work (``register``) when ``web.init_web`` imports
its ``tasks`` module; the start page shows those the user's permissions cover, with how many
there are and a link to where the work is done. Counting only: no kind may be slow."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from .permissions import Permission

if TYPE_CHECKING:
    from .actors import Actor


@dataclass(frozen=True)
class TaskKind:
    label: str                                # "Expense claims waiting for approval"
    permission: Permission                    # who may see (and do) this work
    count: Callable[..., int]                 # count(session, user, today) -> how many wait
    endpoint: str                             # where the work is done
    arguments: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Waiting:
    kind: TaskKind
    count: int


_KINDS: list[TaskKind] = []


def register(kind: TaskKind) -> TaskKind:
    if all(known.label != kind.label for known in _KINDS):
        _KINDS.append(kind)
    return kind


def waiting_for(session: Session, user: Actor, today: date) -> list[Waiting]:
    """The kinds of work the user may do that have something waiting, in registration order."""
    found = []
    for kind in _KINDS:
        if user.can(kind.permission):
            count = kind.count(session, user, today)
            if count:
                found.append(Waiting(kind, count))
    return found
