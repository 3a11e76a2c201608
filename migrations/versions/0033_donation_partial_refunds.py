"""Donations: partial refunds. Each Stripe refund of a donation is recorded once
(``donation_refunds``, unique by the refund's id); a donation keeps what was given back in
part (``refunded``, never below zero nor above its amount), so it counts for what is left.

SQLite adds the column with its CHECK in one ALTER TABLE (a column constraint may name other
columns there); copying ``donations`` would touch the receipts' triggers and foreign keys.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

CHECK = "ck_donations_refunded_within_amount"
KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE donations ADD COLUMN refunded BIGINT DEFAULT '0' NOT NULL "
                   f"CONSTRAINT {CHECK} CHECK (refunded >= 0 AND refunded <= amount)")
    else:
        op.add_column("donations", sa.Column("refunded", sa.BigInteger(), nullable=False,
                                             server_default="0"))
        op.create_check_constraint(CHECK, "donations", "refunded >= 0 AND refunded <= amount")
    op.create_table(
        "donation_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donation_id", KEY, nullable=False),
        sa.Column("stripe_refund", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.Enum("booked", "refused", "failed", name="refund_status",
                                    native_enum=False, create_constraint=True, length=20),
                  nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("journal_entry_id", KEY, nullable=True),
        sa.Column("reversal_entry_id", KEY, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_donation_refunds_amount_positive")),
        sa.ForeignKeyConstraint(["donation_id"], ["donations.id"],
                                name=op.f("fk_donation_refunds_donation_id_donations")),
        sa.ForeignKeyConstraint(["journal_entry_id"], ["journal_entries.id"],
                                name=op.f("fk_donation_refunds_journal_entry_id_journal_entries")),
        sa.ForeignKeyConstraint(["reversal_entry_id"], ["journal_entries.id"],
                                name=op.f("fk_donation_refunds_reversal_entry_id_journal_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donation_refunds")),
        sa.UniqueConstraint("stripe_refund", name=op.f("uq_donation_refunds_stripe_refund")),
    )
    op.create_index(op.f("ix_donation_refunds_donation_id"), "donation_refunds",
                    ["donation_id"])


def downgrade():
    op.drop_index(op.f("ix_donation_refunds_donation_id"), table_name="donation_refunds")
    op.drop_table("donation_refunds")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE donations DROP COLUMN refunded")
    else:
        op.drop_constraint(CHECK, "donations", type_="check")
        op.drop_column("donations", "refunded")
