"""Issue 17: a chart of hundreds of accounts comes a page at a time in the browser; "Show more
accounts" appends the next page in place (htmx) and the search field narrows it as one types."""
from playwright.sync_api import expect

from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.ledger import services
from backoffice.ledger.chart import AccountType

from ..helpers import PASSWORD, email_for
from .conftest import log_in


def test_the_chart_shows_more_on_demand_and_searches_as_one_types(page, users, session):
    treasurer = users[Role.TREASURER]
    with transaction(session):
        for n in range(250):
            services.create_account(session, code=f"B{n:04d}", name=f"Bench account {n}",
                                    type=AccountType.EXPENSE, actor=treasurer)
    log_in(page, email_for("treasurer"), PASSWORD)
    page.goto("/ledger/accounts")
    rows = page.locator("#account-rows tr:not(.more-rows)")
    expect(rows).to_have_count(100)
    page.click("[data-testid=more-accounts]")
    expect(rows).to_have_count(200)
    assert page.url.endswith("/ledger/accounts")  # appended in place, no new page
    more = page.locator("[data-testid=more-accounts]")
    while more.count():
        shown = rows.count()
        more.click()
        expect(rows).not_to_have_count(shown)
    expect(rows.last).to_contain_text("Bench account 249")
    count = rows.count()
    codes = [rows.nth(i).locator("td.code").inner_text() for i in range(count)]
    assert codes == sorted(codes) and len(set(codes)) == count

    page.fill("#q", "Bench account 24")
    expect(rows).to_have_count(11)  # 24 and 240..249
    expect(rows.first).to_contain_text("B0024")
    page.fill("#q", "no such account")
    expect(page.locator("#account-rows")).to_contain_text("No account matches")
