from datetime import date
from decimal import Decimal

import pytest

from backoffice.core.db import transaction
from backoffice.donations import donors
from backoffice.funds import fees
from backoffice.funds.models import IncomeKind
from backoffice.ledger import services as ledger

START = date(2025, 1, 1)


@pytest.fixture
def fund(session):
    """A group's fund paying 7 % on sponsorship and 3 % on donations."""
    with transaction():
        fund = ledger.create_fund(session, code="PYLB", name="PyLadies Berlin", actor=None)
        fees.set_policy(session, fund, rate_percent=Decimal(7), donation_rate_percent=Decimal(3),
                        kinds=[IncomeKind.SPONSORSHIP, IncomeKind.DONATION], effective_from=START,
                        actor=None)
    return fund


@pytest.fixture
def donor(session):
    with transaction():
        return donors.find_or_create(session, donors.DonorDetails(
            name="Anna Müller", email="Anna@Example.org", street="Hauptstr. 1", postcode="10115",
            city="Berlin", country="DE"), iban="DE89 3704 0044 0532 0130 00")


from ..payments.conftest import stripe, stripe_server  # noqa: E402, F401  (the Stripe stand-in)


@pytest.fixture
def page(session, fund):
    from backoffice.donations.models import DonationPage
    with transaction():
        page = DonationPage(fund_id=fund.id, title="PyLadies Berlin",
                            purpose="Workshops for women in tech", currency="EUR",
                            public_donor_list=True)
        session.add(page)
    return page
