"""Every way the two databases offer to change a protected table fails, tried with plain SQL on a
connection of its own (another client than the application), on every table that
``core.protection`` lists: the append-only ones, and the frozen rows of issued invoices."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import inspect

from backoffice import create_app
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.protection import APPEND_ONLY_TABLES, FROZEN_ROWS, Key, unique_keys
from backoffice.extensions import db
from backoffice.ledger import services
from backoffice.ledger.integrity import problems

from ..conftest import base_config
from ..databases import PG_URL, _admin_connection, pg_url_for
from ..outsider import Outsider

PROTECTED = [*APPEND_ONLY_TABLES, *FROZEN_ROWS]
REFUSED = ("append-only", "never change", "a row with the same key exists", "sealed")
#: The column each attempt tries to change; a table added to core.protection without one here
#: gets its first text column that is not part of a key.
CHANGE = {"journal_entries": "description", "postings": "amount", "audit_log": "summary",
          "integrity_chain": "chain_hash", "invoice_payments": "note",
          "invoice_dispatches": "recipients", "invoices": "notes", "invoice_lines": "description",
          "sponsor_credits": "note", "board_documents": "title", "board_addenda": "text",
          "budget_lines": "amount", "report_packs": "sha256"}


#: A held board meeting, for the rows that belong to one.
_MEETING = ("INSERT INTO board_meetings (body_id, title, starts_at, place, video_link, status, "
            "late_notice_days, invited) SELECT min(id), '{title}', '2026-03-01 10:00:00', "
            "'Office', '', 'held', 0, '[]' FROM board_bodies")

#: Rows for the tables the demo leaves empty (inserting is what these tables allow): a statement,
#: or several in order.
SEED = {"invoice_dispatches": "INSERT INTO invoice_dispatches (invoice_id, kind, recipients, sent_at) "
                              "SELECT min(id), 'invoice', 'billing@example.org', '2026-03-01 10:00:00' "
                              "FROM invoices WHERE status <> 'draft'",
        "sponsor_credits": "INSERT INTO sponsor_credits (sponsor_id, fund_id, currency, amount, kind, "
                           "reference, journal_entry_id, note, created_at) SELECT min(id), "
                           "(SELECT min(id) FROM funds), 'EUR', 100, 'overpayment', 'tamper-test', "
                           "(SELECT min(id) FROM journal_entries), 'seed', '2026-03-01 10:00:00' "
                           "FROM sponsors",
        "board_minutes_files": (
            _MEETING.format(title="Tamper test"),
            "INSERT INTO board_minutes_files (meeting_id, file_id, sha256, created_at) "
            "SELECT (SELECT max(id) FROM board_meetings), id, sha256, '2026-03-01 10:00:00' "
            "FROM stored_files WHERE id = (SELECT min(id) FROM stored_files)"),
        "board_addenda": (
            _MEETING.format(title="Tamper test addendum"),
            "INSERT INTO board_addenda (meeting_id, text, written_at) "
            "SELECT max(id), 'seed', '2026-03-01 10:00:00' FROM board_meetings"),
        "budget_lines": (
            "INSERT INTO budget_revisions (year, number, note, created_at) "
            "VALUES (2099, 1, 'seed', '2026-03-01 10:00:00')",
            "INSERT INTO budget_lines (revision_id, account_id, fund_id, amount, currency) "
            "SELECT (SELECT max(id) FROM budget_revisions), min(id), (SELECT min(id) FROM funds), "
            "100, 'EUR' FROM accounts"),
        "report_packs": "INSERT INTO report_packs (year, file_id, sha256, pages, data_as_of, "
                        "created_at) SELECT 2099, id, sha256, 1, '2026-03-01 10:00:00', "
                        "'2026-03-01 10:00:00' FROM stored_files "
                        "WHERE id = (SELECT min(id) FROM stored_files)",
        "donation_refund_handlings": (
            "INSERT INTO donors (kind, name, street, postcode, city, country, language, "
            "consent_thanks, consent_public, notes, created_at, updated_at) VALUES ('person', "
            "'Tamper test', '', '', '', 'DE', 'de', FALSE, FALSE, '', '2026-03-01 10:00:00', "
            "'2026-03-01 10:00:00')",
            "INSERT INTO donations (donor_id, fund_id, amount, currency, donated_on, channel, "
            "kind, status, in_kind_description, valuation_basis, receipt_wanted, note, fee, "
            "admin_fee, reversal_reason, created_at) SELECT max(id), (SELECT min(id) FROM funds), "
            "100, 'EUR', '2026-03-01', 'bank', 'money', 'pending', '', '', FALSE, '', 0, 0, '', "
            "'2026-03-01 10:00:00' FROM donors",
            "INSERT INTO donation_refunds (donation_id, stripe_refund, amount, currency, status, "
            "note, created_at, for_treasurer) SELECT max(id), 're_tamper_test', 100, 'EUR', "
            "'refused', 'seed', '2026-03-01 10:00:00', TRUE FROM donations",
            "INSERT INTO donation_refund_handlings (refund_id, note, handled_at) "
            "SELECT id, 'seed', '2026-03-01 10:00:00' FROM donation_refunds "
            "WHERE stripe_refund = 're_tamper_test'")}


def _target(outsider: Outsider, table: str) -> dict:
    """A stored row that may never change (for FROZEN_ROWS: one whose condition holds)."""
    if table in SEED and outsider.rows(f"SELECT count(*) FROM {table}") == [(0,)]:
        seed = SEED[table]
        for statement in (seed,) if isinstance(seed, str) else seed:
            outsider.execute(statement)
    frozen = FROZEN_ROWS.get(table)
    where = f"WHERE {frozen.format(row=table)}" if frozen else ""
    return outsider.row(f"SELECT * FROM {table} {where} ORDER BY 1 LIMIT 1")


def _column(table: str, row: dict, keys: list[Key]) -> str:
    if table in CHANGE:
        return CHANGE[table]
    in_keys = {column for key in keys for column in key.columns}
    return next(name for name, value in row.items() if isinstance(value, str) and name not in in_keys)


def _changed(column: str, value) -> tuple[str, object]:
    """An SQL expression changing ``column`` (text keeps its length) and the value it gives."""
    if isinstance(value, int):
        return f"{column} + 1", value + 1
    first = "y" if value.startswith("x") else "x"
    return f"'{first}' || substr({column}, 2)", first + value[1:]


def _attempts(backend: str, table: str, row: dict, keys: list[Key], column: str,
              partial_keys_met: frozenset = frozenset()) -> dict:
    """Name -> (statement, parameters) of every way to change or remove ``row`` (a partial unique
    key is tried only when ``row`` meets its predicate: ``partial_keys_met``)."""
    pk = keys[0].columns[0]
    expression, value = _changed(column, row[column])
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    changed = tuple(value if name == column else v for name, v in row.items())
    attempts = {
        "UPDATE": (f"UPDATE {table} SET {column} = {expression} WHERE {pk} = ?", (row[pk],)),
        "DELETE": (f"DELETE FROM {table} WHERE {pk} = ?", (row[pk],)),
        "DELETE every row": (f"DELETE FROM {table}", ()),
    }
    if backend == "sqlite":
        attempts |= {
            "REPLACE": (f"REPLACE INTO {table} ({names}) VALUES ({marks})", changed),
            "INSERT OR REPLACE": (f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})",
                                  changed),
            "UPDATE OR REPLACE": (f"UPDATE OR REPLACE {table} SET {column} = {expression} "
                                  f"WHERE {pk} = ?", (row[pk],)),
            "INSERT ... ON CONFLICT DO UPDATE": (
                f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({pk}) "
                f"DO UPDATE SET {column} = excluded.{column}", changed),
        }
        for key in keys[1:]:  # a new row that shares another unique key: REPLACE deletes ours
            if pk not in key.columns and all(row[name] is not None for name in key.columns) \
                    and (key.where is None or key in partial_keys_met):
                values = tuple(-1 if name == pk else v for name, v in zip(row, changed))
                attempts[f"REPLACE on key ({', '.join(key.columns)})"] = (
                    f"REPLACE INTO {table} ({names}) VALUES ({marks})", values)
    else:
        attempts |= {
            "INSERT ... ON CONFLICT DO UPDATE": (
                f"INSERT INTO {table} SELECT * FROM {table} WHERE {pk} = ? "
                f"ON CONFLICT ({pk}) DO UPDATE SET {column} = "
                f"{expression.replace(column, 'EXCLUDED.' + column, 1)}", (row[pk],)),
            "MERGE ... UPDATE": (
                f"MERGE INTO {table} AS t USING (SELECT {pk} FROM {table} WHERE {pk} = ?) AS s "
                f"ON t.{pk} = s.{pk} WHEN MATCHED THEN UPDATE SET {column} = "
                f"{expression.replace(column, 't.' + column, 1)}", (row[pk],)),
            "MERGE ... DELETE": (
                f"MERGE INTO {table} AS t USING (SELECT {pk} FROM {table} WHERE {pk} = ?) AS s "
                f"ON t.{pk} = s.{pk} WHEN MATCHED THEN DELETE", (row[pk],)),
            "TRUNCATE": (f"TRUNCATE {table} CASCADE", ()),
        }
    return attempts


def _outcomes(outsider: Outsider, table: str, attempts: dict, refused=REFUSED) -> dict:
    """Name -> "refused" when the statement failed for the protection's reason, else what
    happened."""
    outcome = {}
    for name, (statement, parameters) in attempts.items():
        try:
            outsider.execute(statement, parameters)
        except Exception as error:  # noqa: BLE001 (sqlite3 and psycopg errors alike)
            outcome[name] = "refused" if any(r in str(error) for r in refused) else str(error)
        else:
            outcome[name] = "ACCEPTED"
    return outcome


@pytest.mark.demo_data
@pytest.mark.parametrize("table", PROTECTED)
def test_no_statement_changes_a_protected_row(app, session, backend, table):
    keys = unique_keys(db.engine, table)
    with Outsider(db.engine.url) as outsider:
        row = _target(outsider, table)
        column = _column(table, row, keys)
        count = outsider.rows(f"SELECT count(*) FROM {table}")
        pk = keys[0].columns[0]
        met = frozenset(key for key in keys if key.where and outsider.rows(
            f"SELECT 1 FROM {table} WHERE {pk} = ? AND ({key.where})", (row[pk],)))
        attempts = _attempts(backend, table, row, keys, column, met)
        outcome = _outcomes(outsider, table, attempts)
        assert outcome == dict.fromkeys(attempts, "refused")
        assert outsider.rows(f"SELECT count(*) FROM {table}") == count
        assert outsider.row(f"SELECT * FROM {table} WHERE {pk} = ?", (row[pk],)) == row
    session.expire_all()
    assert problems(session) == []


def test_every_table_with_append_only_triggers_is_listed(app, backend):
    """The migrations' append-only triggers and core.protection's list name the same tables, so
    the tamper attempts and the application role's grants cover every one of them."""
    if backend != "sqlite":
        pytest.skip("read from SQLite's schema; the same migrations make PostgreSQL's")
    with Outsider(db.engine.url) as outsider:
        triggered = {table for (table,) in outsider.rows(
            "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
            "AND sql LIKE '%is append-only%'")}
    assert triggered == set(APPEND_ONLY_TABLES)


