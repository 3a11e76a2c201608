"""Donations, step 2: a donation checkout's token (how a subscription's events find the checkout
it came from), whether the donor was told of a failed recurring payment, and expense claims that
their claimant waived (status ``waived``: settled without a payout, recorded as a donation).

SQLite changes a CHECK constraint only by copying the table, and other tables refer to
``expense_claims``: the copy runs with foreign keys off (as 0008 does), and ``PRAGMA
foreign_key_check`` must find nothing before they are on again.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

CHECK = "ck_expense_claims_claim_status"
BEFORE = ("submitted", "approved", "rejected", "paid")
AFTER = (*BEFORE, "waived")


def _claim_statuses(statuses: tuple[str, ...]) -> None:
    condition = "status IN ({})".format(", ".join(f"'{s}'" for s in statuses))
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(CHECK), "expense_claims", type_="check")
        op.create_check_constraint(op.f(CHECK), "expense_claims", condition)
        return
    raw = bind.connection.dbapi_connection
    if raw.in_transaction:
        raw.commit()
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("expense_claims", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f(CHECK), type_="check")
            batch_op.create_check_constraint(op.f(CHECK), condition)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by copying expense_claims: {broken[:5]}")
        raw.commit()
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def upgrade():
    with op.batch_alter_table("donation_checkouts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_donation_checkouts_token"), ["token"])
    with op.batch_alter_table("recurring_failures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("told", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    _claim_statuses(AFTER)


def downgrade():
    op.execute("UPDATE expense_claims SET status = 'paid' WHERE status = 'waived'")
    _claim_statuses(BEFORE)
    with op.batch_alter_table("recurring_failures", schema=None) as batch_op:
        batch_op.drop_column("told")
    with op.batch_alter_table("donation_checkouts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_donation_checkouts_token"), type_="unique")
        batch_op.drop_column("token")
