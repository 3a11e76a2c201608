from datetime import date

import pytest

from backoffice.extensions import db
from backoffice.ledger.balances import trial_balance
from backoffice.ledger.integrity import problems
from backoffice.ledger.periods import FiscalYear

from ..stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn


@pytest.fixture(scope="session")
def stripe_server():
    server = StripeStandIn()
    yield server
    server.close()


@pytest.fixture
def stripe(app, stripe_server):
    """The app talking to the local Stripe stand-in (settling in the charges' currencies)."""
    stripe_server.requests.clear()
    stripe_server.sessions.clear()  # invoice ids repeat from one test's database to the next
    stripe_server.by_key.clear()
    stripe_server.withhold_balance_transactions = False
    stripe_server.no_invoice_payments = False
    stripe_server.settle_in(None)
    app.config.update(STRIPE_SECRET_KEY=API_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_API_BASE=stripe_server.url, STRIPE_CHECKOUT_ORIGIN=stripe_server.url)
    return stripe_server


def assert_ledger_sound() -> None:
    """What ``backoffice ledger verify`` checks finds nothing, and the trial balance sums to
    zero in every currency."""
    db.session.expire_all()
    assert problems(db.session) == []
    report = trial_balance(db.session, date.max, fiscal_year=FiscalYear(1))
    assert all(debit == credit for debit, credit in report.totals.values()), report.totals


@pytest.fixture(autouse=True)
def ledger_sound_after_each_scenario(request):
    """After every scenario that moved money through Stripe, the ledger is sound."""
    uses_app = "app" in request.fixturenames
    if uses_app:
        request.getfixturevalue("app")  # torn down after this check
    yield
    if uses_app:
        assert_ledger_sound()
