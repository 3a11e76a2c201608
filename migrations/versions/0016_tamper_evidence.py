"""Tamper evidence: the hash chain over journal entries and the audit log (``integrity_chain``,
filled for the rows already stored), postings refused for an entry already linked (sealed), and
SQLite's REPLACE refused on every append-only table and on frozen invoices (``core.protection``;
the triggers of ``sponsor_credits`` are made again by its helper, which checks every unique key).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from backoffice.core import chain, protection
from backoffice.ledger import models as _ledger_models  # noqa: F401 (registers entries in the chain)

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: Tables that already had their UPDATE/DELETE triggers before this migration.
GUARDED_BEFORE = ("journal_entries", "postings", "audit_log", "invoice_payments",
                  "invoice_dispatches", "invoices", "invoice_lines")
SEALED = ("postings: entry is linked in the hash chain (posted and sealed): no posting can be "
          "added to it (post a new entry)")


def upgrade():
    op.create_table(
        "integrity_chain",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=False, nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_integrity_chain")),
        sa.UniqueConstraint("table_name", "row_id", name="uq_integrity_chain_row"),
    )
    protection.protect(op, "integrity_chain")
    protection.protect(op, "sponsor_credits")
    for table in GUARDED_BEFORE:
        protection.refuse_replace(op, table)
    _create_seal()
    chain.link_unchained(op.get_bind())


def downgrade():
    _drop_seal()
    if op.get_bind().dialect.name == "sqlite":
        for table in GUARDED_BEFORE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
    protection.unprotect(op, "integrity_chain")
    op.drop_table("integrity_chain")


def _create_seal():
    linked = ("EXISTS (SELECT 1 FROM integrity_chain WHERE table_name = 'journal_entries' "
              "AND row_id = NEW.entry_id)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION backoffice_posting_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {linked} THEN
                    RAISE EXCEPTION '{SEALED}' USING DETAIL = 'entry #' || NEW.entry_id;
                END IF;
                RETURN NEW;
            END $$""")
        op.execute("CREATE TRIGGER postings_sealed BEFORE INSERT ON postings "
                   "FOR EACH ROW EXECUTE FUNCTION backoffice_posting_sealed()")
    else:
        op.execute(f"CREATE TRIGGER postings_sealed BEFORE INSERT ON postings WHEN {linked} "
                   f"BEGIN SELECT RAISE(ABORT, '{SEALED}'); END")


def _drop_seal():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS postings_sealed ON postings")
        op.execute("DROP FUNCTION IF EXISTS backoffice_posting_sealed()")
    else:
        op.execute("DROP TRIGGER IF EXISTS postings_sealed")
