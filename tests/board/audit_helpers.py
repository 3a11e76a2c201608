"""Entries booked in a past fiscal year and a body of auditors of the test board, shared by the
checklist's service, page and browser tests."""
from __future__ import annotations

from datetime import date

from backoffice.board import services
from backoffice.board.models import BodyKind, Function
from backoffice.board.rules import PRESETS
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.ledger import services as ledger
from backoffice.ledger.services import Line

YEAR = clock.today().year - 1


def book_entries(count: int, year: int = YEAR) -> list[int]:
    """``count`` entries (bank against net assets, general fund) spread over ``year``."""
    session = db.session
    fund = ledger.general_fund(session)
    bank = ledger.account_by_role(session, "bank")
    assets = ledger.account_by_role(session, "net_assets")
    ids = []
    with transaction():
        for n in range(count):
            amount = Money(1000 + n, "EUR")
            ids.append(ledger.post_entry(
                session, booking_date=date(year, 1 + n % 12, 1 + n % 28),
                description=f"Entry {n}", actor=None,
                lines=[Line(bank, fund, amount), Line(assets, fund, -amount)]).id)
    return ids


def auditors_of(board):
    """The auditors' body of ``board`` (a conftest ``Board``) with one auditor from ``YEAR``."""
    with transaction():
        body = services.create_body(db.session, kind=BodyKind.AUDITORS, name="Auditors",
                                    code="KP", rules=PRESETS["demo_statutes"]["auditors"],
                                    audits=board.body, actor=board.secretary_user)
        services.appoint(db.session, body, name="Kim Auditor", email="kim@audit.example",
                         function=Function.MEMBER, start_on=date(YEAR, 1, 1),
                         actor=board.secretary_user)
    return body
