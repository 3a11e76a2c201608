"""The board's resolution an award above the programme's threshold rests on.

Above ``Programme.board_threshold`` an approval goes through only under a passed board resolution
that names the application and allows at least the amount awarded; the board records answer
``core.signals.resolution_required`` (grants does not import them: they sit above it). The
application keeps the resolution (``board_resolution_id``) and its number
(``board_resolution_ref``, shown on the award letter). This replaced the interim confirmations by
two board members (``grant_board_confirmations``, kept as history; migration 0024 turned the
confirmed references into resolutions of the board records).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..core.signals import Resolved, answers, resolution_required
from .models import Application


def needs_resolution(application: Application, amount: int) -> bool:
    threshold = application.programme.board_threshold
    return threshold is not None and amount > threshold


def require(session: Session, application: Application, *, amount: Money,
            actor: Actor) -> Resolved | None:
    """The resolution an award of ``amount`` rests on: None at or below the threshold, else the
    board's passed resolution naming this application (``ValidationError`` until there is one)."""
    if not needs_resolution(application, amount.amount):
        return None
    try:
        found = answers(resolution_required, "grant_application", session=session,
                        subject_id=application.id, amount=amount, actor=actor)
    except ValidationError as refusal:
        threshold = Money(application.programme.board_threshold, application.currency)
        raise ValidationError(_("Awards above %(threshold)s need the board's resolution. "
                                "%(refusal)s", threshold=threshold, refusal=refusal),
                              field="board_resolution_ref") from refusal
    if not found:
        raise ValidationError(_("Awards above the threshold need the board's resolution, and "
                                "no board records are installed."), field="board_resolution_ref")
    return found[0]
