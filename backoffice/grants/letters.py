"""The award letter (PDF), rendered with WeasyPrint from ``templates/pdf/grant_award_letter.html``."""
from __future__ import annotations

from datetime import date

from flask import current_app

from ..pdf import render_pdf
from .models import Application


def award_letter_pdf(application: Application) -> bytes:
    decided = application.decided_at.date() if application.decided_at else date.today()
    return render_pdf("pdf/grant_award_letter.html", application=application,
                      programme=application.programme, today=decided,
                      organisation=current_app.config["ORGANISATION_NAME"],
                      locale=current_app.config["DEFAULT_LOCALE"])
