"""Grants: board members' confirmations of the board resolution that an award above the
programme's threshold needs (two of them, until board records exist).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "grant_board_confirmations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0",
                           name=op.f("ck_grant_board_confirmations_amount_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["grant_applications.id"], ondelete="CASCADE",
            name=op.f("fk_grant_board_confirmations_application_id_grant_applications")),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"],
                                name=op.f("fk_grant_board_confirmations_member_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grant_board_confirmations")),
        sa.UniqueConstraint("application_id", "member_id", "reference",
                            name="uq_grant_board_confirmations_member"),
    )
    with op.batch_alter_table("grant_board_confirmations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grant_board_confirmations_application_id"),
                              ["application_id"], unique=False)


def downgrade():
    with op.batch_alter_table("grant_board_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grant_board_confirmations_application_id"))
    op.drop_table("grant_board_confirmations")
