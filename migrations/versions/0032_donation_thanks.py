"""Donations: when the donor was told of the gift (the thank-you or payment confirmation mail),
so that mail goes out once however often the gift's booking is reported.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("donations", sa.Column("thanked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("donations", "thanked_at")
