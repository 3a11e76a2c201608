"""What the database itself refuses to change, whoever connects: the books are append-only.

``APPEND_ONLY_TABLES`` never see an UPDATE, DELETE or TRUNCATE; ``FROZEN_ROWS`` are tables whose
rows freeze once a condition holds (an issued invoice and its lines); ``freeze`` makes the
triggers of such a table (approved minutes and closed votes, migration 0022; a reported audit and
its checklist, migration 0038, tested in ``tests/board``). A migration that creates a
new append-only table adds its name here and runs ``protect(op, "the_table")``; the tamper tests
(``tests/core/test_tampering.py``) then try every way of changing it on both databases.

Triggers, one set per table (``protect``):

- UPDATE and DELETE raise (SQLite and PostgreSQL); TRUNCATE raises (PostgreSQL).
- SQLite's ``REPLACE INTO`` / ``INSERT OR REPLACE`` deletes a conflicting row *without* firing the
  DELETE triggers (unless ``PRAGMA recursive_triggers``, which no other client sets) and then
  inserts: a BEFORE INSERT trigger refuses any row that has the key of a stored row, for every
  unique key of the table (``refuse_replace``). PostgreSQL has no REPLACE, and
  ``INSERT ... ON CONFLICT DO UPDATE`` fires the UPDATE trigger.

Triggers stop the application and anybody using its connection; the table owner (who can drop
triggers) is stopped by the hash chain (``core.chain``), which makes any change visible to
``backoffice ledger verify``. In production the application connects as a role that owns nothing
(``app_role_grants``; ``backoffice db grant-app-role``), so it cannot alter or drop the triggers.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.operations import Operations
    from sqlalchemy import Connection

#: Rows are only ever inserted.
APPEND_ONLY_TABLES: tuple[str, ...] = (
    "journal_entries",
    "postings",
    "audit_log",
    "integrity_chain",
    "invoice_payments",
    "invoice_dispatches",
    "sponsor_credits",
    "board_minutes_files",
    "board_addenda",
    "board_documents",
    "budget_lines",
    "report_packs",
    "donation_refund_handlings",
)

#: Rows freeze once the condition (SQL over the stored row, named ``{row}``) holds; the UPDATE and
#: DELETE triggers of these tables are written in migration 0004.
FROZEN_ROWS: dict[str, str] = {
    "invoices": "{row}.status <> 'draft'",
    "invoice_lines": "(SELECT status FROM invoices WHERE id = {row}.invoice_id) <> 'draft'",
}

#: Part of the message of a refused insert whose key exists, so that ``core.db.transaction`` tells
#: it from other integrity errors (it is what a unique constraint would have said: a conflict).
KEY_EXISTS = "a row with the same key exists"


def _append_only(table: str, operation: str) -> str:
    return f"{table} is append-only: {operation} refused"


@dataclass(frozen=True)
class Key:
    """A unique key: its columns, and the predicate of a partial unique index (SQL, or None)."""

    columns: tuple[str, ...]
    where: str | None = None


def unique_keys(bind: Connection, table: str) -> list[Key]:
    """The table's primary key, unique constraints and unique indexes (the primary key first)."""
    inspector = sa.inspect(bind)
    keys = [Key(tuple(inspector.get_pk_constraint(table)["constrained_columns"]))]
    keys += [Key(tuple(c["column_names"])) for c in inspector.get_unique_constraints(table)]
    for index in inspector.get_indexes(table):
        if index["unique"]:
            where = next((str(v) for k, v in index.get("dialect_options", {}).items()
                          if k.endswith("_where") and v is not None), None)
            keys.append(Key(tuple(index["column_names"]), where))
    unique: list[Key] = []
    for key in keys:  # a key that contains another key conflicts only where that one does
        if key.columns and not any(other.where is None and set(other.columns) <= set(key.columns)
                                   for other in unique):
            unique.append(key)
    return unique


def refuse_replace_sql(table: str, keys: Iterable[Key], columns: Iterable[str],
                       frozen: str | None = None) -> str:
    """SQLite: the BEFORE INSERT trigger that refuses a row whose key is stored already (for
    ``FROZEN_ROWS``: whose key is that of a frozen row). A partial unique index conflicts only
    where both rows meet its predicate: on the stored row it reads the columns of ``stored``, on
    the new one those of a one-row table made of NEW's values."""
    new_row = ", ".join(f"NEW.{column} AS {column}" for column in columns)
    conditions = []
    for key in keys:
        match = " AND ".join(f"stored.{column} = NEW.{column}" for column in key.columns)
        if key.where:
            match += f" AND ({key.where}) AND EXISTS (SELECT 1 FROM (SELECT {new_row}) " \
                     f"WHERE {key.where})"
        if frozen:
            match += f" AND {frozen.format(row='stored')}"
        conditions.append(f"EXISTS (SELECT 1 FROM {table} AS stored WHERE {match})")
    return (f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN {' OR '.join(conditions)} "
            f"BEGIN SELECT RAISE(ABORT, '{table}: {KEY_EXISTS} (REPLACE refused; "
            f"the stored row never changes)'); END")


