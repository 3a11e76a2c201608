"""A board member opens the Reports menu, reads a statement with its chart, drills down to the
postings, downloads an XLSX and makes and downloads the annual report pack."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from ..helpers import PASSWORD, email_for
from ..reports.conftest import books, hand_ledger  # noqa: F401 (the hand-checked ledger)
from .conftest import ARTIFACTS, log_in

SCREENSHOTS = Path(os.environ.get("BACKOFFICE_SCREENSHOTS", ARTIFACTS))


@pytest.mark.usefixtures("hand_ledger")
def test_a_board_member_downloads_an_xlsx_and_the_annual_report_pack(page):
    page.set_default_timeout(30_000)  # the first chart loads pygal; the pack renders 12 pages
    log_in(page, email_for("board"), PASSWORD)
    page.click("nav >> text=Reports")
    expect(page.locator("[data-testid=report-section]").first).to_contain_text("Balance sheet")

    page.click("[data-testid=report-link] >> text=Cash flow by month")
    page.wait_for_url("**/reports/cash-flow")
    page.fill("#year", "2026")
    page.click("text=Show")
    chart = page.locator("[data-testid=chart]").first
    expect(chart).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", chart.element_handle()) > 0
    expect(page.locator("[data-testid=statement]")).to_contain_text("Net change in cash")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports-cash-flow.png"), full_page=True)

    page.goto("/reports/activities?start=2026-01-01&end=2026-12-31")
    row = page.locator("[data-testid=statement] tr", has_text="Donations")
    expect(row).to_contain_text("300.00")
    row.locator("a", has_text="300.00").first.click()
    expect(page.locator("[data-testid=postings]")).to_contain_text("Donation to Munich")

    page.goto("/reports/activities?start=2026-01-01&end=2026-12-31")
    with page.expect_download() as download:
        page.click("[data-testid=downloads] >> text=XLSX")
    data = Path(download.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    labels = [(r[1].value or "").strip() for r in sheet.iter_rows(min_row=4)]
    assert "Total income" in labels

    page.click("text=All reports")
    page.click("[data-testid=report-link] >> text=Annual report pack")
    page.wait_for_url("**/reports/annual")
    page.fill("#year", "2026")
    page.click("text=Make the pack")
    expect(page.locator(".alert-success")).to_contain_text("SHA-256")
    page.click("text=Continue")  # the job's link: the pack itself
    page.goto("/reports/annual")
    with page.expect_download() as download:
        page.click("[data-testid=pack-download]")
    text = "".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert "Annual report 2026" in text and "1,380.00" in text

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/reports/balance-sheet?as_of=2026-12-31")
    expect(page.locator("[data-testid=statement]")).to_contain_text("Total net assets")
    page.screenshot(path=str(ARTIFACTS / "reports-balance-sheet-390.png"), full_page=True)
