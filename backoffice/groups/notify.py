"""The e-mails of member groups: to the people who applied, and to new organisers
(``templates/groups/emails``)."""
from __future__ import annotations

from ..core.mail import queue_mail
from ..core.templates import render_email


def application_received(session, email: str, *, name: str, group, organisation: str) -> None:
    queue_mail(session, email, *render_email("groups/emails/application_received.txt", name=name,
                                             group=group, organisation=organisation))


def application_declined(session, email: str, *, name: str, group, organisation: str,
                         reason: str) -> None:
    queue_mail(session, email, *render_email("groups/emails/application_declined.txt", name=name,
                                             group=group, organisation=organisation,
                                             reason=reason))


def organiser_added(session, user, *, group, organisation: str) -> None:
    queue_mail(session, user.email, *render_email("groups/emails/organiser_added.txt", user=user,
                                                  group=group, organisation=organisation))
