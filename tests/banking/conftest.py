from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from backoffice.banking import imports, services
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger
from backoffice.ledger.services import Line

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "samples"
IBAN = "DE89370400440532013000"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def treasurer(users):
    return users[Role.TREASURER]


@pytest.fixture
def bank(session, treasurer):
    with transaction():
        account = services.create_bank_account(
            session, name="Current account", iban=IBAN, bic="COBADEFFXXX", currency="EUR",
            ledger_account=ledger.account_by_role(session, "bank"), actor=treasurer)
    return account


def book(session, actor, day: date, cents: int, description: str, *, other_role="other_income"):
    """A bank posting in the books: money in (cents > 0) or out, against another account."""
    bank_account = ledger.account_by_role(session, "bank")
    other = (ledger.account_by_code(session, "4900") if other_role == "other_income"
             else ledger.account_by_role(session, other_role))
    general = ledger.general_fund(session)
    entry = ledger.post_entry(session, booking_date=day, description=description, actor=actor,
                              lines=[Line(bank_account, general, Money(cents, "EUR")),
                                     Line(other, general, Money(-cents, "EUR"))])
    return next(p for p in entry.postings if p.account_id == bank_account.id)


def do_import(session, account, data: bytes, actor, filename="statement"):
    with transaction():
        return imports.import_statement(session, account, filename=filename, data=data,
                                         actor=actor, settings=app_settings())
