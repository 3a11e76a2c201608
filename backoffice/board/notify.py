"""The board's e-mails (``templates/board/emails``): invitations with the agenda, circular
resolutions with each member's signed voting link, and the copy of one's own vote."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..core.mail import queue_mail
from ..core.templates import render_email

if TYPE_CHECKING:
    from .models import Meeting, Resolution, Term


def invitation(session: Session, term: Term, meeting: Meeting, *, organisation: str, link: str,
               warning: str | None) -> None:
    queue_mail(session, term.email, *render_email(
        "board/emails/invitation.txt", term=term, meeting=meeting, organisation=organisation,
        link=link, warning=warning, rules=meeting.body.rules))


def circular(session: Session, term: Term, resolution: Resolution, *, organisation: str,
             link: str) -> None:
    queue_mail(session, term.email, *render_email(
        "board/emails/circular.txt", term=term, resolution=resolution,
        organisation=organisation, link=link, rules=resolution.body.rules))


def vote_copy(session: Session, term: Term, resolution: Resolution, *, choice: str,
              organisation: str, cast_at: str) -> None:
    queue_mail(session, term.email, *render_email(
        "board/emails/vote_copy.txt", term=term, resolution=resolution, choice=choice,
        organisation=organisation, cast_at=cast_at))
