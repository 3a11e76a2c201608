"""What waits for the person who logs in, for the start page.

Each package answers the signal ``core.signals.waiting_work`` with its kinds of waiting work
(``TaskKind``, connected in its ``__init__.py``); the start page shows those the user's permissions
cover, by ``position``, with how many there are and a link to where the work is done. Counting
only: no kind may be slow."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from .permissions import Permission
from .signals import answers, waiting_work

if TYPE_CHECKING:
    from .actors import Actor
    from .settings import Settings


@dataclass(frozen=True)
class TaskKind:
    label: str                                # "Expense claims waiting for approval"; marked
                                              # N_() for the catalog, the page translates it
    permission: Permission                    # who may see (and do) this work
    count: Callable[..., int]                 # count(session, user, today) -> how many wait
    endpoint: str                             # where the work is done
    arguments: dict = field(default_factory=dict)
    position: int = 100                       # where the start page lists it (lowest first)


@dataclass(frozen=True)
class Waiting:
    kind: TaskKind
    count: int


def kinds(settings: Settings) -> list[TaskKind]:
    """Every kind of waiting work, by position (one per label)."""
    found: dict[str, TaskKind] = {}
    for answer in answers(waiting_work, settings=settings):
        for kind in answer:
            found.setdefault(kind.label, kind)
    return sorted(found.values(), key=lambda kind: kind.position)


def waiting_for(session: Session, user: Actor, today: date, *,
                settings: Settings) -> list[Waiting]:
    """The kinds of work the user may do that have something waiting, by position."""
    found = []
    for kind in kinds(settings):
        if user.can(kind.permission):
            count = kind.count(session, user, today)
            if count:
                found.append(Waiting(kind, count))
    return found
