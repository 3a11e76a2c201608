import pytest

from ..stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn


@pytest.fixture(scope="session")
def stripe_server():
    server = StripeStandIn()
    yield server
    server.close()


@pytest.fixture
def stripe(app, stripe_server):
    """The app talking to the local Stripe stand-in."""
    stripe_server.requests.clear()
    stripe_server.withhold_balance_transactions = False
    app.config.update(STRIPE_SECRET_KEY=API_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_API_BASE=stripe_server.url, STRIPE_CHECKOUT_ORIGIN=stripe_server.url)
    return stripe_server
