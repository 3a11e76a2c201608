"""The annual report pack: one PDF whose text holds every section with the pages' figures,
numbered pages, kept with its SHA-256; made from the page (a job) and the command line."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import date

from pypdf import PdfReader

from backoffice.core.uploads import StoredFile, read_stored
from backoffice.extensions import settings
from backoffice.reports import pack, statements
from backoffice.reports.cli import reports_cli
from backoffice.reports.models import ReportPack

from ..helpers import login, post_form


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_the_pack_holds_every_section_with_the_figures_of_the_pages(app, session, hand_ledger):
    row = pack.make(session, 2026, settings(), actor=hand_ledger.actor)
    data = read_stored(session.get(StoredFile, row.file_id), settings().paths.uploads)
    assert hashlib.sha256(data).hexdigest() == row.sha256
    text, pages = pdf_text(data)
    assert pages == row.pages and pages >= len(pack.SECTION_TITLES)
    assert "Annual report 2026" in text and settings().organisation.name in text
    assert "Figures as recorded on" in text
    for _, title in pack.SECTION_TITLES:
        assert text.count(title) >= 2, title  # in the contents and as the section's heading
    # Numbered pages, and the contents give each section's page.
    assert f"Page {pages} of {pages}" in text
    assert re.search(r"Balance sheet\s*\.*\s*\d+", text)
    # The same figures as the pages (hand-checked in test_statements).
    [sheet] = statements.compute_balance_sheet(session, date(2026, 12, 31))
    [activities] = statements.compute_activities(session, date(2026, 1, 1), date(2026, 12, 31))
    assert sheet.value("Total net assets") == 138000
    assert activities.value("Result (income less expenses)", 2) == 58000
    assert "1,380.00" in text and "580.00" in text and "800.00" in text
    # Fund movements: Berlin 800 at start, 50 transferred in, 850 at end.
    funds = pack.compute(session, 2026, settings()).section("funds").statements[0]
    assert funds.line("Python Users Berlin").values == (80000, 0, 0, 5000, 85000)
    assert funds.value("All funds", 4) == 138000


def test_a_board_member_makes_the_pack_on_the_page_and_downloads_it(client, session,
                                                                      hand_ledger):
    login(client, "board")
    page = client.get("/reports/annual")
    assert page.status_code == 200 and "No pack made yet" in page.get_data(as_text=True)
    answer = post_form(client, "/reports/annual", {"year": "2026"}, token_from="/reports/annual")
    assert answer.status_code == 303 and "/jobs/" in answer.headers["Location"]
    job_page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "SHA-256" in job_page
    row = session.query(ReportPack).one()
    download = client.get(f"/reports/annual/{row.id}.pdf")
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == row.sha256
    assert row.sha256 in client.get("/reports/annual").get_data(as_text=True)


def test_the_command_line_makes_the_pack(app, session, hand_ledger, tmp_path):
    target = tmp_path / "pack.pdf"
    result = app.test_cli_runner().invoke(reports_cli, ["pack", "--year", "2026", "-o",
                                                str(target)])
    assert result.exit_code == 0, result.output
    row = session.query(ReportPack).one()
    assert row.sha256 in result.output
    assert hashlib.sha256(target.read_bytes()).hexdigest() == row.sha256


def test_every_statement_from_the_command_line(app, hand_ledger, tmp_path):
    runner = app.test_cli_runner()
    for name in ("balance-sheet", "activities", "cash-flow", "spheres", "budget", "aging",
                 "fund-balances"):
        target = tmp_path / f"{name}.csv"
        result = runner.invoke(reports_cli, [name, "--year", "2026", "-o", str(target)])
        assert result.exit_code == 0, (name, result.output)
        assert target.read_text().startswith(("Balance sheet", "Statement of activities",
                                              "Cash flow", "Result per tax sphere", "Budget",
                                              "Receivables", "Fund balances over time"))
    result = runner.invoke(reports_cli, ["balance-sheet", "--year", "2026", "--format",
                                 "xlsx", "-o", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 0 and (tmp_path / "b.xlsx").read_bytes().startswith(b"PK")
    result = runner.invoke(reports_cli, ["vat", "--year", "2026", "--quarter", "2", "-o",
                                 str(tmp_path / "vat.csv")])
    assert result.exit_code == 0 and "Kz 81" in (tmp_path / "vat.csv").read_text()
    assert "1380.00" in (tmp_path / "balance-sheet.csv").read_text()
