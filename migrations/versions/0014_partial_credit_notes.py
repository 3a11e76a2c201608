"""Partial credit notes: an invoice may be credited in part, several times (kind ``credit_note``,
``cancels_id`` naming the invoice; only a full cancellation stays unique per invoice), and a
refund that reopens an invoice gets the treasurer's decision (``invoice_refund_decisions``):
settled by a credit note, or the money is owed again (a refund of money that was not owed —
an overpayment, a cancelled invoice's payment — is recorded as ``returned``).

On SQLite the invoices table is rebuilt to change its constraints (SQLite cannot alter them): the
new table is created from the stored CREATE statement with the three constraints changed, the
rows copied, and the table's indexes and freeze triggers recreated, with foreign keys off while
the tables are swapped. Columns other migrations may have added come along unchanged.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

KIND_OLD = "CHECK (kind IN ('invoice', 'cancellation'))"
KIND_NEW = "CHECK (kind IN ('invoice', 'cancellation', 'credit_note'))"
LINK_OLD = "CHECK ((kind = 'cancellation') = (cancels_id IS NOT NULL))"
LINK_NEW = "CHECK ((kind IN ('cancellation', 'credit_note')) = (cancels_id IS NOT NULL))"
UNIQUE = "CONSTRAINT uq_invoices_cancels_id UNIQUE (cancels_id)"
ONE_CANCELLATION = "uq_invoices_cancels_id"


def _sqlite_rebuild(changes: list[tuple[str, str]]) -> None:
    bind = op.get_bind()
    driver = bind.connection.driver_connection
    if driver.in_transaction:
        driver.commit()  # PRAGMA foreign_keys takes effect outside a transaction only
    driver.execute("PRAGMA foreign_keys=OFF")
    driver.execute("PRAGMA legacy_alter_table=ON")  # the rename leaves other tables' SQL alone
    try:
        create = driver.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                "AND name = 'invoices'").fetchone()[0]
        for old, new in changes:
            if old not in create:
                raise RuntimeError(f"invoices: {old!r} not found in its CREATE statement")
            create = create.replace(old, new)
        extras = [row[0] for row in driver.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'invoices' AND sql IS NOT NULL "
            "AND type IN ('index', 'trigger') ORDER BY type, name")]
        columns = ", ".join(row[1] for row in driver.execute("PRAGMA table_info(invoices)"))
        driver.execute("BEGIN")
        driver.execute(re.sub(r'^CREATE TABLE ("invoices"|invoices)', "CREATE TABLE invoices_rebuilt",
                              create, count=1))
        driver.execute(f"INSERT INTO invoices_rebuilt ({columns}) SELECT {columns} FROM invoices")
        driver.execute("DROP TABLE invoices")
        driver.execute("ALTER TABLE invoices_rebuilt RENAME TO invoices")
        for sql in extras:
            driver.execute(sql)
        problems = driver.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
        driver.commit()
    except Exception:
        driver.rollback()
        raise
    finally:
        driver.execute("PRAGMA legacy_alter_table=OFF")
        driver.execute("PRAGMA foreign_keys=ON")


def _swap_constraints(kind: str, link: str, unique: bool) -> None:
    op.drop_constraint(op.f("ck_invoices_kind"), "invoices", type_="check")
    op.create_check_constraint(op.f("ck_invoices_kind"), "invoices", kind[len("CHECK ("):-1])
    op.drop_constraint(op.f("ck_invoices_cancellation_link"), "invoices", type_="check")
    op.create_check_constraint(op.f("ck_invoices_cancellation_link"), "invoices",
                               link[len("CHECK ("):-1])
    if unique:
        op.drop_index(ONE_CANCELLATION, table_name="invoices")
        op.create_unique_constraint(op.f(ONE_CANCELLATION), "invoices", ["cancels_id"])
    else:
        op.drop_constraint(op.f(ONE_CANCELLATION), "invoices", type_="unique")
        _one_cancellation_index()


def _one_cancellation_index() -> None:
    op.create_index(ONE_CANCELLATION, "invoices", ["cancels_id"], unique=True,
                    sqlite_where=sa.text("kind = 'cancellation'"),
                    postgresql_where=sa.text("kind = 'cancellation'"))


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild([(KIND_OLD, KIND_NEW), (LINK_OLD, LINK_NEW), (UNIQUE + ", ", "")])
        _one_cancellation_index()
    else:
        _swap_constraints(KIND_NEW, LINK_NEW, unique=False)
    op.create_table(
        "invoice_refund_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("decision IN ('credit_note', 'owed_again', 'returned')",
                           name=op.f("ck_invoice_refund_decisions_decision")),
        sa.CheckConstraint("(decision = 'credit_note') = (credit_note_id IS NOT NULL)",
                           name=op.f("ck_invoice_refund_decisions_credit_note_named")),
        sa.ForeignKeyConstraint(["payment_id"], ["invoice_payments.id"],
                                name=op.f("fk_invoice_refund_decisions_payment_id_invoice_payments")),
        sa.ForeignKeyConstraint(["credit_note_id"], ["invoices.id"],
                                name=op.f("fk_invoice_refund_decisions_credit_note_id_invoices")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_invoice_refund_decisions_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_refund_decisions")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_invoice_refund_decisions_payment_id")),
        sa.UniqueConstraint("credit_note_id",
                            name=op.f("uq_invoice_refund_decisions_credit_note_id")),
    )


def downgrade():
    op.drop_table("invoice_refund_decisions")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(ONE_CANCELLATION, table_name="invoices")
        _sqlite_rebuild([(KIND_NEW, KIND_OLD), (LINK_NEW, LINK_OLD),
                         ("CONSTRAINT uq_invoices_number UNIQUE",
                          UNIQUE + ", \n\tCONSTRAINT uq_invoices_number UNIQUE")])
    else:
        _swap_constraints(KIND_OLD, LINK_OLD, unique=True)
