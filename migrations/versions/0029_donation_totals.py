"""Donations: cached totals of booked donations per fund, month, currency, channel and recurring
or not (``backoffice/donations/totals.py``), filled from the donations already booked.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

CHANNELS = ("stripe", "bank", "cash", "cheque", "waiver", "in_kind")


def upgrade():
    op.create_table(
        "donation_totals",
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.Enum(*CHANNELS, name="donation_total_channel", native_enum=False,
                                     create_constraint=True, length=20), nullable=False),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["fund_id"], ["funds.id"],
                                name=op.f("fk_donation_totals_fund_id_funds")),
        sa.PrimaryKeyConstraint("fund_id", "month", "currency", "channel", "recurring",
                                name=op.f("pk_donation_totals")),
    )
    op.create_index("ix_donation_totals_month", "donation_totals", ["month", "fund_id"])
    # Filled from the donations booked so far, the month as a Python date (a CAST to DATE is a
    # number on SQLite).
    rows = op.get_bind().execute(sa.text(
        "SELECT fund_id, substr(CAST(donated_on AS VARCHAR(10)), 1, 7), currency, channel,"
        " recurring_plan_id IS NOT NULL, count(*), sum(amount) FROM donations"
        " WHERE status = 'booked' GROUP BY fund_id, substr(CAST(donated_on AS VARCHAR(10)), 1, 7),"
        " currency, channel, recurring_plan_id IS NOT NULL"))
    table = sa.table("donation_totals", sa.column("fund_id", sa.Integer), sa.column("month", sa.Date),
                     sa.column("currency", sa.String), sa.column("channel", sa.String),
                     sa.column("recurring", sa.Boolean), sa.column("count", sa.BigInteger),
                     sa.column("amount", sa.BigInteger))
    op.bulk_insert(table, [
        dict(fund_id=fund, month=date.fromisoformat(f"{month}-01"), currency=currency,
             channel=channel, recurring=bool(recurring), count=count, amount=int(amount))
        for fund, month, currency, channel, recurring, count, amount in rows])


def downgrade():
    op.drop_index("ix_donation_totals_month", table_name="donation_totals")
    op.drop_table("donation_totals")
