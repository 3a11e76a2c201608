"""One IBAN, several currencies: a bank account is unique per (IBAN, currency) instead of per
IBAN, so that a Wise or PayPal account (or a German account with foreign-currency
sub-accounts) keeps one bank account here per currency.

SQLite cannot drop a UNIQUE constraint without copying the table, and other tables refer to
``bank_accounts``: the copy runs with foreign keys off (which SQLite only allows outside a
transaction), and ``PRAGMA foreign_key_check`` must find nothing before they are on again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD = "uq_bank_accounts_iban"
NEW = "uq_bank_accounts_iban_currency"


def _swap(drop: str, create: str, columns: list[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(drop, "bank_accounts", type_="unique")
        op.create_unique_constraint(create, "bank_accounts", columns)
        return
    raw = bind.connection.dbapi_connection
    if raw.in_transaction:
        raw.commit()  # what the earlier revisions did stays done; PRAGMA needs no transaction
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("bank_accounts", recreate="always") as batch_op:
            batch_op.drop_constraint(drop, type_="unique")
            batch_op.create_unique_constraint(create, columns)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by copying bank_accounts: {broken[:5]}")
        raw.commit()
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def upgrade():
    _swap(OLD, NEW, ["iban", "currency"])


def downgrade():
    _swap(NEW, OLD, ["iban"])
