from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from flask import has_app_context
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from backoffice.auth.models import User
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.extensions import db
from backoffice.ledger import services
from backoffice.ledger.chart import Account, Fund
from backoffice.ledger.periods import FiscalYear
from backoffice.ledger.services import Line

#: The fiscal year the tests' books keep (the app's default, FISCAL_YEAR_START_MONTH = 1).
CALENDAR = FiscalYear(1)


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
def session(request, database_url):
    """A plain SQLAlchemy session on the test's migrated database, with no Flask app: the ledger
    needs none. Tests of its web and command-line edge (they ask for ``app``) get the app's."""
    if "app" in request.fixturenames:
        yield request.getfixturevalue("app") and db.session
        return
    engine = create_engine(database_url)
    with Session(engine) as plain:
        yield plain
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_flask_app(request):
    """Proof: a ledger test that does not ask for the app runs without one."""
    if "app" in request.fixturenames:
        yield
        return
    assert not has_app_context()
    yield
    assert not has_app_context()


@pytest.fixture
def treasurer(request, session):
    if "app" in request.fixturenames:
        return request.getfixturevalue("users")["treasurer"]
    with transaction(session):
        user = User(email="treasurer@example.org", name="Test Treasurer")
        session.add(user)
    return user


@pytest.fixture
def books(session, treasurer):
    with transaction(session):
        berlin = services.create_fund(session, code="BER", name="Python Users Berlin", actor=treasurer)
        munich = services.create_fund(session, code="MUC", name="PyMunich", actor=treasurer)
    accounts = {a.code: a for a in session.scalars(select(Account))}
    return Books(session, treasurer, accounts, services.general_fund(session), berlin, munich)
