"""Banking: the bank postings still open (issue 17).

``bank_open_postings`` holds a row per posting on a bank account's ledger account (in its
currency) that the reconciliation still offers: not a reversal, not reversed, not in an entry a
match of the account posted or undid, and not confirmed in full by the account's active matches
of the provider the posting is (payout batches and Stripe payouts claim the postings of their
entries, the booked postings the rest); ``open_amount`` is what those matches have not
confirmed; the posting's own entry, fund, date and amount are kept beside it (postings never
change). The queue reads these rows instead of every posting since ``reconcile_from``.
Filled here from the current state as ``banking.open_postings`` computes it (written out, so
that this revision does not change with the application). Two indexes on the matches' entries
let the rows of one posting be computed without reading every match.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

#: The providers claiming their entries' sources, in the order they are connected, and the
#: source kinds each claims (``banking.matching.Provider.claims_sources``).
OWNERS = (("payout_batch", ("payout_batch",)), ("stripe_payout", ("stripe_payout",)))
BOOKED = "posting"


def _rows():
    postings = sa.table("postings", sa.column("id"), sa.column("entry_id"),
                        sa.column("account_id"), sa.column("fund_id"), sa.column("amount"),
                        sa.column("currency"), sa.column("booking_date"))
    entries = sa.table("journal_entries", sa.column("id"), sa.column("source_kind"),
                       sa.column("source_id"), sa.column("reverses_id"))
    reversals = entries.alias("reversals")
    accounts = sa.table("bank_accounts", sa.column("id"), sa.column("ledger_account_id"),
                        sa.column("currency"))
    matches = sa.table("bank_matches", sa.column("id"), sa.column("bank_account_id"),
                       sa.column("journal_entry_id"), sa.column("undo_entry_id"))
    items = sa.table("bank_match_items", sa.column("match_id"), sa.column("provider"),
                     sa.column("posting_id"), sa.column("amount"), sa.column("active"))
    owner = sa.case(*[(sa.and_(entries.c.source_kind.in_(kinds), entries.c.source_id.is_not(None)),
                       sa.literal(name)) for name, kinds in OWNERS], else_=sa.literal(BOOKED))
    confirmed = (sa.select(sa.func.coalesce(sa.func.sum(items.c.amount), 0))
                 .select_from(items.join(matches, matches.c.id == items.c.match_id))
                 .where(matches.c.bank_account_id == accounts.c.id, items.c.active.is_(True),
                        items.c.posting_id == postings.c.id, items.c.provider == owner)
                 .scalar_subquery())
    computed = (
        sa.select(postings.c.id.label("posting_id"), accounts.c.id.label("bank_account_id"),
                  postings.c.entry_id, postings.c.fund_id, postings.c.booking_date,
                  postings.c.amount, (postings.c.amount - confirmed).label("open_amount"))
        .select_from(postings.join(entries, entries.c.id == postings.c.entry_id)
                     .join(accounts, sa.and_(accounts.c.ledger_account_id == postings.c.account_id,
                                             accounts.c.currency == postings.c.currency)))
        .where(entries.c.reverses_id.is_(None),
               ~sa.select(reversals.c.id).where(reversals.c.reverses_id == postings.c.entry_id)
               .exists(),
               ~sa.select(matches.c.id).where(matches.c.bank_account_id == accounts.c.id,
                                              matches.c.journal_entry_id == postings.c.entry_id)
               .exists(),
               ~sa.select(matches.c.id).where(matches.c.bank_account_id == accounts.c.id,
                                              matches.c.undo_entry_id == postings.c.entry_id)
               .exists())
        .subquery("computed"))
    return sa.select(computed).where(computed.c.open_amount != 0)


def upgrade():
    with op.batch_alter_table("bank_matches", schema=None) as batch_op:
        batch_op.create_index("ix_bank_matches_entry", ["journal_entry_id"], unique=False)
        batch_op.create_index("ix_bank_matches_undo_entry", ["undo_entry_id"], unique=False)
    table = op.create_table(
        "bank_open_postings",
        sa.Column("posting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=False, nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("open_amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("open_amount <> 0",
                           name=op.f("ck_bank_open_postings_open_amount_not_zero")),
        sa.ForeignKeyConstraint(["bank_account_id"], ["bank_accounts.id"],
                                name=op.f("fk_bank_open_postings_bank_account_id_bank_accounts")),
        sa.ForeignKeyConstraint(["posting_id"], ["postings.id"],
                                name=op.f("fk_bank_open_postings_posting_id_postings")),
        sa.PrimaryKeyConstraint("posting_id", name=op.f("pk_bank_open_postings")))
    with op.batch_alter_table("bank_open_postings", schema=None) as batch_op:
        batch_op.create_index("ix_bank_open_postings_account", ["bank_account_id", "booking_date"],
                              unique=False)
    op.get_bind().execute(table.insert().from_select(
        ["posting_id", "bank_account_id", "entry_id", "fund_id", "booking_date", "amount",
         "open_amount"], _rows()))


def downgrade():
    op.drop_table("bank_open_postings")
    with op.batch_alter_table("bank_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_matches_undo_entry")
        batch_op.drop_index("ix_bank_matches_entry")
