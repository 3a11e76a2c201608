"""Invoice payments can be taken back: a ``reversal`` row names the payment it reverses
(``invoice_payments.reverses_id``, unique), for bank matches that are undone. The table stays
append-only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FK = "fk_invoice_payments_reverses_id_invoice_payments"
INDEX = "uq_invoice_payments_reverses_id"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN keeps the table (and its append-only triggers); batch mode would copy it
        # and lose them.
        op.execute(f"ALTER TABLE invoice_payments ADD COLUMN reverses_id INTEGER "
                   f"CONSTRAINT {FK} REFERENCES invoice_payments (id)")
    else:
        op.add_column("invoice_payments", sa.Column("reverses_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "invoice_payments", "invoice_payments", ["reverses_id"], ["id"])
    op.create_index(INDEX, "invoice_payments", ["reverses_id"], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name="invoice_payments")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE invoice_payments DROP COLUMN reverses_id")
    else:
        op.drop_constraint(FK, "invoice_payments", type_="foreignkey")
        op.drop_column("invoice_payments", "reverses_id")
