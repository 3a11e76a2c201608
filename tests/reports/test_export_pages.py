"""The exports' pages in the Reports menu: who sees them, what they download, the mapping."""
from __future__ import annotations

import io
import zipfile

from backoffice.core.permissions import Role
from backoffice.ledger.reads import chart_accounts
from backoffice.reports import datev_map

from ..helpers import csrf_token, login
from .books import small_ledger


def test_the_board_previews_and_downloads_the_datev_file(app, client, session, users):
    small_ledger(session, users["treasurer"])
    login(client, Role.BOARD)
    page = client.get("/reports/exports/datev?start=2026-01-01&end=2026-01-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "4</strong> bookings from 5 journal entries" in html
    assert "between funds" in html  # the note on the transfer
    download = client.get("/reports/exports/datev?start=2026-01-01&end=2026-01-31&download=1")
    assert download.status_code == 200
    assert "EXTF_Buchungsstapel_20260101_20260131.csv" in download.headers["Content-Disposition"]
    assert download.data.startswith(b'"EXTF";700;21;')
    refused = client.get("/reports/exports/datev?start=2025-12-01&end=2026-01-31")
    assert refused.status_code == 400 and "one fiscal year" in refused.get_data(as_text=True)


def test_the_beancount_and_audit_downloads(app, client, session, users):
    small_ledger(session, users["treasurer"])
    login(client, Role.TREASURER)
    books = client.get("/reports/exports/beancount?download=1")
    assert books.status_code == 200 and b"open Assets:1200-Bank-current-account:GEN" in books.data
    archive = client.get("/reports/exports/audit?year=2026&download=1")
    assert archive.status_code == 200
    assert "index.xml" in zipfile.ZipFile(io.BytesIO(archive.data)).namelist()


def test_organisers_and_reviewers_see_no_export(app, client, users):
    for role in (Role.ORGANISER, Role.REVIEWER):
        login(client, role)
        for path in ("/reports/exports/datev", "/reports/exports/beancount",
                     "/reports/exports/audit", "/reports/exports/datev/accounts"):
            assert client.get(path).status_code == 403, (role, path)


def test_the_treasurer_maps_accounts_the_board_only_reads_the_mapping(app, client, session, users):
    travel = next(a for a in chart_accounts(session) if a.code == "5200")
    login(client, Role.BOARD)
    page = client.get("/reports/exports/datev/accounts").get_data(as_text=True)
    assert "2561" in page and f'name="account-{travel.id}"' not in page
    token = csrf_token(client, "/reports/exports/datev/accounts")
    assert client.post("/reports/exports/datev/accounts",
                       data={"csrf_token": token, f"account-{travel.id}": "2563"}).status_code == 403
    login(client, Role.TREASURER)
    token = csrf_token(client, "/reports/exports/datev/accounts")
    response = client.post("/reports/exports/datev/accounts",
                           data={"csrf_token": token, f"account-{travel.id}": "2563"})
    assert response.status_code == 302
    assert datev_map.mapping(session, 4)[travel.id].datev == "2563"
    response = client.post("/reports/exports/datev/accounts",
                           data={"csrf_token": token, f"account-{travel.id}": "25x"})
    assert response.status_code == 302  # refused, flashed, nothing changed
    assert datev_map.mapping(session, 4)[travel.id].datev == "2563"
