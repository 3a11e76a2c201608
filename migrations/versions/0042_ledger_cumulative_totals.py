"""Ledger: cumulative totals (grain C) up to a horizon (issue 17).

Each totals table gets, per key, a row per calendar year holding everything posted up to that
year's end, for the years up to the horizon (``ledger_totals_horizon``, the year before this
one): a balance then reads one such row and the current year's rows, a long range two, however
many years the books hold. The rows are carried forward from the year rows here, as
``totals.advance`` does.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-05
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

#: Each totals table and its key columns (besides grain and period).
TABLES = {"ledger_account_totals": ("account_id", "currency"),
          "ledger_fund_totals": ("fund_id", "account_id", "currency"),
          "ledger_fund_balance_totals": ("fund_id", "currency")}


def _table(name: str, keys: tuple[str, ...]) -> sa.TableClause:
    return sa.table(name, sa.column("grain", sa.String), sa.column("period_start", sa.Date),
                    sa.column("amount", sa.BigInteger), *(sa.column(key) for key in keys))


def upgrade():
    horizon = op.create_table(
        "ledger_totals_horizon",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("last_year", sa.Date(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_ledger_totals_horizon_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_totals_horizon")))
    last = date(date.today().year - 1, 1, 1)
    op.bulk_insert(horizon, [{"id": 1, "last_year": last}])
    bind = op.get_bind()
    years = _table("ledger_account_totals", ())
    first = bind.scalar(sa.select(sa.func.min(years.c.period_start)).where(years.c.grain == "Y"))
    if first is None:
        return
    if isinstance(first, str):  # SQLite's min() of a date column
        first = date.fromisoformat(first)
    for year in range(first.year, last.year + 1):
        for name, keys in TABLES.items():
            table = _table(name, keys)
            key_columns = [table.c[key] for key in keys]
            rows = sa.union_all(
                sa.select(*key_columns, table.c.amount).where(
                    table.c.grain == "C",
                    table.c.period_start == date(year - 1, 1, 1) if year > 1 else sa.false()),
                sa.select(*key_columns, table.c.amount).where(
                    table.c.grain == "Y", table.c.period_start == date(year, 1, 1))).subquery()
            carried = sa.select(*(rows.c[key] for key in keys), sa.literal("C"),
                                sa.literal(date(year, 1, 1), sa.Date),
                                sa.func.sum(rows.c.amount)).group_by(*(rows.c[key] for key in keys))
            bind.execute(table.insert().from_select([*keys, "grain", "period_start", "amount"],
                                                    carried))


def downgrade():
    for name, keys in TABLES.items():
        table = _table(name, keys)
        op.execute(table.delete().where(table.c.grain == "C"))
    op.drop_table("ledger_totals_horizon")
