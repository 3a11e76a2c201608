"""The e-mails of accounts: a password reset link and an invitation (``templates/auth/emails``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..core.mail import queue_mail
from ..core.templates import render_email

if TYPE_CHECKING:
    from ..core.actors import Actor
    from .models import User


def password_reset(session: Session, user: User, *, hours: int, link: str, locale: str) -> None:
    """In the user's language (``locale`` when they chose none)."""
    queue_mail(session, user.email,
               *render_email("auth/emails/reset.txt", user=user, hours=hours, link=link,
                             locale=user.locale or locale))


def invitation(session: Session, user: User, *, organisation: str, inviter: Actor | None,
               days: int, link: str, locale: str) -> None:
    queue_mail(session, user.email,
               *render_email("auth/emails/invitation.txt", user=user, organisation=organisation,
                             inviter=inviter, days=days, link=link, locale=user.locale or locale))
