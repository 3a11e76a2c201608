"""The PDF of approved minutes and of each addendum, rendered once and kept with its SHA-256
(``board_minutes_files``, append-only: one row for a meeting's minutes, one per addendum).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from backoffice.core import protection

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

TABLE = "board_minutes_files"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("addendum_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["board_meetings.id"],
                                name=op.f("fk_board_minutes_files_meeting_id_board_meetings")),
        sa.ForeignKeyConstraint(["addendum_id"], ["board_addenda.id"],
                                name=op.f("fk_board_minutes_files_addendum_id_board_addenda")),
        sa.ForeignKeyConstraint(["file_id"], ["stored_files.id"],
                                name=op.f("fk_board_minutes_files_file_id_stored_files")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_minutes_files")),
        sa.UniqueConstraint("addendum_id", name=op.f("uq_board_minutes_files_addendum_id")),
    )
    op.create_index(op.f("ix_board_minutes_files_meeting_id"), TABLE, ["meeting_id"])
    op.create_index("uq_board_minutes_file", TABLE, ["meeting_id"], unique=True,
                    sqlite_where=sa.text("addendum_id IS NULL"),
                    postgresql_where=sa.text("addendum_id IS NULL"))
    protection.protect(op, TABLE)


def downgrade():
    protection.unprotect(op, TABLE)
    op.drop_index("uq_board_minutes_file", table_name=TABLE)
    op.drop_index(op.f("ix_board_minutes_files_meeting_id"), table_name=TABLE)
    op.drop_table(TABLE)
