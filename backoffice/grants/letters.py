"""The award letter (PDF), rendered with WeasyPrint from ``templates/pdf/grant_award_letter.html``."""
from __future__ import annotations

from ..core import clock
from ..core.settings import Settings
from ..core.templates import render_document
from ..pdf import html_to_pdf
from .models import Application


def award_letter_pdf(application: Application, settings: Settings) -> bytes:
    """The letter in the organisation's name and default locale (``settings.organisation``)."""
    decided = clock.day_of(application.decided_at) if application.decided_at else clock.today()
    return html_to_pdf(render_document(
        "pdf/grant_award_letter.html", application=application, programme=application.programme,
        today=decided, organisation=settings.organisation.name,
        locale=settings.organisation.default_locale))
