"""The DATEV account chosen for a ledger account (the export's mapping; the default is SKR 49).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "datev_accounts",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("datev_account", sa.String(length=9), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_datev_accounts_account_id_accounts")),
        sa.ForeignKeyConstraint(["changed_by_id"], ["users.id"],
                                name=op.f("fk_datev_accounts_changed_by_id_users")),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_datev_accounts")),
    )


def downgrade():
    op.drop_table("datev_accounts")
