"""Settings an admin changes in the browser, stored over the configuration (issue 18).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["changed_by_id"], ["users.id"],
                                name=op.f("fk_stored_settings_changed_by_id_users")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stored_settings")),
    )


def downgrade():
    op.drop_table("stored_settings")
