"""A board member downloads the journal as XLSX from the list page (with its filter) and the
DATEV file from the Reports menu; the export pages at phone width."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from ..helpers import PASSWORD, email_for
from ..reports.books import small_ledger
from .conftest import ARTIFACTS, log_in


def test_a_board_member_downloads_an_xlsx_and_the_datev_file(page, session, users):
    _, made = small_ledger(session, users["treasurer"])
    log_in(page, email_for("board"), PASSWORD)
    page.goto(f"/ledger/journal?fund={made['berlin'].id}")
    expect(page.locator("[data-testid=journal]")).to_contain_text("Donation for PyBerlin")
    with page.expect_download() as download:
        page.click(".download-links >> text=XLSX")
    assert download.value.suggested_filename == "journal.xlsx"
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    descriptions = {row[2].value for row in sheet.iter_rows(min_row=2)}
    assert "Donation for PyBerlin" in descriptions
    assert "Sponsorship invoice 2026-001" not in descriptions  # the fund filter came along
    assert sheet.freeze_panes == "A2"

    page.click("text=Reports")
    page.click("text=DATEV export")
    page.fill("#start", "2026-01-01")
    page.fill("#end", "2026-01-31")
    page.click("text=Preview")
    expect(page.get_by_test_id("datev-summary")).to_contain_text("4 bookings from 5")
    with page.expect_download() as download:
        page.get_by_test_id("datev-download").click()
    data = download.value.path().read_bytes()
    assert data.startswith(b'"EXTF";700;21;"Buchungsstapel";13;') and b"\r\n" in data

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "exports-datev-390.png"), full_page=True)
    page.goto("/reports/exports/datev/accounts")
    expect(page.get_by_test_id("datev-mapping")).to_contain_text("0940")
    page.screenshot(path=str(ARTIFACTS / "exports-datev-mapping-390.png"), full_page=True)
    page.goto("/reports")
    page.screenshot(path=str(ARTIFACTS / "exports-reports-index-390.png"), full_page=True)
