"""Donors and booked donations for the receipt tests, written directly (the receipts only read
them; how a donation is booked is the donations package's to test)."""
from __future__ import annotations

from datetime import date

from backoffice.core.db import transaction
from backoffice.donations.models import (
    Channel,
    Donation,
    DonationKind,
    DonationStatus,
    Donor,
    InKindOrigin,
    Language,
)
from backoffice.extensions import db
from backoffice.ledger.services import general_fund


def donor(name: str = "Erika Mustermann", *, email: str | None = "erika@example.org",
          address: bool = True, language: str = "de") -> Donor:
    with transaction():
        row = Donor(name=name, street="Heidestraße 17" if address else "",
                    postcode="51147" if address else "", city="Köln" if address else "",
                    country="DE" if address else "", email=email, language=Language(language))
        db.session.add(row)
    return row


def donation(giver: Donor, amount: int, day: date = date(2026, 3, 1), *,
             kind: DonationKind = DonationKind.MONEY, currency: str = "EUR",
             wanted: bool = False, status: DonationStatus = DonationStatus.BOOKED,
             **extra) -> Donation:
    if kind is DonationKind.IN_KIND:
        extra = {"in_kind_description": "Beamer Epson EB-X49, 2 Jahre alt, gut erhalten, "
                                        "Kaufpreis 699 EUR",
                 "valuation_basis": "Rechnung vom 02.01.2024, Abschlag für Alter",
                 "in_kind_origin": InKindOrigin.PRIVATE, **extra}
    channel = {DonationKind.IN_KIND: Channel.IN_KIND,
               DonationKind.WAIVED_REIMBURSEMENT: Channel.WAIVER}.get(kind, Channel.BANK)
    with transaction():
        row = Donation(donor_id=giver.id, fund_id=general_fund(db.session).id, amount=amount,
                       currency=currency, donated_on=day, channel=channel, kind=kind,
                       status=status, receipt_wanted=wanted, **extra)
        db.session.add(row)
    return row
