"""Donations: refunds for the treasurer. A Stripe refund that moved money but is not (or no
longer) booked as it happened is marked ``for_treasurer`` (a refused refund; a booked refund that
failed after it reversed the donation), and waits on the start page until the treasurer records,
with a note, how it was handled (``donation_refund_handlings``, one row per refund, written once).
Refused refunds recorded before this revision are marked too.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("donation_refunds", sa.Column("for_treasurer", sa.Boolean(), nullable=False,
                                                server_default=sa.false()))
    refunds = sa.table("donation_refunds", sa.column("status", sa.String),
                       sa.column("for_treasurer", sa.Boolean))
    op.execute(refunds.update().where(refunds.c.status == "refused")
               .values(for_treasurer=True))
    op.create_index(op.f("ix_donation_refunds_for_treasurer"), "donation_refunds",
                    ["for_treasurer"])
    op.create_table(
        "donation_refund_handlings",
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["donation_refunds.id"],
            name=op.f("fk_donation_refund_handlings_refund_id_donation_refunds")),
        sa.ForeignKeyConstraint(["handled_by_id"], ["users.id"],
                                name=op.f("fk_donation_refund_handlings_handled_by_id_users")),
        sa.PrimaryKeyConstraint("refund_id", name=op.f("pk_donation_refund_handlings")),
    )


def downgrade():
    op.drop_table("donation_refund_handlings")
    op.drop_index(op.f("ix_donation_refunds_for_treasurer"), table_name="donation_refunds")
    op.drop_column("donation_refunds", "for_treasurer")  # SQLite 3.35+ drops it in place
