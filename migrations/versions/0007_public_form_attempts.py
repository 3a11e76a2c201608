"""Public forms: the rate-limit counters of the grants forms serve the join form too, so their
table loses its grants prefix (the counters are copied).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = "at, kind, address, email"


def _create(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(f"ix_{name}_address", ["kind", "address", "at"], unique=False)
        batch_op.create_index(f"ix_{name}_email", ["kind", "email", "at"], unique=False)


def _move(source: str, target: str) -> None:
    _create(target)
    op.execute(f"INSERT INTO {target} ({COLUMNS}) SELECT {COLUMNS} FROM {source}")
    op.drop_table(source)


def upgrade():
    _move("grant_form_attempts", "public_form_attempts")


def downgrade():
    _move("public_form_attempts", "grant_form_attempts")
