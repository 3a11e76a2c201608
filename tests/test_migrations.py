"""The migrations build the schema from nothing on both databases, and match the models."""
import logging
from contextlib import contextmanager

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from backoffice import create_app
from backoffice.extensions import db

from .conftest import base_config
from .databases import create_pg_database, drop_pg_database


def _fresh(backend, tmp_path):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}", lambda: None
    name = f"bo_empty_{tmp_path.name[-20:].replace('-', '_').lower()}"
    return create_pg_database(name), lambda: drop_pg_database(name)


def test_upgrade_from_empty_downgrade_and_upgrade_again_matches_the_models(backend, tmp_path):
    url, cleanup = _fresh(backend, tmp_path)
    try:
        app = create_app(base_config(url))
        with app.app_context():
            handlers = list(logging.getLogger().handlers)
            upgrade()
            # the app's log handler stays the only one: alembic.ini's would write every line twice
            assert logging.getLogger().handlers == handlers
            with db.engine.connect() as connection:
                diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
                assert diff == [], diff
                assert connection.execute(text("SELECT count(*) FROM accounts")).scalar() > 30
                assert connection.execute(text("SELECT code FROM funds")).scalars().all() == ["GEN"]
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert "postings" in inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        cleanup()


@contextmanager
def _at_revision(backend, tmp_path, revision):
    """An app on an empty database migrated up to ``revision`` (inside its app context)."""
    url, cleanup = _fresh(backend, tmp_path)
    try:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade(revision=revision)
            yield
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()


def test_bank_accounts_become_unique_per_iban_and_currency_with_their_lines_kept(backend, tmp_path):
    with _at_revision(backend, tmp_path, "0007"):
        with db.engine.begin() as connection:
            bank = connection.execute(text("SELECT id FROM accounts WHERE role = 'bank'")).scalar()
            connection.execute(text(
                "INSERT INTO bank_accounts (id, name, iban, bic, currency, ledger_account_id,"
                " active, auto_accept, created_at) VALUES (1, 'Current', 'DE89370400440532013000',"
                " '', 'EUR', :bank, true, false, CURRENT_TIMESTAMP)"), {"bank": bank})
            connection.execute(text(
                "INSERT INTO bank_imports (id, bank_account_id, filename, sha256, format, statements,"
                " lines_new, lines_duplicate, lines_by_rule, lines_auto_matched, imported_at)"
                " VALUES (1, 1, 'f', 'x', 'camt053', 1, 1, 0, 0, 0, CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO bank_statements (id, bank_account_id, import_id, reference, sequence,"
                " start_date, end_date, currency, entries_total, line_count, fingerprint)"
                " VALUES (1, 1, 1, 'S', '1', '2026-03-02', '2026-03-02', 'EUR', 100, 1, 'fp')"))
        upgrade()
        with db.engine.begin() as connection:
            assert connection.execute(text(
                "SELECT bank_account_id FROM bank_statements")).scalar() == 1
            other = connection.execute(text("SELECT id FROM accounts WHERE code = '1210'")).scalar()
            connection.execute(text(
                "INSERT INTO bank_accounts (id, name, iban, bic, currency, ledger_account_id,"
                " active, auto_accept, created_at) VALUES (2, 'USD', 'DE89370400440532013000',"
                " '', 'USD', :other, true, false, CURRENT_TIMESTAMP)"), {"other": other})
        if backend == "sqlite":
            with db.engine.connect() as connection:
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_donation_totals_are_filled_from_the_donations_booked_before(backend, tmp_path):
    from datetime import UTC, date, datetime

    from sqlalchemy import column, insert, table

    from backoffice.donations import totals
    from backoffice.donations.models import Donor

    with _at_revision(backend, tmp_path, "0028"):
        now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        with db.engine.begin() as connection:
            fund = connection.execute(text("SELECT id FROM funds WHERE code = 'GEN'")).scalar()
            connection.execute(insert(Donor.__table__), [dict(
                id=1, kind="person", name="A", email="a@example.org", street="", postcode="",
                city="", country="DE", language="en", consent_thanks=True,
                consent_public=False, notes="", created_at=now, updated_at=now)])
            # The donations table as it was at 0028 (the model's has columns added since).
            at_0028 = table("donations", *(column(name) for name in (
                "donor_id", "fund_id", "amount", "currency", "donated_on", "channel", "kind",
                "status", "in_kind_description", "valuation_basis", "receipt_wanted", "note",
                "fee", "admin_fee", "reversal_reason", "created_at")))
            connection.execute(insert(at_0028), [dict(
                donor_id=1, fund_id=fund, amount=amount, currency=currency, donated_on=day,
                channel=channel, kind="money", status=status, in_kind_description="",
                valuation_basis="", receipt_wanted=False, note="", fee=0, admin_fee=0,
                reversal_reason="", created_at=now)
                for amount, currency, day, channel, status in [
                    (100, "EUR", date(2026, 1, 31), "cash", "booked"),
                    (200, "EUR", date(2026, 1, 1), "cash", "booked"),
                    (400, "USD", date(2026, 1, 5), "cash", "booked"),
                    (800, "EUR", date(2026, 2, 1), "bank", "booked"),
                    (1600, "EUR", date(2026, 2, 2), "bank", "reversed"),
                    (3200, "EUR", date(2026, 2, 3), "stripe", "pending")]])
        upgrade()
        assert totals.stored(db.session) == {
            (fund, date(2026, 1, 1), "EUR", "cash", False): (2, 300),
            (fund, date(2026, 1, 1), "USD", "cash", False): (1, 400),
            (fund, date(2026, 2, 1), "EUR", "bank", False): (1, 800)}
        assert totals.differences(db.session) == {}


def test_the_migrations_form_one_numbered_chain():
    """Each file NNNN_*.py has revision "NNNN" and revises the one before: two branches landing
    the same number would otherwise be collapsed by Alembic without a word."""
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    chain = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text()
        revision = re.search(r"^revision = ['\"](\w+)", text, re.M).group(1)
        down = re.search(r"^down_revision = (?:['\"](\w+)|None)", text, re.M).group(1)
        chain.append((path.name[:4], revision, down))
    numbers = [number for number, _, _ in chain]
    assert numbers == [f"{n:04d}" for n in range(1, len(chain) + 1)], numbers
    for position, (number, revision, down) in enumerate(chain):
        assert revision == number
        assert down == (chain[position - 1][1] if position else None)
