"""The `backoffice` command: reports in three formats, verification, periods, demo data."""
import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.ledger.integrity import problems


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_demo_seed_fills_an_empty_database(app, session, mailbox):
    since = (clock.today() - timedelta(days=5)).isoformat()
    result = _run(app, "demo", "seed", "--since", since)
    assert result.exit_code == 0, result.output
    assert "Seeded 6 users, 13 funds and" in result.output
    assert problems(session) == []
    assert mailbox == []  # the demo's invitations and decisions go to made-up addresses: unsent


@pytest.mark.demo_data
def test_demo_seed_builds_a_consistent_association_once(app, session):
    assert "left it as it is" in _run(app, "demo", "seed").output
    assert problems(session) == []
    logins = _run(app, "demo", "logins").output
    assert "treasurer@example.org" in logins and "backoffice-demo" in logins
    assert "auditor    audit@example.org" in logins
    verify = _run(app, "ledger", "verify")
    assert verify.exit_code == 0 and "consistent" in verify.output


@pytest.mark.demo_data
def test_trial_balance_in_three_formats(app, session):
    table = _run(app, "ledger", "trial-balance").output
    assert "1200  Bank: current account" in table
    total = [line for line in table.splitlines() if "Total" in line][0].split()
    assert total[-1] == total[-2]  # debits == credits

    rows = list(csv.DictReader(io.StringIO(_run(app, "ledger", "trial-balance", "--format", "csv").output)))
    assert sum(Decimal(r["debit"] or 0) for r in rows) == sum(Decimal(r["credit"] or 0) for r in rows)
    data = json.loads(_run(app, "ledger", "trial-balance", "--format", "json", "--as-of", "2000-01-01").output)
    assert data == []
    one_fund = _run(app, "ledger", "trial-balance", "--fund", "BER", "--format", "json")
    assert json.loads(one_fund.output)


@pytest.mark.demo_data
def test_fund_balances_report(app, session):
    rows = json.loads(_run(app, "ledger", "fund-balances", "--format", "json").output)
    codes = {row["code"] for row in rows}
    assert {"GEN", "BER", "PYCON"} <= codes
    assert all(row["currency"] in ("EUR", "") for row in rows)


def test_bad_input_gives_one_line_and_a_non_zero_exit(app, session):
    for args, message in [
        (["ledger", "trial-balance", "--fund", "NOPE"], "Error: There is no fund NOPE."),
        (["ledger", "close-period", "March"], "Error: 'March' is neither a month (2026-03) nor a year (2026)."),
    ]:
        result = _run(app, *args)
        assert result.exit_code == 1
        assert result.output.strip().splitlines()[-1] == message
    bad_date = _run(app, "ledger", "trial-balance", "--as-of", "yesterday")
    assert bad_date.exit_code == 2 and "Invalid value for '--as-of'" in bad_date.output


def test_close_and_reopen_a_period(app, session):
    assert _run(app, "ledger", "close-period", "2026-03").output.strip() == "The month 2026-03 is closed."
    again = _run(app, "ledger", "close-period", "2026-03")
    assert again.exit_code == 1 and "already closed" in again.output
    assert _run(app, "ledger", "close-period", "2025").output.strip() == "The fiscal year 2025 is closed."
    assert "open" in _run(app, "ledger", "close-period", "2026-03", "--reopen").output


@pytest.mark.demo_data
def test_verify_finds_tampered_totals_and_rebuild_repairs_them(app, session):
    with transaction():
        session.execute(text("UPDATE ledger_account_totals SET amount = amount + 1 "
                             "WHERE grain = 'Y'"))
    result = _run(app, "ledger", "verify")
    assert result.exit_code == 1
    assert "stored" in result.output and "problem(s) found" in result.output
    assert _run(app, "ledger", "rebuild-totals").exit_code == 0
    assert _run(app, "ledger", "verify").exit_code == 0
