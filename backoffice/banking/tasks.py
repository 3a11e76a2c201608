"""Bank reconciliation on the start page (``core.signals.waiting_work``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..core.permissions import Permission
from ..core.tasks import TaskKind
from .models import BankLine, BankMatch, BankWriteOff

if TYPE_CHECKING:
    from datetime import date

    from ..core.actors import Actor


def _open_lines(session: Session, user: Actor, today: date) -> int:
    return session.scalar(select(func.count()).select_from(BankLine).where(
        BankLine.status == "open"))


def _to_review(session: Session, user: Actor, today: date) -> int:
    return session.scalar(select(func.count()).select_from(BankMatch).where(
        BankMatch.how.in_(("auto", "rule")), BankMatch.undone_at.is_(None),
        BankMatch.reviewed_at.is_(None)))


def _write_offs(session: Session, user: Actor, today: date) -> int:
    return session.scalar(select(func.count()).select_from(BankWriteOff).where(
        BankWriteOff.status == "pending", BankWriteOff.requested_by_id != user.id))


KINDS = (
    TaskKind(N_("Bank lines to reconcile"), Permission.BANK_RECONCILE, _open_lines,
             "banking.index", position=30),
    TaskKind(N_("Automatic bank matches to review"), Permission.BANK_RECONCILE, _to_review,
             "banking.index", position=30),
    TaskKind(N_("Bank write-offs for a second approver"), Permission.EXPENSES_APPROVE,
             _write_offs, "banking.write_offs_page", position=30),
)


def waiting(sender: object, **kwargs: Any) -> tuple[TaskKind, ...]:
    return KINDS
