"""Donations: goods or services the donor received in return (quid pro quo), described and
valued in good faith in minor units of the donation's currency, for the US acknowledgment's
disclosure. SQLite adds each column with its CHECK in one ALTER TABLE (as 0033 does).

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

CHECK = "ck_donations_goods_within_amount"
CONDITION = ("goods_value >= 0 AND goods_value <= amount AND (goods_value = 0 OR "
             "goods_description <> '')")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE donations ADD COLUMN goods_description TEXT DEFAULT '' NOT NULL")
        op.execute(f"ALTER TABLE donations ADD COLUMN goods_value BIGINT DEFAULT '0' NOT NULL "
                   f"CONSTRAINT {CHECK} CHECK ({CONDITION})")
        return
    op.add_column("donations", sa.Column("goods_description", sa.Text(), nullable=False,
                                         server_default=""))
    op.add_column("donations", sa.Column("goods_value", sa.BigInteger(), nullable=False,
                                         server_default="0"))
    op.create_check_constraint(CHECK, "donations", CONDITION)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(CHECK, "donations", type_="check")
    op.execute("ALTER TABLE donations DROP COLUMN goods_value")
    op.execute("ALTER TABLE donations DROP COLUMN goods_description")
