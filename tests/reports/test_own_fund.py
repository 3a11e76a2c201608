"""An organiser's only report: their group's fund statement (page, PDF, CSV, XLSX), its
movements and the postings behind its figures, never another fund's; every other report URL,
with any fund id guessed into it, answers 403 or 404."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pypdf
from openpyxl import load_workbook

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.funds.statements import statements

from ..helpers import csrf_token, email_for
from ..sponsorship import active_group, client_for, eur, give

YEAR_START = date(clock.today().year, 1, 1)


def _two_groups(session, users):
    mine = active_group(session, "PyMine", actor=users[Role.ADMIN], money="100.00")
    theirs = active_group(session, "PyTheirs", actor=users[Role.ADMIN], money="700.00")
    with transaction():
        give(session, mine.fund, eur("23.45"), clock.today())
        give(session, theirs.fund, eur("999.99"), clock.today())
    return mine, theirs


def test_an_organiser_sees_their_fund_statement_in_every_format(app, session, users):
    mine, _ = _two_groups(session, users)
    client = client_for(app, mine.organisers[0].email)
    index = client.get("/reports").get_data(as_text=True)
    assert f"/reports/funds/{mine.fund.id}" in index and "PyTheirs" not in index
    (expected,) = statements(session, mine.fund, YEAR_START, clock.today())
    page = client.get(f"/reports/funds/{mine.fund.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "PyMine" in html and "Latest movements" in html
    assert f"€{Decimal(expected.closing) / 100:,.2f}" in html
    assert expected.closing == 12345 and expected.total_transfers == 12345

    rows = list(csv.reader(io.StringIO(client.get(
        f"/reports/funds/{mine.fund.id}.csv").get_data(as_text=True))))
    closing = next(r for r in rows if r[1].startswith("Closing balance"))
    assert Decimal(closing[-1]) == Decimal("123.45")
    sheet = load_workbook(io.BytesIO(client.get(
        f"/reports/funds/{mine.fund.id}.xlsx").data)).worksheets[0]
    closing_row = next(row for row in sheet.iter_rows(values_only=True)
                       if str(row[1] or "").startswith("Closing balance"))
    assert Decimal(str(closing_row[2])) == Decimal("123.45")
    pdf = client.get(f"/reports/funds/{mine.fund.id}.pdf")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "PyMine" in text and "123.45" in text and "PyTheirs" not in text


def test_the_drill_down_lists_that_fund_only_whatever_the_address_asks(app, session, users):
    mine, theirs = _two_groups(session, users)
    client = client_for(app, mine.organisers[0].email)
    html = client.get(f"/reports/funds/{mine.fund.id}").get_data(as_text=True)
    assert f"/reports/funds/{mine.fund.id}/postings?" in html
    assert "/reports/postings?" not in html  # the board's drill-down is not offered
    asked = client.get(f"/reports/funds/{mine.fund.id}/postings?type=net_assets"
                       f"&funds={theirs.fund.id}&start={YEAR_START}")
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "23.45" in body and "999.99" not in body
    assert "/ledger/entries/" not in body  # no links to pages an organiser may not open


def _report_urls(app, fund_id: int):
    """(method, URL) of every report endpoint, with ``fund_id`` wherever a fund goes and 1 for
    any other id."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("reports.", "report_exports.", "report_funds.")):
            continue
        values = {}
        for name in rule.arguments:
            values[name] = (fund_id if name == "fund_id" else "pdf" if name == "fmt"
                            else clock.today().year if name == "year" else 1)
        values.update({k: v for k, v in (rule.defaults or {}).items() if v is not None})
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, f"{path}?funds={fund_id}&fund={fund_id}"


def test_an_organiser_guessing_another_fund_gets_403_or_404_everywhere(app, session, users):
    mine, theirs = _two_groups(session, users)
    client = client_for(app, mine.organisers[0].email)
    token = csrf_token(client, f"/reports/funds/{mine.fund.id}")
    seen = 0
    for method, url in _report_urls(app, theirs.fund.id):
        response = client.open(url, method=method, data={"csrf_token": token})
        allowed = (200,) if url.startswith("/reports?") else (403, 404)  # the menu: their own
        assert response.status_code in allowed, (method, url, response.status_code)
        assert b"999.99" not in response.data and b"PyTheirs" not in response.data, url
        seen += 1
    assert seen > 30
    for method, url in _report_urls(app, mine.fund.id):  # their own fund's pages open
        if "/reports/funds/" in url and method == "GET":
            assert client.get(url).status_code == 200, url


def test_the_board_opens_any_fund_and_other_roles_none(app, session, users):
    mine, theirs = _two_groups(session, users)
    board = client_for(app, email_for(Role.BOARD))
    assert board.get(f"/reports/funds/{theirs.fund.id}").status_code == 200
    assert board.get("/reports/funds/2147483647").status_code == 404
    reviewer = client_for(app, email_for(Role.REVIEWER))
    assert reviewer.get(f"/reports/funds/{mine.fund.id}").status_code == 404
    assert client_for(app).get(f"/reports/funds/{mine.fund.id}").status_code in (302, 401)
    organiser = client_for(app, mine.organisers[0].email)
    assert organiser.get(f"/reports/funds/{mine.fund.id}?start=2026-05-01&end=2026-01-01"
                         ).status_code == 400
