"""What donors are told by mail (``templates/donations/emails``), through the outbox.

A booked gift (any channel) is told once, after the unit of work that booked it committed
(``booking.THANK_JOB``): ``thank`` claims the donation (``thanked_at``, a conditional UPDATE) and
queues the mail in the same short unit of work, so a webhook delivered again, a job delivered
twice or two workers at once send it once. Who hears what:

- a donor who consented to thank-you mail (``consent_thanks``) gets the thank-you mail;
- a donor who declined it but paid online (Stripe) still gets a plain confirmation of the payment
  (transactional: they paid on our page and expect to hear it went through; no thanks, no
  appeal), while gifts by bank, in cash, by cheque, in kind or by waiver are not mailed to them;
- a donor without an e-mail address gets nothing (the donation is marked told all the same).

German gifts up to the simplified-proof limit that get no receipt (``receipts.services
.needs_receipt``) carry the note on what to keep instead (§ 50 Abs. 4 EStDV: the bank or card
statement with this e-mail, which names the exemption notice); gifts that will get a receipt say
so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..core.db import transaction, utcnow
from ..core.mail import queue_mail
from ..core.money import Money
from ..core.queue import job, job_settings
from ..core.settings import Settings
from ..core.templates import render_email
from ..core.urls import absolute_url
from ..extensions import db
from . import plans
from .booking import THANK_JOB
from .models import (
    Channel,
    Donation,
    DonationKind,
    DonationStatus,
    Donor,
    Language,
    RecurringFailure,
    RecurringPlan,
)
from .receipts.services import current_donor, needs_receipt, simplified_proof_note

_LOCALE = {Language.EN: "en_IE", Language.DE: "de_DE"}


def plan_link(settings: Settings, plan: RecurringPlan) -> str:
    """The donor's signed link to their plan (to see it and cancel it)."""
    return absolute_url(settings, "donations.my_plan",
                        token=plans.link_token(settings.secret_key, plan))


def _tell(session: Session, donor: Donor, template: str, **values: object) -> None:
    """A mail about the donor's plan, in the donor's language."""
    if donor.email:
        queue_mail(session, donor.email, *render_email(
            f"donations/emails/{template}.txt", donor=donor,
            locale=_LOCALE[Language(donor.language or Language.EN)], **values))


def payment_failed(session: Session, failure: RecurringFailure, settings: Settings) -> None:
    plan = failure.plan
    _tell(session, plan.donor, "payment_failed", plan=plan, failure=failure,
          link=plan_link(settings, plan), organisation=settings.organisation.name)


def plan_cancelled(session: Session, plan: RecurringPlan, settings: Settings) -> None:
    _tell(session, plan.donor, "plan_cancelled", plan=plan,
          organisation=settings.organisation.name)


@job("donations.tell_payment_failed")
def tell_payment_failed(failure_id: int) -> None:
    """The donor hears of a failed recurring payment (once: the failure is marked told)."""
    with Session(db.engine) as session, transaction(session):
        failure = session.get(RecurringFailure, failure_id)
        if failure is None or failure.told:
            return
        payment_failed(session, failure, job_settings())
        failure.told = True


# --- a booked gift ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Told:
    """What ``thank`` decided: ``mail`` is "thanks", "confirmation" or None (why in ``why``)."""

    mail: str | None
    why: str = ""


def mail_kind(donation: Donation, donor: Donor) -> Told:
    """Which mail the donor of a booked gift gets (see the module's docstring)."""
    if not donor.email:
        return Told(None, "the donor has no e-mail address")
    if donor.consent_thanks:
        return Told("thanks")
    if donation.channel is Channel.STRIPE:
        return Told("confirmation")
    return Told(None, "the donor declined thank-you mail")


def _day(day: date, language: Language) -> str:
    return f"{day:%d.%m.%Y}" if language is Language.DE else f"{day.day} {day:%B %Y}"


def donation_mail(session: Session, donation: Donation, donor: Donor, *, settings: Settings,
                  thanks: bool) -> tuple[str, str]:
    """(subject, body) of the mail for a booked gift, in the donor's language."""
    language = Language(donor.language or Language.EN)
    code = language.value
    receipt = None
    if settings.receipts.style == "us" and donation.currency == "USD":
        receipt = "us"
    elif needs_receipt(donation, settings):
        receipt = "follows"
    plan = donation.plan
    return render_email(
        "donations/emails/donation.txt", locale=_LOCALE[language], thanks=thanks,
        name=donor.name, kind=DonationKind(donation.kind).value, ref=donation.ref,
        amount=Money(donation.amount, donation.currency).format(_LOCALE[language]),
        fund=donation.fund.name, day=_day(donation.donated_on, language),
        channel=Channel(donation.channel).value, in_kind=donation.in_kind_description.strip(),
        waiver=donation.waived, receipt=receipt, receipt_wanted=donation.receipt_wanted,
        note=simplified_proof_note(session, donation, settings=settings, language=code),
        plan_link=plan_link(settings, plan) if plan is not None else None,
        interval=plan.interval.value if plan is not None else "",
        org=settings.organisation.name)


def thank(session: Session, donation_id: int, *, settings: Settings) -> Told:
    """Tell the donor of the booked donation ``donation_id``, once (in the caller's unit of
    work, which the claim on ``thanked_at`` starts)."""
    claimed = session.execute(update(Donation).where(
        Donation.id == donation_id, Donation.thanked_at.is_(None),
        Donation.status == DonationStatus.BOOKED).values(thanked_at=utcnow())).rowcount
    if not claimed:
        return Told(None, "told already, or not booked")
    donation = session.get(Donation, donation_id)
    donor = current_donor(session, donation.donor)
    told = mail_kind(donation, donor)
    if told.mail is not None:
        queue_mail(session, donor.email, *donation_mail(
            session, donation, donor, settings=settings, thanks=told.mail == "thanks"))
    return told


@job(THANK_JOB)
def thank_job(donation_id: int) -> None:
    """The donor hears of their booked gift (once: ``thank`` claims the donation)."""
    settings = job_settings()
    with Session(db.engine) as session, transaction(session):
        thank(session, donation_id, settings=settings)
