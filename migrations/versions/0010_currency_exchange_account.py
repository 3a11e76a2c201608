"""The chart gains the currency exchange account (role ``fx_result``): Stripe payments settled in
another currency than the invoice's book each currency's side of the exchange on it, so its
balances are the realised exchange gains and losses (see ``payments/settlement.py``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CODE, ROLE = "4850", "fx_result"
NAME = "Currency exchange: realised gains and losses"
DESCRIPTION = ("Both sides of every currency exchange (e.g. a USD invoice paid through Stripe "
               "into a EUR balance); its balances valued at one rate are the realised gain or loss.")


def upgrade():
    accounts = sa.table("accounts", sa.column("code"), sa.column("name"), sa.column("type"),
                        sa.column("role"), sa.column("active"), sa.column("description"),
                        sa.column("created_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM accounts WHERE role = :role"), {"role": ROLE}).first():
        return
    code = CODE
    if bind.execute(sa.text("SELECT 1 FROM accounts WHERE code = :code"), {"code": code}).first():
        code = f"{CODE}-FX"  # the treasurer took the code for something else
    op.bulk_insert(accounts, [dict(code=code, name=NAME, type="income", role=ROLE, active=True,
                                   description=DESCRIPTION,
                                   created_at=datetime.now(timezone.utc))])


def downgrade():
    op.execute(sa.text("DELETE FROM accounts WHERE role = :role AND NOT EXISTS "
                       "(SELECT 1 FROM postings WHERE postings.account_id = accounts.id)")
               .bindparams(role=ROLE))
    op.execute(sa.text("UPDATE accounts SET role = NULL WHERE role = :role").bindparams(role=ROLE))
