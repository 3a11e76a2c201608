"""The emails an applicant receives: one for every step of their application, in plain words."""
from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from ..core.mail import queue_mail
from ..core.money import Money
from .access import status_url
from .models import Application


def _money(application: Application, minor: int | None) -> str:
    return Money(minor or 0, application.currency).format(current_app.config["DEFAULT_LOCALE"])


def _iban(value: str | None) -> str:
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4)) if value else ""


def _messages(application: Application, action: str, reason: str, extra: dict) -> tuple[str, str]:
    """(subject, the paragraph that says what happened and what comes next)."""
    a = application
    ref = f"{a.reference} “{a.title or a.programme.name}”"
    awarded = _money(a, a.amount_awarded)
    reason_text = f"\n\n{reason}" if reason else ""
    due = a.report_due_on.isoformat() if a.report_due_on else ""
    texts = {
        "created": (f"Your draft grant application {a.reference}",
                    "your draft application is saved. You can come back to it at any time "
                    "through the link below, complete it and submit it when it is ready. Keep "
                    "this email: the link is your key to the application."),
        "submitted": (f"We received your grant application {a.reference}",
                      f"thank you, your application {ref} to the {a.programme.name} is submitted. "
                      "The grants committee will look at it; we will write to you when it moves "
                      "on or if we have questions."),
        "information_requested": (f"A question about your grant application {a.reference}",
                                  f"the grants committee needs more information about {ref}:"
                                  f"{reason_text}\n\nPlease answer on your application's page "
                                  "(link below); the review continues once you have answered."),
        "answered": (f"Thank you for your answer ({a.reference})",
                     f"we received your answer about {ref}. The committee continues with it."),
        "review_started": (f"Your grant application {a.reference} is in review",
                           f"the grants committee is now reviewing {ref}. We will write to you "
                           "with the decision."),
        "approved": (f"Your grant {a.reference} is approved",
                     f"good news: the committee approved a grant of {awarded} for {ref}."
                     f"{reason_text}\n\nThe award letter with the conditions is on your "
                     f"application's page (link below). Your report back is due by {due}. We will let you know when the money is on "
                     "its way."),
        "rejected": (f"Decision on your grant application {a.reference}",
                     f"we are sorry: the committee could not fund {ref} this time.{reason_text}"
                     "\n\nYou are welcome to apply again."),
        "withdrawn": (f"Your grant application {a.reference} is withdrawn",
                      f"your application {ref} is withdrawn. Nothing more will happen with it."
                      f"{reason_text}"),
        "reduced": (f"Your grant {a.reference} was changed",
                    f"the grant for {ref} is now {awarded} (it was "
                    f"{_money(a, extra.get('previous'))}).{reason_text}"),
        "cancelled": (f"Your grant {a.reference} is cancelled",
                      f"the grant for {ref} is cancelled.{reason_text}"),
        "payment": (f"Payment of your grant {a.reference}",
                    f"{_money(a, extra.get('amount'))} of your grant for {ref} has been paid to "
                    f"the account you gave us ({_money(a, a.amount_paid)} of {awarded} paid so "
                    "far)."),
        "payment_returned": (
            f"Payment of your grant {a.reference} came back",
            f"we sent {_money(a, extra.get('amount'))} of your grant for {ref} to the account "
            f"{_iban(extra.get('iban'))} ({a.account_holder}), but the bank returned it: "
            f"{reason}.\n\nPlease check the account details and send the correct IBAN and "
            "account holder to the treasurer (reply to this email); we will pay again with the "
            "next payout once the account is right."),
        "paid": (f"Your grant {a.reference} is paid in full",
                 f"the whole grant of {awarded} for {ref} has been paid. After the event, "
                 f"please send your report back by {due}."),
        "report_due": (f"Your report back for {a.reference} is due by {due}",
                       f"we hope the event went well! Please tell us how it went with {ref}: "
                       f"a short narrative, the attendance, receipts, and any unused amount, by "
                       f"{due}. Use the report form on your application's page."),
        "reminder": (f"Reminder: report back for {a.reference} due {due}",
                     f"this is a friendly reminder that the report back for {ref} is due by "
                     f"{due}. It takes a few minutes on your application's page."),
        "report_overdue": (f"Your report back for {a.reference} is overdue",
                           f"the report back for {ref} was due on {due} and has not reached us. "
                           "Until it is in, your group cannot receive a new grant. Please send "
                           "it on your application's page."),
        "overdue_reminder": (f"Still missing: report back for {a.reference}",
                             f"the report back for {ref} was due on {due}. Until it is in, your "
                             "group cannot receive a new grant."),
        "report_received": (f"Thank you for your report ({a.reference})",
                            f"we received your report back for {ref}. The treasurer will check "
                            "it and close the grant."),
        "closed": (f"Your grant {a.reference} is closed",
                   f"the grant for {ref} is complete and closed. Thank you for your work for "
                   f"the community!{reason_text}"),
    }
    return texts[action]


def applicant_mail(session: Session, application: Application, action: str, *, reason: str = "",
                   **extra: object) -> None:
    subject, text = _messages(application, action, reason.strip(), extra)
    organisation = current_app.config["ORGANISATION_NAME"]
    greeting = application.contact_name or application.applicant_name or "Hello"
    body = (f"Dear {greeting},\n\n{text}\n\nYour application: {status_url(application)}\n\n"
            f"Kind regards,\nthe grants committee of {organisation}\n")
    queue_mail(session, application.contact_email, subject, body)
