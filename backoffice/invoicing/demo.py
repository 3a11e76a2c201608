"""Demo sponsors, packages and invoices in every state, made through the services."""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.actors import Actor
from ..core.money import Money
from ..core.settings import Settings
from . import services
from . import sponsors as sponsor_services
from .models import Invoice, PaymentKind
from .services import DraftData, LineData
from .sponsors import SponsorData

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import Sponsor, SponsorshipPackage

SPONSORS = [
    SponsorData(name="Rheinwerk Software GmbH", street="Rheinallee 12", postcode="55116",
                city="Mainz", country="DE", vat_id="DE136695976", language="de",
                billing_emails="buchhaltung@rheinwerk.example", po_reference="PO-2026-118",
                contacts="Jana Keller, Marketing, +49 6131 555 010"),
    SponsorData(name="Voorbeeld Cloud B.V.", street="Keizersgracht 100", postcode="1015 AA",
                city="Amsterdam", country="NL", vat_id="NL004495445B01", language="en",
                billing_emails="ap@voorbeeld.example", contacts="Pieter de Vries, DevRel"),
    SponsorData(name="Example Analytics Inc.", street="500 Market Street\nSuite 300",
                postcode="94105", city="San Francisco", country="US", language="en",
                billing_emails="invoices@example-analytics.example"),
    SponsorData(name="Datenfabrik AG", street="Isartorplatz 1", postcode="80331", city="München",
                country="DE", vat_id="DE123456788", language="de",
                billing_emails="rechnungen@datenfabrik.example"),
]

PACKAGES = [  # event, name, net euros, what is included
    ("Gold", 5000, "Booth, logo on website and stage, 4 conference tickets, 1 talk slot"),
    ("Silver", 2500, "Logo on website, 2 conference tickets"),
    ("Bronze", 1000, "Logo on website, 1 conference ticket"),
]
EXEMPT_TALK = "Steuerfrei nach § 4 Nr. 22 a UStG (Vorträge wissenschaftlicher Art)"


def seed_invoicing(session: Session, *, actor: Actor, groups: dict, today: date,
                   settings: Settings) -> int:
    """Sponsors, packages and invoices in every state; returns the number of invoices."""
    sponsors = [sponsor_services.create_sponsor(session, data, actor=actor) for data in SPONSORS]
    conference = groups.get("PYCON")
    packages = [sponsor_services.save_package(
        session, None, actor=actor, name=name, event="PyConf Regional 2026",
        group_id=conference.id if conference else None, description=included,
        price=Money(euros * 100, "EUR"), tax_treatment="standard") for name, euros, included in PACKAGES]
    sponsor_services.save_package(session, None, actor=actor, name="Community workshop", event="",
                          group_id=None, description="Half-day workshop taught by volunteers",
                          price=Money(80000, "EUR"), tax_treatment="exempt",
                          exempt_reason=EXEMPT_TALK)

    def invoice(sponsor: Sponsor, package: SponsorshipPackage, days_ago: int, *, issue: bool = True, extra: Iterable[LineData] = ()):
        lines = [LineData(description=f"{package.label}\n{package.description}",
                          quantity_milli=1000, unit_price=package.price, package_id=package.id)]
        lines += list(extra)
        draft = services.create_draft(session, DraftData(
            sponsor=sponsor, currency="EUR", service_date=today - timedelta(days=days_ago),
            lines=lines, group_id=conference.id if conference else None), actor=actor, settings=settings)
        if issue:
            services.issue(session, draft, actor=actor, issue_date=today - timedelta(days=days_ago), settings=settings)
        return draft

    def pay(inv: Invoice, amount: int, reference: str, days_ago: int, method: str = "bank"):
        services.record_payment(session, inv, amount=Money(amount, "EUR"), reference=reference,
                                received_on=today - timedelta(days=days_ago), method=method,
                                debit_role="bank" if method == "bank" else "stripe_balance",
                                kind=PaymentKind.PAYMENT, actor=actor)

    gold, silver, bronze = packages
    de, nl, us, de2 = sponsors
    paid = invoice(de, gold, 40)
    pay(paid, paid.gross_total, "DEMO-BANK-0001", 20)
    stripe_paid = invoice(nl, silver, 25)
    pay(stripe_paid, stripe_paid.gross_total, "pi_demo_0001", 22, method="stripe")
    partial = invoice(us, gold, 50, extra=[LineData(description="Extra talk slot",
                                                    quantity_milli=1000, unit_price=25000)])
    pay(partial, 300000, "DEMO-BANK-0002", 10)
    invoice(de2, silver, 75)  # overdue
    overpaid = invoice(nl, bronze, 12)
    pay(overpaid, overpaid.gross_total + 5000, "DEMO-BANK-0003", 3)
    cancelled = invoice(de2, bronze, 30)
    services.cancel(session, cancelled, actor=actor, reason="Sponsor upgraded to Silver",
                    issue_date=today - timedelta(days=28), settings=settings)
    invoice(de2, silver, 28)
    invoice(us, bronze, 5)
    invoice(de, silver, 0, issue=False)
    return session.scalar(select(func.count()).select_from(Invoice))
