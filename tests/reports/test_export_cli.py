"""``backoffice reports datev|beancount|audit-export`` and ``backoffice import beancount``."""
from __future__ import annotations

import zipfile

from backoffice.ledger import reads
from backoffice.reports.cli import import_cli, reports_cli

from .books import small_ledger


def _run(app, group, *args):
    result = app.test_cli_runner().invoke(group, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_commands_write_the_three_exports(app, session, users, tmp_path):
    small_ledger(session, users["treasurer"])
    out = _run(app, reports_cli, "datev", "--start", "2026-01-01", "--end", "2026-01-31",
               "-o", str(tmp_path / "extf.csv"))
    assert "4 bookings from 5 entries" in out
    assert (tmp_path / "extf.csv").read_bytes().startswith(b'"EXTF";700;21;"Buchungsstapel";13;')
    _run(app, reports_cli, "beancount", "-o", str(tmp_path / "books.beancount"))
    assert "entry-url: \"http" in (tmp_path / "books.beancount").read_text()
    _run(app, reports_cli, "audit-export", "--year", "2026", "-o", str(tmp_path / "z3.zip"))
    assert "index.xml" in zipfile.ZipFile(tmp_path / "z3.zip").namelist()


def test_a_period_across_fiscal_years_is_an_error_not_a_file(app, session, users, tmp_path):
    result = app.test_cli_runner().invoke(reports_cli, ["datev", "--start", "2025-12-01",
                                                        "--end", "2026-01-31"])
    assert result.exit_code != 0 and "one fiscal year" in result.output


def test_import_beancount_dry_run_writes_nothing(app, session, users, tmp_path):
    (tmp_path / "b.beancount").write_text(
        '2025-01-01 open Assets:B EUR\n2025-01-01 open Income:D EUR\n'
        '2025-01-02 * "Gift"\n  Assets:B 10.00 EUR\n  Income:D\n')
    (tmp_path / "m.toml").write_text('[accounts]\n"Assets:B" = "1200"\n"Income:D" = "4100"\n')
    out = _run(app, import_cli, "beancount", str(tmp_path / "b.beancount"), "--mapping",
               str(tmp_path / "m.toml"), "--dry-run")
    assert "1 transactions with 2 postings would be imported" in out
    assert reads.entry_count(session) == 0
    out = _run(app, import_cli, "beancount", str(tmp_path / "b.beancount"), "--mapping",
               str(tmp_path / "m.toml"))
    assert reads.entry_count(session) == 1


def test_import_beancount_on_the_queue_is_a_job_with_its_report(app, session, users, tmp_path):
    from sqlalchemy import func, select

    from backoffice.core.jobs import DONE, Job

    (tmp_path / "b.beancount").write_text(
        '2025-01-01 open Assets:B EUR\n2025-01-01 open Income:D EUR\n'
        '2025-01-02 * "Gift"\n  Assets:B 10.00 EUR\n  Income:D\n')
    (tmp_path / "m.toml").write_text('[accounts]\n"Assets:B" = "1200"\n"Income:D" = "4100"\n')
    args = ("beancount", str(tmp_path / "b.beancount"), "--mapping", str(tmp_path / "m.toml"),
            "--queue")
    out = _run(app, import_cli, *args)
    job = session.scalar(select(Job))
    assert f"Job {job.id}: Import b.beancount (Beancount)" in out
    session.refresh(job)
    assert (job.kind, job.state, job.payload) == ("beancount.import", DONE, None)  # not kept
    assert "1 transactions with 2 postings imported" in " ".join(job.result["notes"])
    assert reads.entry_count(session) == 1
    _run(app, import_cli, *args)  # the same file again: the same job, nothing imported twice
    assert session.scalar(select(func.count()).select_from(Job)) == 1
    assert reads.entry_count(session) == 1
