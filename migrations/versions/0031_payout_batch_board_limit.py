"""Payout batches keep the board's limit in force when they were made
(``BOARD_PAYOUT_BATCH_LIMIT``, minor units): above it the batch is paid only under a passed board
resolution naming it. Batches made before carry none.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("payout_batches", sa.Column("board_limit", sa.BigInteger(), nullable=True))


def downgrade():
    op.drop_column("payout_batches", "board_limit")  # SQLite 3.35+ drops a column in place
