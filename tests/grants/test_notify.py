"""The grants' e-mails are templates (``templates/grants/emails``): every step an applicant is
told about has one, each renders with the application's values and the configured
organisation, locale and base URL, and the texts read as they always have."""
from __future__ import annotations

from pathlib import Path

import pytest

from backoffice.core.db import transaction
from backoffice.core.templates import TEMPLATE_FOLDER
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import lifecycle, notify
from backoffice.grants.access import token_for
from backoffice.grants.models import Status

from .conftest import eur, make_application

EMAILS = Path(TEMPLATE_FOLDER) / "grants" / "emails"
#: The applicant's e-mails sent outside a transition (``applying``, ``deciding``, ``paying``,
#: ``reporting``).
OTHER_STEPS = {"created", "reduced", "payment", "payment_returned", "reminder",
               "overdue_reminder"}
def _text(message) -> str:
    """The body as written (SMTP carries it with CRLF line ends)."""
    return message.get_body().get_content().replace("\r\n", "\n")


STEPS = sorted(set(lifecycle.MAIL_FOR.values()) | {"paid", "report_due", "report_overdue"}
               | OTHER_STEPS)


def test_every_step_the_applicant_is_told_about_has_its_template_and_no_other_is_left():
    templates = {p.stem for p in EMAILS.glob("*.txt") if not p.stem.startswith("_")}
    assert templates == set(STEPS) | {"links", "review_request"}


@pytest.mark.parametrize("step", STEPS)
def test_each_applicant_mail_names_the_application_and_carries_the_secret_link(grants, mailbox,
                                                                             step):
    application = make_application(grants, Status.APPROVED, amount=eur(812.5))
    mailbox.clear()
    settings = app_settings()
    with transaction():
        notify.applicant_mail(db.session, application, step, reason="Because.", amount=12345,
                              previous=99999, iban="DE89370400440532013000", settings=settings)
    (message,) = mailbox
    body = _text(message)
    assert application.reference in message["Subject"] and message["To"] == \
        application.contact_email
    assert body.startswith("Dear Grace Hopper,\n\n")
    assert f"{settings.base_url.rstrip('/')}/grants/a/{token_for(application, settings.secret_key)}" \
        in body
    assert body.endswith(f"Kind regards,\nthe grants committee of {settings.organisation.name}\n")


def test_the_approval_reads_as_it_always_has(grants, mailbox):
    application = make_application(grants, Status.APPROVED, amount=eur(812.5),
                                   title="Tea & <cake>")
    mailbox.clear()
    settings = app_settings()
    with transaction():
        notify.applicant_mail(db.session, application, "approved", reason="  Well planned.\n ",
                              settings=settings)
    (message,) = mailbox
    link = f"{settings.base_url.rstrip('/')}/grants/a/{token_for(application, settings.secret_key)}"
    assert message["Subject"] == f"Your grant {application.reference} is approved"
    assert _text(message) == (
        "Dear Grace Hopper,\n\n"
        f"good news: the committee approved a grant of €812.50 for {application.reference} "
        "“Tea & <cake>”.\n\nWell planned.\n\nThe award letter with the conditions is on your "
        "application's page (link below). Your report back is due by "
        f"{application.report_due_on.isoformat()}. We will let you know when the money is on "
        f"its way.\n\nYour application: {link}\n\n"
        f"Kind regards,\nthe grants committee of {settings.organisation.name}\n")
