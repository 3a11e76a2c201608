"""The e-mails of the grants (``templates/grants/emails``): one to the applicant for every step
of their application, in plain words; the links to their applications; a reviewer's assignment.

The services call these with the ``Settings`` (the organisation's name and locale, the base URL,
the key of the applicant's secret link), so neither they nor this module know Flask. The
applicant's mails are written in the association's default language (``DEFAULT_LOCALE``), as
the award letter is; a reviewer's in their own language.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ..core import catalogs
from ..core.actors import Actor
from ..core.iban import grouped
from ..core.mail import queue_mail
from ..core.money import Money
from ..core.settings import Settings
from ..core.templates import render_email
from ..core.urls import absolute_url
from .access import status_url
from .models import Application


def _money(application: Application, minor: int | None, settings: Settings) -> str:
    return Money(minor or 0, application.currency).format(settings.organisation.default_locale)


def applicant_mail(session: Session, application: Application, action: str, *, settings: Settings,
                   reason: str = "", amount: int | None = None, previous: int | None = None,
                   iban: str | None = None) -> None:
    """Tell the applicant what ``action`` did (``templates/grants/emails/<action>.txt``);
    ``amount`` is a payment's, ``previous`` the award before a reduction, ``iban`` where a
    returned payment went."""
    a = application
    locale = settings.organisation.default_locale
    queue_mail(session, a.contact_email, *render_email(
        f"grants/emails/{action}.txt", application=a, reason=(reason or "").strip(),
        ref=catalogs.translations(locale).gettext("%(reference)s “%(title)s”") % {
            "reference": a.reference, "title": a.title or a.programme.name},
        greeting=a.contact_name or a.applicant_name, locale=locale,
        awarded=_money(a, a.amount_awarded, settings), paid=_money(a, a.amount_paid, settings),
        amount=_money(a, amount, settings), previous=_money(a, previous, settings),
        iban=grouped(iban), due=a.report_due_on.isoformat() if a.report_due_on else "",
        link=status_url(a, settings), organisation=settings.organisation.name))


def links(session: Session, email: str, applications: Sequence[Application], *,
          settings: Settings) -> None:
    """The links to ``applications``, which the applicant at ``email`` asked for."""
    locale = settings.organisation.default_locale
    translations = catalogs.translations(locale)
    queue_mail(session, email, *render_email(
        "grants/emails/links.txt", locale=locale,
        links=[(a, translations.pgettext("grant", a.status.label.source), status_url(a, settings))
               for a in applications]))


def review_request(session: Session, application: Application, reviewer: Actor, *,
                   asked_by: Actor | None, settings: Settings) -> None:
    """``asked_by`` asks ``reviewer`` to review the application."""
    locale = getattr(reviewer, "locale", None) or settings.organisation.default_locale
    queue_mail(session, reviewer.email, *render_email(
        "grants/emails/review_request.txt", application=application, reviewer=reviewer,
        locale=locale, asked_by=getattr(asked_by, "display_name", None)
        or catalogs.translations(locale).gettext("The committee"),
        link=absolute_url(settings, "grants.application", application_id=application.id)))
