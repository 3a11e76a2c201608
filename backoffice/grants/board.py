"""The board's resolution for an award above a programme's threshold, until board records exist.

An approval above ``Programme.board_threshold`` names the board resolution that allows it. The
reference is believed only when two different board members confirmed it in the app, for this
application and at least the amount awarded, and neither of them is conflicted on the application
(``conflicts.conflict_of``). Board members are the active users whose e-mail addresses are listed
in the configuration (``GRANTS_BOARD_MEMBERS``, ``Settings.grants.board_members``, which the
callers pass in as ``members``); the list is checked when a member confirms and again when the
grant is approved, so a member taken off it no longer counts.

Confirmations are rows of ``grant_board_confirmations``, each with an audit record; the approval's
audit names the members whose confirmations it relied on. A later ``board`` package (members,
meetings, resolutions) replaces this module: approval calls only ``require_resolution``.
"""
from __future__ import annotations

from collections.abc import Set

from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.errors import PermissionDenied, ValidationError
from ..core.i18n import _
from ..core.money import Money
from .conflicts import conflict_of, refuse
from .models import APPLICATION_STATES, Application, BoardConfirmation, Event

#: How many different board members must confirm a resolution.
CONFIRMATIONS_NEEDED = 2


def is_board_member(user: Actor | None, members: Set[str]) -> bool:
    """Whether ``user`` is active and one of ``members`` (the board members' e-mail addresses,
    lower-case: ``Settings.grants.board_members``)."""
    email = getattr(user, "email", None)
    return bool(email) and getattr(user, "active", False) and \
        email.strip().casefold() in members


def needs_resolution(application: Application, amount: int) -> bool:
    threshold = application.programme.board_threshold
    return threshold is not None and amount > threshold


def counting(application: Application, reference: str, amount: int,
             members: Set[str]) -> list[BoardConfirmation]:
    """The confirmations of ``reference`` that count for an award of ``amount``: one per
    member, by members still on the board and not conflicted, for at least that amount."""
    seen, result = set(), []
    for confirmation in application.board_confirmations:
        member = confirmation.member
        if confirmation.reference != reference or confirmation.amount < amount \
                or member.id in seen or not is_board_member(member, members) \
                or conflict_of(application, member) is not None:
            continue
        seen.add(member.id)
        result.append(confirmation)
    return result


def may_confirm(application: Application, user: Actor, members: Set[str]) -> bool:
    """Whether the page offers ``user`` the confirmation form."""
    return APPLICATION_STATES.can(application, "confirm_board") and \
        is_board_member(user, members) and \
        conflict_of(application, user) is None


def _clean_reference(reference: str) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(_("Give the reference of the board's resolution."), field="reference")
    if len(reference) > 100:
        raise ValidationError(_("Keep the reference under 100 characters."), field="reference")
    return reference


def confirm(session: Session, application: Application, *, reference: str, amount: Money,
            actor: Actor, members: Set[str]) -> BoardConfirmation:
    """``actor``, a board member (one of ``members``), confirms that the board resolved
    ``reference`` to award this application up to ``amount``."""
    APPLICATION_STATES.check(application, "confirm_board")
    if not is_board_member(actor, members):
        raise PermissionDenied(_("Only board members confirm board resolutions (the members are "
                                 "listed in the setting GRANTS_BOARD_MEMBERS)."))
    refuse(application, actor, "confirm_board")
    reference = _clean_reference(reference)
    if amount.currency != application.currency:
        raise ValidationError(_("Give the amount in %(currency)s.", currency=application.currency),
                              field="amount")
    if amount.amount <= 0:
        raise ValidationError(_("Give the amount the board resolved to award."), field="amount")
    if any(c.member_id == actor.id and c.reference == reference
           for c in application.board_confirmations):
        raise ValidationError(_("You have confirmed resolution %(reference)s for this "
                                "application already.", reference=reference), field="reference")
    confirmation = BoardConfirmation(application=application, member_id=actor.id,
                                     reference=reference, amount=amount.amount)
    session.add(confirmation)
    session.flush()
    session.add(Event(application=application, actor_id=actor.id, actor_label=actor.email,
                      action="board_confirmed", public=False,
                      reason=f"Board resolution {reference}: up to {amount.format()}"))
    audit.record(session, actor, "grant.board_confirmed", "grant_application", application.id,
                 summary=f"{application.reference}: board resolution {reference}, up to "
                         f"{amount.format()}",
                 after={"reference": reference, "amount": amount.amount,
                        "confirmation": confirmation.id})
    return confirmation


def require_resolution(session: Session, application: Application, *, reference: str, amount: Money,
                       actor: Actor, members: Set[str]) -> str | None:
    """The board resolution an award of ``amount`` rests on: ``None`` at or below the threshold,
    else ``reference`` once two board members confirmed it (``ValidationError`` until then)."""
    if not needs_resolution(application, amount.amount):
        return (reference or "").strip() or None
    threshold = Money(application.programme.board_threshold, application.currency).format()
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(_(
            "Awards above %(threshold)s need a board resolution, confirmed in the app by "
            "%(needed)s board members: give its reference.", threshold=threshold,
            needed=CONFIRMATIONS_NEEDED), field="board_resolution_ref")
    confirmations = counting(application, reference, amount.amount, members)
    if len(confirmations) < CONFIRMATIONS_NEEDED:
        raise ValidationError(_(
            "Board resolution %(reference)s is confirmed for %(amount)s or more by %(count)s of "
            "the %(needed)s board members needed (members without a conflict of interest, "
            "confirming on this page).", reference=reference, amount=amount.format(),
            count=len(confirmations), needed=CONFIRMATIONS_NEEDED),
            field="board_resolution_ref")
    members = [c.member.email for c in confirmations]
    audit.record(session, actor, "grant.board_resolution_relied_on", "grant_application",
                 application.id, summary=f"{application.reference}: resolution {reference} "
                                         f"confirmed by {', '.join(members)}",
                 after={"reference": reference, "amount": amount.amount, "confirmed_by": members,
                        "confirmations": [c.id for c in confirmations]})
    return reference
