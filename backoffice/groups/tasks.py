"""Member groups on the start page (``core.signals.waiting_work``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..core.permissions import Permission
from ..core.tasks import TaskKind
from .models import GroupStatus, MemberGroup

if TYPE_CHECKING:
    from datetime import date

    from ..core.actors import Actor


def _applying(session: Session, user: Actor, today: date) -> int:
    return session.scalar(select(func.count()).select_from(MemberGroup).where(
        MemberGroup.status == GroupStatus.APPLICANT))


KINDS = (
    TaskKind(N_("Groups applying to join"), Permission.GROUPS_APPROVE, _applying,
             "groups.directory", {"status": GroupStatus.APPLICANT.value}, position=50),
)


def waiting(sender: object, **kwargs: Any) -> tuple[TaskKind, ...]:
    return KINDS
