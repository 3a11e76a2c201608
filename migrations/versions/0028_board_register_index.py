"""Board: the resolution register's order (year, body, number) as an index, so that a page of
the register sorts the index and not every resolution.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04
"""
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_board_resolutions_register", "board_resolutions",
                    ["year", "body_id", "sequence"], unique=False)


def downgrade():
    op.drop_index("ix_board_resolutions_register", table_name="board_resolutions")
