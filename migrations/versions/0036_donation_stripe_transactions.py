"""Donations: Stripe balance transactions booked once besides the payment and its refunds — a
dispute's withdrawal and fee, its reinstatement, a payment's fee that arrived late
(``donation_stripe_transactions``), and which balance transaction a donation was booked by.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.add_column("donations", sa.Column("stripe_balance_transaction", sa.String(length=255),
                                         nullable=True))
    op.create_table(
        "donation_stripe_transactions",
        sa.Column("balance_transaction", sa.String(length=255), nullable=False),
        sa.Column("donation_id", KEY, nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("journal_entry_id", KEY, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["donation_id"], ["donations.id"], name=op.f(
            "fk_donation_stripe_transactions_donation_id_donations")),
        sa.ForeignKeyConstraint(["journal_entry_id"], ["journal_entries.id"], name=op.f(
            "fk_donation_stripe_transactions_journal_entry_id_journal_entries")),
        sa.PrimaryKeyConstraint("balance_transaction",
                                name=op.f("pk_donation_stripe_transactions")),
    )
    op.create_index(op.f("ix_donation_stripe_transactions_donation_id"),
                    "donation_stripe_transactions", ["donation_id"])


def downgrade():
    op.drop_index(op.f("ix_donation_stripe_transactions_donation_id"),
                  table_name="donation_stripe_transactions")
    op.drop_table("donation_stripe_transactions")
    op.execute("ALTER TABLE donations DROP COLUMN stripe_balance_transaction")
