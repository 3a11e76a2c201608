"""An auditor in the browser: starts the audit of last year, draws the random sample with a seed,
picks one more entry, queries one item and checks the others, and finishes the auditors' report;
the stored PDF is the one whose SHA-256 the page shows."""
from __future__ import annotations

import hashlib

from playwright.sync_api import expect

from backoffice.core.permissions import Role

from ..board.audit_helpers import YEAR, auditors_of, book_entries
from ..board.conftest import board  # noqa: F401 (a fixture)
from ..helpers import PASSWORD, email_for
from .conftest import log_in


def test_an_auditor_samples_checks_an_item_and_finishes_the_report(page, board):  # noqa: F811
    auditors_of(board)
    ids = book_entries(12)
    log_in(page, email_for(Role.AUDITOR), PASSWORD)
    page.get_by_role("link", name="Audits").click()
    page.select_option("#auditors", label="Auditors")
    page.fill("#year", str(YEAR))
    page.get_by_role("button", name="Start the audit").click()
    expect(page.locator(".alert-success")).to_contain_text(f"The audit of {YEAR} is started")
    page.fill("#size", "4")
    page.fill("#seed", "2027")
    page.get_by_role("button", name="Draw the random sample").click()
    expect(page.locator("[data-testid=seed]")).to_have_text("2027")
    expect(page.locator("[data-testid=item]")).to_have_count(4)
    shown = page.locator("[data-testid=item] h2").all_inner_texts()
    extra = next(i for i in ids if not any(f"#{i} " in text or text.startswith(f"Entry #{i}")
                                           for text in shown))
    page.fill("#entry", str(extra))
    page.get_by_role("button", name="Add to the sample").click()
    expect(page.locator("[data-testid=item]")).to_have_count(5)
    expect(page.locator("[data-testid=item]").last).to_contain_text("Picked by the auditors")
    # the report waits for every item
    page.fill("#text", "We examined the books.")
    page.get_by_role("button", name="Finish: write the report").click()
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_contain_text("5 open")
    first = page.locator("[data-testid=item]").first
    first.locator("textarea").fill("Where is the bank statement?")
    first.get_by_role("button", name="Query").click()
    expect(page.locator("[data-testid=item]").first.locator("[data-testid=item-state]")) \
        .to_have_text("Queried")
    for n in range(5):
        item = page.locator("[data-testid=item]").nth(n)
        if n == 0:
            item.locator("textarea").fill("Statement found; the amount agrees.")
        item.get_by_role("button", name="Checked").click()
        expect(page.locator("[data-testid=item]").nth(n).locator("[data-testid=item-state]")) \
            .to_have_text("Checked")
    expect(page.locator("[data-testid=item-note]").first).to_have_text(
        "Statement found; the amount agrees.")
    page.fill("#text", "We examined the books and the sampled entries with their documents.")
    page.fill("#findings", "No findings.")
    page.check("#recommend_discharge")
    page.get_by_role("button", name="Finish: write the report").click()
    report = page.locator("[data-testid=report]")
    expect(report).to_contain_text("Discharge recommended")
    expect(page.locator("[data-testid=audit-status]")).to_have_text("Reported")
    digest = report.locator(".code").inner_text()
    pdf = page.request.get(report.get_by_role("link", name="The report (PDF)").get_attribute(
        "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    assert hashlib.sha256(pdf.body()).hexdigest() == digest
    # nothing is offered any more: the audit is closed
    expect(page.get_by_role("button", name="Checked")).to_have_count(0)
