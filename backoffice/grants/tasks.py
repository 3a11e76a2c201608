"""Grants on the start page (``core.signals.waiting_work``)."""
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..core.permissions import Permission
from ..core.tasks import TaskKind
from .models import REVIEW_STATES, Application, Status


def _counter(*statuses):
    def count(session: Session, user, today) -> int:
        return session.scalar(select(func.count()).select_from(Application).where(
            Application.status.in_(list(statuses))))
    return count


KINDS = (
    TaskKind(N_("Grant applications waiting for the committee"), Permission.GRANTS_REVIEW,
             _counter(*REVIEW_STATES), "grants.queue", position=60),
    TaskKind(N_("Grant reports overdue"), Permission.GRANTS_PAY,
             _counter(Status.REPORT_OVERDUE), "grants.queue",
             {"status": Status.REPORT_OVERDUE.value}, position=60),
)


def waiting(sender: object, **kwargs: Any) -> tuple[TaskKind, ...]:
    return KINDS