def test_every_protected_table_is_covered_by_the_tamper_attempts(app):
    """A table listed in core.protection exists, has a key, and has a column to try to change."""
    tables = set(inspect(db.engine).get_table_names())
    assert set(PROTECTED) <= tables
    assert all(unique_keys(db.engine, table) for table in PROTECTED)


# --- the application's own role on PostgreSQL --------------------------------------------------

@pytest.fixture
def app_role(app, backend):
    """A login role made the way production's is (``backoffice db grant-app-role``)."""
    if backend != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    role = f"bo_app_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
    result = app.test_cli_runner().invoke(args=["db", "grant-app-role", role])
    assert result.exit_code == 0, result.output
    yield role
    database = db.engine.url.database
    db.session.remove()
    db.engine.dispose()
    with Outsider(pg_url_for(database)) as owner:
        owner.execute(f'DROP OWNED BY "{role}"')
    with _admin_connection() as admin:
        admin.execute(f'DROP ROLE "{role}"')


def _triggers(outsider: Outsider, table: str) -> list[str]:
    return [name for (name,) in outsider.rows(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal", (table,))]


@pytest.mark.demo_data
def test_the_application_role_can_neither_change_the_books_nor_their_triggers(app, app_role):
    denied = (*REFUSED, "permission denied", "must be owner")
    with Outsider(db.engine.url) as owner, Outsider(db.engine.url, user=app_role) as outsider:
        assert outsider.rows("SELECT current_user") == [(app_role,)]
        for table in PROTECTED:
            keys = unique_keys(db.engine, table)
            row = _target(owner, table)
            attempts = _attempts("postgresql", table, row, keys, _column(table, row, keys))
            attempts |= {
                "ALTER TABLE ... DISABLE TRIGGER": (f"ALTER TABLE {table} DISABLE TRIGGER ALL", ()),
                "ALTER TABLE ... ADD COLUMN": (f"ALTER TABLE {table} ADD COLUMN x integer", ()),
                "DROP TABLE": (f"DROP TABLE {table} CASCADE", ()),
                "SET session_replication_role": ("SET session_replication_role = replica", ()),
                "CREATE OR REPLACE the trigger function": (
                    "CREATE OR REPLACE FUNCTION backoffice_refuse_change() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$", ()),
            }
            for trigger in _triggers(owner, table):
                attempts[f"DROP TRIGGER {trigger}"] = (f"DROP TRIGGER {trigger} ON {table}", ())
                attempts[f"ALTER TABLE ... DISABLE TRIGGER {trigger}"] = (
                    f"ALTER TABLE {table} DISABLE TRIGGER {trigger}", ())
            assert _outcomes(outsider, table, attempts, denied) == dict.fromkeys(attempts, "refused")
            assert len(_triggers(owner, table)) >= 2
    assert problems(db.session) == []


def test_the_application_works_as_its_role(app, app_role, tmp_path):
    """The grants are enough for the application: it posts (and links) an entry as that role."""
    url = pg_url_for(db.engine.url.database).replace("postgres@", f"{app_role}@", 1)
    assert PG_URL and app_role in url
    role_app = create_app(base_config(url) | {"UPLOAD_FOLDER": str(tmp_path)})
    with role_app.app_context():
        session = db.session
        with transaction():
            entry = services.post_entry(
                session, booking_date=date(2026, 3, 2), description="Posted as the app role",
                actor=None, lines=[
                    services.Line(services.account_by_code(session, "6100"),
                                  services.general_fund(session), Money(250, "EUR")),
                    services.Line(services.account_by_role(session, "bank"),
                                  services.general_fund(session), Money(-250, "EUR"))])
        assert entry.id is not None
        assert problems(session) == []
        result = role_app.test_cli_runner().invoke(args=["ledger", "verify"])
        assert result.exit_code == 0, result.output
        session.remove()
        db.engine.dispose()
