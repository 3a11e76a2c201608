"""Board: a reported audit never changes, whoever connects (the service refused it already):
triggers refuse UPDATE and DELETE of a reported audit (``board_audits``) and UPDATE, DELETE and
INSERT of the items of its checklist (``board_audit_items``), TRUNCATE on PostgreSQL, and SQLite's
REPLACE of their keys. An open audit changes as before, and reporting it is allowed (the stored
row is still open then).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-05
"""
from alembic import op

from backoffice.core import protection

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

REPORTED = ("EXISTS (SELECT 1 FROM board_audits AS a WHERE a.id = {row}.audit_id "
            "AND a.status = 'reported')")
WORDS = "a reported audit never changes"


def upgrade():
    protection.freeze(op, "board_audits", "{row}.status = 'reported'", WORDS)
    protection.freeze(op, "board_audit_items", REPORTED, WORDS, check_new=True)


def downgrade():
    protection.unfreeze(op, "board_audit_items")
    protection.unfreeze(op, "board_audits")
