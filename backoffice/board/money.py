"""The resolutions the money asks for (``core.signals.resolution_required``): a grant above its
programme's board threshold, an invoice write-off, a payout batch above the limit, the annual
budget. The change goes through only under a passed resolution that names it (its subject kind
and id) and, for money, allows at least the amount, in its currency."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.errors import ValidationError
from ..core.i18n import _, _l
from ..core.money import Money
from ..core.signals import Resolved
from . import subjects
from .models import Resolution, ResolutionStatus, SubjectKind

#: The refusal when no resolution allows a change, by what the change is.
REFUSED = {
    SubjectKind.GRANT_APPLICATION: _l(
        "The board has not passed a resolution on this grant (%(subject)s %(id)s)%(allows)s: put "
        "it on the board's agenda (with what it decides) or to a vote in writing first."),
    SubjectKind.INVOICE_WRITE_OFF: _l(
        "The board has not passed a resolution on this write-off (%(subject)s %(id)s)%(allows)s: "
        "put it on the board's agenda (with what it decides) or to a vote in writing first."),
    SubjectKind.PAYOUT_BATCH: _l(
        "The board has not passed a resolution on this payout batch (%(subject)s %(id)s)"
        "%(allows)s: put it on the board's agenda (with what it decides) or to a vote in writing "
        "first."),
    SubjectKind.ANNUAL_BUDGET: _l(
        "The board has not passed a resolution on this budget (%(subject)s %(id)s)%(allows)s: put "
        "it on the board's agenda (with what it decides) or to a vote in writing first."),
}
OTHER_REFUSED = _l(
    "The board has not passed a resolution on %(subject)s %(id)s%(allows)s: put it on the "
    "board's agenda (with what it decides) or to a vote in writing first.")


def find(session: Session, kind: SubjectKind, subject_id: int,
         amount: Money | None) -> Resolution | None:
    """The latest passed resolution naming the subject that allows ``amount``."""
    return next((resolution for resolution in session.scalars(select(Resolution).where(
        Resolution.subject_kind == kind, Resolution.subject_id == subject_id,
        Resolution.status == ResolutionStatus.PASSED).order_by(Resolution.id.desc()))
        if _allows(resolution, amount)), None)


def _allows(resolution: Resolution, amount: Money | None) -> bool:
    return amount is None or (resolution.amount is not None and resolution.currency
                              == amount.currency and resolution.amount >= amount.amount)


def _relied_on(session: Session, resolution: Resolution, kind: SubjectKind, subject_id: int,
               amount: Money | None, actor: Any) -> None:
    audit.record(session, actor, "board.resolution_relied_on", "board_resolution", resolution.id,
                 summary=f"{resolution.number} allows {kind.value} {subject_id}"
                         + (f" ({amount.format()})" if amount is not None else ""))


def named(session: Session, resolution_id: int | None, kind: SubjectKind, subject_id: int, *,
          amount: Money | None = None, actor: Any = None) -> Resolution:
    """The check of a resolution a change names itself (a budget names the one that approved
    it): passed, about this subject, allowing ``amount``; ``ValidationError`` saying what is
    wrong. Recorded in the audit log as relied on, like the resolutions the signal finds."""
    resolution = session.get(Resolution, resolution_id) if resolution_id else None
    if resolution is None:
        raise ValidationError(_("Name the board resolution this rests on."), field="resolution")
    if resolution.subject_kind != kind or resolution.subject_id != subject_id:
        about = subjects.label(session, kind, subject_id)
        raise ValidationError(_("Resolution %(number)s is not about “%(subject)s”.",
                                number=resolution.number, subject=about), field="resolution")
    if resolution.status != ResolutionStatus.PASSED:
        raise ValidationError(_("Resolution %(number)s has not passed.",
                                number=resolution.number), field="resolution")
    if not _allows(resolution, amount):
        raise ValidationError(_("Resolution %(number)s does not allow %(amount)s.",
                                number=resolution.number, amount=amount),
                              field="resolution")
    _relied_on(session, resolution, kind, subject_id, amount, actor)
    return resolution


def required(sender: str, *, session: Session, subject_id: int, amount: Money | None = None,
             actor: Any = None, **kwargs: Any) -> Resolved:
    kind = SubjectKind(sender)
    resolution = find(session, kind, subject_id, amount)
    if resolution is None:
        allows = _(" allowing at least %(amount)s", amount=amount) \
            if amount is not None else ""
        raise ValidationError(str(REFUSED.get(kind, OTHER_REFUSED)) % {
            "subject": kind.label, "id": subject_id, "allows": allows}, field="board_resolution")
    _relied_on(session, resolution, kind, subject_id, amount, actor)
    return Resolved(resolution.id, resolution.number, resolution.title)
