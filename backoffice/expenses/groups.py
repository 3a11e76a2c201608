"""What expense claims add to member groups (``core.signals``): the claims on the group's page,
and claims not yet decided or paid keep a group from being dissolved."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import ClaimStatus, ExpenseClaim


def group_panel(sender: object, *, session: Session, group, **kwargs: Any) -> dict:
    """The group's latest claims and how many wait for a decision (``page_panels``)."""
    claims = session.scalars(
        select(ExpenseClaim).where(ExpenseClaim.group_id == group.id)
        .order_by(ExpenseClaim.submitted_at.desc(), ExpenseClaim.id.desc()).limit(8)).all()
    waiting = session.scalar(select(func.count()).select_from(ExpenseClaim).where(
        ExpenseClaim.group_id == group.id, ExpenseClaim.status == ClaimStatus.SUBMITTED))
    return {"claims": claims, "claims_waiting": waiting}


def dissolve_blockers(group, *, session: Session, **kwargs: Any) -> list[str]:
    """Claims on the group's fund not yet decided or paid (``group_dissolve_blockers``)."""
    if group.fund_id is None:
        return []
    waiting = session.scalar(select(func.count()).select_from(ExpenseClaim).where(
        ExpenseClaim.fund_id == group.fund_id,
        ExpenseClaim.status.in_([ClaimStatus.SUBMITTED, ClaimStatus.APPROVED])))
    if not waiting:
        return []
    return [f"{group.name} has {waiting} expense claim(s) not yet decided or paid. Settle them "
            f"before dissolving the group."]
