"""Invoices on the start page (see ``core.tasks``)."""
from sqlalchemy import func, select

from ..core.permissions import Permission
from ..core.tasks import TaskKind, register
from . import state
from .models import Invoice, InvoiceStatus


def _overdue(session, user, today) -> int:
    return len(state.open_invoices(session, due_before=today))


def _drafts(session, user, today) -> int:
    return session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.status == InvoiceStatus.DRAFT))


def _refunds(session, user, today) -> int:
    return session.scalar(select(func.count()).select_from(
        state.refunds_to_decide_query().subquery()))


register(TaskKind("Refunds to settle: a credit note, or owed again", Permission.INVOICES_MANAGE,
                  _refunds, "invoicing.invoices", {"status": "refunds"}))
register(TaskKind("Overdue invoices", Permission.INVOICES_MANAGE, _overdue,
                  "invoicing.invoices", {"status": "overdue"}))
register(TaskKind("Invoice drafts not issued yet", Permission.INVOICES_MANAGE, _drafts,
                  "invoicing.invoices", {"status": "draft"}))
