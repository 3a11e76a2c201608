"""Returned transfers: a bank line's return reason (``bank_lines.return_reason``) and the
returns of executed payout transfers (``payout_returns``, one active return per transfer).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.add_column("bank_lines", sa.Column("return_reason", sa.String(length=35),
                                          server_default="", nullable=False))
    op.create_table(
        "payout_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("reason_code", sa.String(length=35), nullable=False),
        sa.Column("bank_match_id", sa.BigInteger(), nullable=True),
        sa.Column("entry_id", BIG_KEY, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("undo_entry_id", BIG_KEY, nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payout_returns_amount_positive")),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"],
                                name=op.f("fk_payout_returns_entry_id_journal_entries")),
        sa.ForeignKeyConstraint(["item_id"], ["payout_items.id"],
                                name=op.f("fk_payout_returns_item_id_payout_items")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_payout_returns_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["undo_entry_id"], ["journal_entries.id"],
                                name=op.f("fk_payout_returns_undo_entry_id_journal_entries")),
        sa.ForeignKeyConstraint(["undone_by_id"], ["users.id"],
                                name=op.f("fk_payout_returns_undone_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_returns")),
    )
    op.create_index("ix_payout_returns_item_id", "payout_returns", ["item_id"])
    op.create_index("uq_payout_returns_active_item", "payout_returns", ["item_id"], unique=True,
                    sqlite_where=sa.text("undone_at IS NULL"),
                    postgresql_where=sa.text("undone_at IS NULL"))


def downgrade():
    op.drop_index("uq_payout_returns_active_item", table_name="payout_returns")
    op.drop_index("ix_payout_returns_item_id", table_name="payout_returns")
    op.drop_table("payout_returns")
    if op.get_bind().dialect.name == "sqlite":  # no copy of the table (others refer to it)
        op.execute("ALTER TABLE bank_lines DROP COLUMN return_reason")
    else:
        op.drop_column("bank_lines", "return_reason")
