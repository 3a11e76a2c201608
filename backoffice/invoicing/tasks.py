"""Invoices on the start page (``core.signals.waiting_work``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.i18n import N_
from ..core.permissions import Permission
from ..core.tasks import TaskKind
from . import state
from .models import Invoice, InvoiceStatus

if TYPE_CHECKING:
    from datetime import date

    from ..core.actors import Actor


def _overdue(session: Session, user: Actor, today: date) -> int:
    return len(state.open_invoices(session, due_before=today))


def _drafts(session: Session, user: Actor, today: date) -> int:
    return session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.status == InvoiceStatus.DRAFT))


def _refunds(session: Session, user: Actor, today: date) -> int:
    return session.scalar(select(func.count()).select_from(
        state.refunds_to_decide_query().subquery()))


KINDS = (
    TaskKind(N_("Refunds to settle: a credit note, or owed again"), Permission.INVOICES_MANAGE,
             _refunds, "invoicing.invoices", {"status": "refunds"}, position=40),
    TaskKind(N_("Overdue invoices"), Permission.INVOICES_MANAGE, _overdue,
             "invoicing.invoices", {"status": "overdue"}, position=40),
    TaskKind(N_("Invoice drafts not issued yet"), Permission.INVOICES_MANAGE, _drafts,
             "invoicing.invoices", {"status": "draft"}, position=40),
)


def waiting(sender: object, **kwargs: Any) -> tuple[TaskKind, ...]:
    return KINDS
