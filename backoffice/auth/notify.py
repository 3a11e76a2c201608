"""The e-mails of accounts: a password reset link and an invitation (``templates/auth/emails``)."""
from __future__ import annotations

from ..core.mail import queue_mail
from ..core.templates import render_email


def password_reset(session, user, *, hours: int, link: str) -> None:
    queue_mail(session, user.email,
               *render_email("auth/emails/reset.txt", user=user, hours=hours, link=link))


def invitation(session, user, *, organisation: str, inviter, days: int, link: str) -> None:
    queue_mail(session, user.email,
               *render_email("auth/emails/invitation.txt", user=user, organisation=organisation,
                             inviter=inviter, days=days, link=link))
