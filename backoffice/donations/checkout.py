"""A donor gives on a donation page: a Stripe Checkout Session (once, or a subscription for
monthly and yearly gifts) started with what the donor typed, kept in ``DonationCheckout`` until a
webhook says it was paid (``stripe_events``).

The Stripe call is made outside any write transaction (a slow answer must not hold SQLite's
write lock); an idempotency key built from the form makes a double click create one session.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..core import audit
from ..core.errors import ValidationError
from ..core.i18n import _, source
from ..core.money import Money
from ..core.public_forms import check_rate
from ..core.settings import Settings
from ..payments import stripe_api
from . import stripe_adapter
from .donors import DonorDetails, clean_email
from .models import LABELS, DonationCheckout, DonationPage, PlanInterval

#: Smallest gift online (Stripe's minimum charge is 0.50 in most currencies).
MINIMUM = 100
MAXIMUM = 100_000_00


@dataclass(frozen=True)
class Pledge:
    """What the donor chose on the page."""

    amount: Money
    interval: PlanInterval | None
    donor: DonorDetails
    receipt_wanted: bool = False
    public_name: str = ""


def _check(page: DonationPage, pledge: Pledge) -> None:
    if not page.enabled:
        raise ValidationError(_("This fund takes no donations online at the moment."))
    if pledge.amount.currency != page.currency:
        raise ValidationError(_("Donations here are in %(currency)s.", currency=page.currency),
                              field="amount")
    if not MINIMUM <= pledge.amount.amount <= MAXIMUM:
        raise ValidationError(_("Give between %(least)s and %(most)s online.",
                                least=Money(MINIMUM, page.currency), most=Money(MAXIMUM, page.currency)),
                              field="amount")
    if pledge.interval is not None and not page.allow_recurring:
        raise ValidationError(_("This fund takes one-time donations only."), field="interval")
    if not clean_email(pledge.donor.email):
        raise ValidationError(_("Give your email address: the confirmation goes there."),
                              field="email")
    if not (pledge.donor.name or "").strip():
        raise ValidationError(_("Give your name."), field="name")
    if pledge.receipt_wanted and not (pledge.donor.street and pledge.donor.postcode
                                      and pledge.donor.city):
        raise ValidationError(_("A donation receipt needs your postal address."), field="street")


def idempotency_key(page: DonationPage, pledge: Pledge, form_token: str) -> str:
    """The same form sent twice (a double click, a reload) asks Stripe for the same session."""
    digest = hashlib.sha256("|".join([
        str(page.fund_id), form_token, pledge.donor.email.lower(), str(pledge.amount.amount),
        pledge.amount.currency, pledge.interval.value if pledge.interval else "once"]).encode())
    return f"donation-{digest.hexdigest()[:48]}"


def check_limits(session: Session, *, address: str, email: str, settings: Settings) -> None:
    """The public forms' spam resistance: a few donation attempts per address and email an
    hour (a card tester tries many)."""
    hour, limits = timedelta(hours=1), settings.public_forms
    check_rate(session, "donation", address=address, email=clean_email(email), limits=[
        ("address", hour, limits.donations_per_address_per_hour),
        ("email", hour, limits.donations_per_email_per_hour)])


def start(session: Session, page: DonationPage, pledge: Pledge, *, form_token: str,
          success_url: str, cancel_url: str, settings: Settings) -> DonationCheckout:
    """Create the Checkout Session (outside a transaction) and record it (the caller's
    transaction). The same form twice: the session recorded the first time."""
    _check(page, pledge)
    key = idempotency_key(page, pledge, form_token)
    token = hashlib.sha256(f"{key}|{settings.secret_key}".encode()).hexdigest()[:40]
    known = session.scalar(select(DonationCheckout).where(DonationCheckout.token == token))
    if known is not None:
        return known
    d = pledge.donor
    row = DonationCheckout(
        token=token, fund_id=page.fund_id, amount=pledge.amount.amount,
        currency=pledge.amount.currency, interval=pledge.interval, donor_kind=d.kind,
        name=" ".join(d.name.split())[:200], email=clean_email(d.email), street=d.street.strip(),
        postcode=d.postcode.strip(), city=d.city.strip(), country=d.country.strip().upper(),
        language=d.language, receipt_wanted=pledge.receipt_wanted,
        public_name=pledge.public_name.strip()[:100] or None,
        consent_public=bool(d.consent_public))
    params = stripe_adapter.checkout_params(row, fund_name=page.title or page.fund.name,
                                            success_url=success_url, cancel_url=cancel_url)
    created = stripe_api.create_checkout_session(settings.stripe, params, idempotency_key=key)
    row.stripe_id, row.url = created["id"], created.get("url")
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # recorded by a concurrent request with the same form
        return session.scalar(select(DonationCheckout)
                              .where(DonationCheckout.stripe_id == created["id"]))
    audit.record(session, None, "donation.checkout_started", "donation_checkout", row.id,
                 summary=f"{pledge.amount} {source(LABELS[row.interval]) if row.interval else 'once'} "
                         f"to fund {page.fund_id} ({created['id']})")
    return row


def new_form_token() -> str:
    return secrets.token_urlsafe(16)
