"""The e-mails of member groups: to the people who applied, and to new organisers
(``templates/groups/emails``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..core.mail import queue_mail
from ..core.templates import render_email

if TYPE_CHECKING:
    from ..auth.models import User
    from .models import MemberGroup


def application_received(session: Session, email: str, *, name: str, group: MemberGroup, organisation: str) -> None:
    queue_mail(session, email, *render_email("groups/emails/application_received.txt", name=name,
                                             group=group, organisation=organisation))


def application_declined(session: Session, email: str, *, name: str, group: MemberGroup, organisation: str,
                         reason: str) -> None:
    queue_mail(session, email, *render_email("groups/emails/application_declined.txt", name=name,
                                             group=group, organisation=organisation,
                                             reason=reason))


def organiser_added(session: Session, user: User, *, group: MemberGroup, organisation: str) -> None:
    queue_mail(session, user.email, *render_email("groups/emails/organiser_added.txt", user=user,
                                                  group=group, organisation=organisation,
                                                  locale=user.locale))
