"""Expense claims and payouts on the start page (see ``core.tasks``)."""
from sqlalchemy import func, select

from ..core.permissions import Permission
from ..core.tasks import TaskKind, register
from . import payouts
from .models import ClaimStatus, ExpenseClaim


def _to_approve(session, user, today) -> int:
    """Submitted claims; one's own do not count (nobody approves their own claim)."""
    return session.scalar(select(func.count()).select_from(ExpenseClaim).where(
        ExpenseClaim.status == ClaimStatus.SUBMITTED, ExpenseClaim.claimant_id != user.id))


def _to_pay(session, user, today) -> int:
    return sum(len(found) for found in payouts.open_payables(session).values())


register(TaskKind("Expense claims waiting for approval", Permission.EXPENSES_APPROVE,
                  _to_approve, "expenses.claims", {"status": ClaimStatus.SUBMITTED.value}))
register(TaskKind("Approved claims and grants to pay in a payout batch",
                  Permission.PAYOUTS_MANAGE, _to_pay, "expenses.new_batch"))
