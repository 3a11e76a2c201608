from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.ledger import services
from backoffice.ledger.models import Account, Fund
from backoffice.ledger.services import Line


def eur(text: str | int) -> Money:
    return Money.parse(str(text), "EUR")


@dataclass
class Books:
    """The default chart, the general fund and two restricted funds, and a poster."""

    session: object
    actor: object
    accounts: dict[str, Account]
    general: Fund
    berlin: Fund
    munich: Fund

    def __getitem__(self, code: str) -> Account:
        return self.accounts[code]

    def post(self, day: date, *lines: tuple, description: str = "Test entry"):
        """Post (account code, fund, amount text) triples in one committed transaction."""
        with transaction(self.session):
            return services.post_entry(
                self.session, booking_date=day, description=description, actor=self.actor,
                lines=[Line(self[code], fund, eur(amount)) for code, fund, amount in lines])


@pytest.fixture
def books(app, session, users):
    treasurer = users["treasurer"]
    with transaction():
        berlin = services.create_fund(session, code="BER", name="Python Users Berlin", actor=treasurer)
        munich = services.create_fund(session, code="MUC", name="PyMunich", actor=treasurer)
    accounts = {a.code: a for a in session.scalars(select(Account))}
    return Books(session, treasurer, accounts, services.general_fund(session), berlin, munich)
