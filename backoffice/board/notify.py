"""The board's e-mails (``templates/board/emails``): invitations with the agenda, circular
resolutions with each member's signed voting link, and the copy of one's own vote. Each in the
member's own language (their account's setting), else the association's (``locale``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..auth.models import User
from ..core.mail import queue_mail
from ..core.templates import render_email
from . import rules as R
from .wording import label, moment

if TYPE_CHECKING:
    from datetime import datetime

    from .models import Meeting, Resolution, Term
    from .rules import Choice


def _locale(session: Session, term: Term, locale: str) -> str:
    """The member's own language, else ``locale`` (the association's)."""
    user = session.get(User, term.user_id) if term.user_id else None
    return (user.locale if user is not None and user.locale else None) or locale


def invitation(session: Session, term: Term, meeting: Meeting, *, organisation: str, link: str,
               locale: str, zone: str) -> None:
    """The invitation with the agenda; sent late, it says so (and by when it was due)."""
    language = _locale(session, term, locale)
    latest = R.latest_invitation_day(meeting.day, meeting.body.rules)
    queue_mail(session, term.email, *render_email(
        "board/emails/invitation.txt", term=term, meeting=meeting, organisation=organisation,
        link=link, rules=meeting.body.rules, locale=language,
        starts=moment(meeting.starts_at, language, "medium", zone),
        starts_long=moment(meeting.starts_at, language, "long", zone),
        latest=moment(latest, language, "day")))


def circular(session: Session, term: Term, resolution: Resolution, *, organisation: str,
             link: str, locale: str, zone: str) -> None:
    language = _locale(session, term, locale)
    queue_mail(session, term.email, *render_email(
        "board/emails/circular.txt", term=term, resolution=resolution,
        organisation=organisation, link=link, rules=resolution.body.rules, locale=language,
        deadline=moment(resolution.deadline, language, "medium", zone)))


def vote_copy(session: Session, term: Term, resolution: Resolution, *, choice: Choice,
              organisation: str, cast_at: datetime, locale: str, zone: str) -> None:
    language = _locale(session, term, locale)
    queue_mail(session, term.email, *render_email(
        "board/emails/vote_copy.txt", term=term, resolution=resolution,
        choice_label=label(choice, language),
        organisation=organisation, cast_at=moment(cast_at, language, "medium", zone),
        locale=language))
