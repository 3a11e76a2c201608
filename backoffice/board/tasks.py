"""The board's waiting work on the start page (``core.signals.waiting_work``): circular votes
waiting for the user's vote, minutes waiting for approval."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..core.permissions import Permission
from ..core.tasks import TaskKind
from . import queries


def _votes_due(session: Session, user, today) -> int:
    return len(queries.votes_due(session, user, today))


def _minutes(session: Session, user, today) -> int:
    return len(queries.minutes_to_approve(session))


KINDS = (
    TaskKind(N_("Board votes waiting for your vote"), Permission.BOARD_VIEW, _votes_due,
             "board.dashboard", position=20),
    TaskKind(N_("Board minutes to approve"), Permission.BOARD_MANAGE, _minutes, "board.dashboard",
             position=70),
)


def waiting(sender: object, **kwargs: Any) -> tuple[TaskKind, ...]:
    return KINDS
