"""From a figure to its postings and on to the source document behind a posting: the link the
postings page gives opens the document (an expense claim's page) for the treasurer and the
board, and answers 404 to an organiser of another group, as every other group's object does."""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.core import clock
from backoffice.core.permissions import Role
from backoffice.reports import statements
from backoffice.reports.views import query_string

from ..invoicing.factories import issued
from ..sponsorship import active_group, approved, client_for

SOURCE_LINK = re.compile(r'<a href="([^"]+)" data-testid="source-link">')


def test_a_figure_opens_its_postings_and_a_posting_its_source_document(app, session, users):
    alpha = active_group(session, "PyAlpha", actor=users[Role.ADMIN], money="100.00")
    beta = active_group(session, "PyBeta", actor=users[Role.ADMIN], money="100.00")
    claim = approved(session, beta.organisers[0], beta.fund, users[Role.TREASURER], ["7.00"])
    today = clock.today()
    start = date(today.year, 1, 1)
    treasurer = client_for(app, users[Role.TREASURER].email)
    # The statement of activities per fund: Beta's expenses are the claim's 7.00; its figure
    # opens the postings behind it.
    [report] = statements.compute_activities(session, start, today, by="fund")
    column = report.columns.index(beta.fund.name)
    expenses = next(line for line in report.lines
                    if line.kind == statements.LINE and line.values[column] == 700)
    drill = expenses.drill_at(column)
    assert drill is not None and beta.fund.id in drill.funds
    listing = treasurer.get("/reports/postings", query_string=drill.query())
    assert listing.status_code == 200
    links = SOURCE_LINK.findall(listing.get_data(as_text=True))
    assert links == [f"/expenses/claims/{claim.id}"]
    # The posting's source link opens the claim for the treasurer and the board ...
    document = treasurer.get(links[0])
    assert document.status_code == 200 and claim.title in document.get_data(as_text=True)
    board = client_for(app, users[Role.BOARD].email)
    assert board.get(links[0]).status_code == 200
    # ... and its own organiser, but never an organiser of another group (nor their postings).
    assert client_for(app, beta.organisers[0].email).get(links[0]).status_code == 200
    outsider = client_for(app, alpha.organisers[0].email)
    assert outsider.get(links[0]).status_code in (403, 404)
    assert outsider.get("/reports/postings", query_string=drill.query()).status_code in (403,
                                                                                          404)


def test_an_invoices_posting_opens_the_invoice_for_the_treasurer_only(app, session, users):
    """A sponsorship invoice's receivable: its posting links to the invoice, which the
    treasurer opens and an organiser (who sees no invoices of the association) does not."""
    invoice = issued()
    alpha = active_group(session, "PyAlpha", actor=users[Role.ADMIN])
    receivables = next(a.id for a in statements.chart_accounts(session)
                       if a.role == "receivables")
    treasurer = client_for(app, users[Role.TREASURER].email)
    listing = treasurer.get("/reports/postings", query_string={"account": receivables})
    assert listing.status_code == 200
    links = SOURCE_LINK.findall(listing.get_data(as_text=True))
    assert links and set(links) == {f"/invoices/{invoice.id}"}
    page = treasurer.get(links[0])
    assert page.status_code == 200 and invoice.number in page.get_data(as_text=True)
    assert client_for(app, alpha.organisers[0].email).get(links[0]).status_code in (403, 404)


@settings(max_examples=200)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=12), max_size=6))
def test_a_figures_address_is_urlencoded_as_urlencode_writes_it(values):
    """The drill links' query string (reports.views.query_string) quotes only what needs it:
    the same text as urlencode with "," kept."""
    assert query_string(values) == urlencode(values, safe=",")


_days = st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@given(st.lists(st.builds(
    statements.Drill, st.none() | st.integers(1, 10**9),
    st.none() | st.sampled_from(sorted(statements.ACCOUNT_TYPES)),
    st.lists(st.integers(1, 10**6), max_size=3).map(tuple), _days, _days,
    st.none() | st.sampled_from(["unrestricted", "groups", "a b&c"])), max_size=8))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the app is only read
def test_a_pages_figure_links_are_each_figures_own_address(app, drills):
    """drill_links quotes the part of an address the figures of a column share once a page (the
    account comes first and differs): each link is still the figure's whole address."""
    from backoffice.reports.views import drill_links

    with app.test_request_context("/reports/activities"):
        link = drill_links()
        for drill in drills:
            assert link(drill) == f"/reports/postings?{query_string(drill.query())}"
