"""The award letter (PDF), rendered with WeasyPrint from ``templates/pdf/grant_award_letter.html``."""
from __future__ import annotations

from datetime import date

from ..core.settings import Settings
from ..core.templates import render_document
from ..pdf import html_to_pdf
from .models import Application


def award_letter_pdf(application: Application, settings: Settings) -> bytes:
    """The letter in the organisation's name and default locale (``settings.organisation``)."""
    decided = application.decided_at.date() if application.decided_at else date.today()
    return html_to_pdf(render_document(
        "pdf/grant_award_letter.html", application=application, programme=application.programme,
        today=decided, organisation=settings.organisation.name,
        locale=settings.organisation.default_locale))
