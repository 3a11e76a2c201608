"""Ledger: two indexes for a chart of thousands of accounts (issue 17).

- The cached per-account totals get an index that starts with the account, so that the balances
  of a few accounts (one account's ledger, a page of the chart) read those accounts' rows only;
  the primary key starts with the period and made them read every account's.
- The postings get (account, date, entry): the journal filtered by an account reads that
  account's latest entries from the index in journal order, a page at a time, instead of every
  posting of the account.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-05
"""
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_ledger_account_totals_account", "ledger_account_totals",
                    ["account_id", "grain", "period_start"])
    op.create_index("ix_postings_account_entry", "postings",
                    ["account_id", "booking_date", "entry_id"])


def downgrade():
    op.drop_index("ix_postings_account_entry", table_name="postings")
    op.drop_index("ix_ledger_account_totals_account", table_name="ledger_account_totals")