def refuse_replace(op: Operations, table: str) -> None:
    """Add the REPLACE guard (SQLite; nothing to do on PostgreSQL) to a table that is append-only
    or has frozen rows."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
    columns = [column["name"] for column in sa.inspect(bind).get_columns(table)]
    op.execute(refuse_replace_sql(table, unique_keys(bind, table), columns, FROZEN_ROWS.get(table)))


def protect(op: Operations, table: str) -> None:
    """Create (or create again) every trigger that makes ``table`` append-only."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        # backoffice_refuse_change() is created by migration 0001.
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION backoffice_refuse_change()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION backoffice_refuse_change()")
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation.lower()}")
        op.execute(f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{_append_only(table, operation)}'); END")
    refuse_replace(op, table)


def freeze(op: Operations, table: str, condition: str, words: str, *,
           check_new: bool = False) -> None:
    """Create (or create again) the triggers that freeze a stored row of ``table`` once
    ``condition`` holds (SQL over the row, named ``{row}``): UPDATE and DELETE of such a row
    raise, and so does an INSERT whose row meets it when ``check_new`` (a row added to something
    frozen); TRUNCATE raises (PostgreSQL) and SQLite's REPLACE of a frozen row's key too. A row
    may still become frozen by an UPDATE (the condition is read on the stored row)."""
    unfreeze(op, table)
    bind = op.get_bind()
    old, new = condition.format(row="OLD"), condition.format(row="NEW")
    if bind.dialect.name == "postgresql":
        added = f" OR TG_OP <> 'DELETE' AND {new}" if check_new else ""
        op.execute(f"""
            CREATE FUNCTION {table}_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'INSERT' AND {old}{added} THEN
                    RAISE EXCEPTION '{table}: {words}: % refused', TG_OP;
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END $$""")
        events = "INSERT OR UPDATE OR DELETE" if check_new else "UPDATE OR DELETE"
        op.execute(f"CREATE TRIGGER {table}_frozen BEFORE {events} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_frozen()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION backoffice_refuse_change()")
        return
    cases = [("UPDATE", f"{old} OR {new}" if check_new else old), ("DELETE", old)]
    if check_new:
        cases.append(("INSERT", new))
    for operation, when in cases:
        op.execute(f"CREATE TRIGGER {table}_frozen_{operation.lower()} BEFORE {operation} "
                   f"ON {table} WHEN {when} BEGIN SELECT RAISE(ABORT, '{table}: {words}: "
                   f"{operation} refused'); END")
    columns = [column["name"] for column in sa.inspect(bind).get_columns(table)]
    op.execute(refuse_replace_sql(table, unique_keys(bind, table), columns, condition))


def unfreeze(op: Operations, table: str) -> None:
    """Drop what ``freeze`` created."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_frozen()")
        return
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen_{name}")
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")


def unprotect(op: Operations, table: str) -> None:
    """Drop what ``protect`` created (for a migration's downgrade)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        return
    for name in ("update", "delete", "replace"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{name}")


# --- the application's database role (PostgreSQL) ---------------------------------------------

def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def app_role_grants(tables: Iterable[str], role: str) -> list[str]:
    """The statements that give ``role`` what the application needs and nothing more: SELECT and
    INSERT on the append-only tables, SELECT, INSERT, UPDATE and DELETE on the others, read on
    ``alembic_version``; no TRUNCATE, no ownership (so no ALTER TABLE, no DROP TRIGGER).

    Run them as the owner of the tables after every ``db upgrade`` (new tables need grants)."""
    role = _quote(role)
    statements = [f"GRANT USAGE ON SCHEMA public TO {role}"]
    for table in sorted(tables):
        if table in APPEND_ONLY_TABLES:
            rights = "SELECT, INSERT"
        elif table == "alembic_version":
            rights = "SELECT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        statements += [f"REVOKE ALL ON TABLE {_quote(table)} FROM {role}",
                       f"GRANT {rights} ON TABLE {_quote(table)} TO {role}"]
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    return statements
