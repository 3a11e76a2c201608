"""Donations: how the treasurer handled a refund (``donation_refund_handlings``) is written once
and never changed: the table joins the append-only tables (triggers refuse UPDATE, DELETE,
TRUNCATE on PostgreSQL, and SQLite's REPLACE of a stored refund's handling).

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-05
"""
from alembic import op

from backoffice.core import protection

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

TABLE = "donation_refund_handlings"


def upgrade():
    protection.protect(op, TABLE)


def downgrade():
    protection.unprotect(op, TABLE)
