"""Donations: the per-fund index also carries the id, so that one fund's page of the list
(newest first, keyset on (day, id)) reads its rows in order from the index, without a sort.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04
"""
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_donations_fund_date", table_name="donations")
    op.create_index("ix_donations_fund_date", "donations", ["fund_id", "donated_on", "id"])


def downgrade():
    op.drop_index("ix_donations_fund_date", table_name="donations")
    op.create_index("ix_donations_fund_date", "donations", ["fund_id", "donated_on"])
