"""Bank lines that do not match exactly: sponsor credits (an append-only sub-ledger of the new
liability account 2400 "Sponsor credits", role ``sponsor_credits``), their refunds by SEPA
transfer, and write-offs that wait for a second approver.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sponsor_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sponsor_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payee_name', sa.String(length=70), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('journal_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('batch_ref', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('ready', 'paid')", name=op.f('ck_sponsor_refunds_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_sponsor_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sponsor_refunds_created_by_id_users')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_sponsor_refunds_fund_id_funds')),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_sponsor_refunds_journal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_sponsor_refunds_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sponsor_refunds'))
    )
    with op.batch_alter_table('sponsor_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sponsor_refunds_sponsor_id'), ['sponsor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sponsor_refunds_status'), ['status'], unique=False)

    op.create_table('bank_write_offs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_match_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=30), nullable=False),
    sa.Column('item_key', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('journal_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cancelled')", name=op.f('ck_bank_write_offs_status_known')),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_bank_write_offs_amount_not_zero')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_bank_write_offs_account_id_accounts')),
    sa.ForeignKeyConstraint(['bank_match_id'], ['bank_matches.id'], name=op.f('fk_bank_write_offs_bank_match_id_bank_matches')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_bank_write_offs_decided_by_id_users')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_bank_write_offs_fund_id_funds')),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_bank_write_offs_journal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_bank_write_offs_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_write_offs'))
    )
    with op.batch_alter_table('bank_write_offs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_write_offs_bank_match_id'), ['bank_match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_write_offs_status'), ['status'], unique=False)

    op.create_table('sponsor_credits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sponsor_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('bank_match_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('journal_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('overpayment', 'applied', 'refund', 'reversal')", name=op.f('ck_sponsor_credits_kind')),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_sponsor_credits_amount_not_zero')),
    sa.ForeignKeyConstraint(['bank_match_id'], ['bank_matches.id'], name=op.f('fk_sponsor_credits_bank_match_id_bank_matches')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sponsor_credits_created_by_id_users')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_sponsor_credits_fund_id_funds')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_sponsor_credits_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_sponsor_credits_journal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['refund_id'], ['sponsor_refunds.id'], name=op.f('fk_sponsor_credits_refund_id_sponsor_refunds')),
    sa.ForeignKeyConstraint(['reverses_id'], ['sponsor_credits.id'], name=op.f('fk_sponsor_credits_reverses_id_sponsor_credits')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_sponsor_credits_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sponsor_credits')),
    sa.UniqueConstraint('reference', name=op.f('uq_sponsor_credits_reference'))
    )
    with op.batch_alter_table('sponsor_credits', schema=None) as batch_op:
        batch_op.create_index('ix_sponsor_credits_match', ['bank_match_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sponsor_credits_sponsor_id'), ['sponsor_id'], unique=False)
        batch_op.create_index('uq_sponsor_credits_reverses_id', ['reverses_id'], unique=True)

    _append_only()
    _account()


def downgrade():
    _drop_append_only()
    op.execute("DELETE FROM accounts WHERE role = 'sponsor_credits' AND NOT EXISTS "
               "(SELECT 1 FROM postings WHERE postings.account_id = accounts.id)")
    with op.batch_alter_table('sponsor_credits', schema=None) as batch_op:
        batch_op.drop_index('uq_sponsor_credits_reverses_id')
        batch_op.drop_index(batch_op.f('ix_sponsor_credits_sponsor_id'))
        batch_op.drop_index('ix_sponsor_credits_match')

    op.drop_table('sponsor_credits')
    with op.batch_alter_table('bank_write_offs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_write_offs_status'))
        batch_op.drop_index(batch_op.f('ix_bank_write_offs_bank_match_id'))

    op.drop_table('bank_write_offs')
    with op.batch_alter_table('sponsor_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sponsor_refunds_status'))
        batch_op.drop_index(batch_op.f('ix_sponsor_refunds_sponsor_id'))

    op.drop_table('sponsor_refunds')


ACCOUNT = ("2400", "Sponsor credits (prepayments)", "liability", "sponsor_credits")


def _account():
    """The liability the credits are held on (left alone if the treasurer has used its code)."""
    code, name, type_, role = ACCOUNT
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM accounts WHERE code = :code OR role = :role"),
                    {"code": code, "role": role}).first():
        return
    accounts = sa.table("accounts", sa.column("code"), sa.column("name"), sa.column("type"),
                        sa.column("role"), sa.column("active"), sa.column("description"),
                        sa.column("created_at", sa.DateTime(timezone=True)))
    op.bulk_insert(accounts, [dict(
        code=code, name=name, type=type_, role=role, active=True, created_at=datetime.now(timezone.utc),
        description="Money sponsors paid beyond their invoices: set off against later invoices "
                    "or paid back.")])


TABLE = "sponsor_credits"


def _append_only():
    """Credit movements are never changed or deleted (a reversal row takes one back). On SQLite
    an INSERT that would replace a row (REPLACE INTO) is refused too: it deletes without firing
    DELETE triggers."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                   f"FOR EACH ROW EXECUTE FUNCTION backoffice_refuse_change()")
        op.execute(f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION backoffice_refuse_change()")
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
                   f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {operation} refused "
                   f"(post a reversal instead)'); END")
    op.execute(f"CREATE TRIGGER {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
               f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id OR reference = NEW.reference) "
               f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: REPLACE refused'); END")


def _drop_append_only():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
        return
    for name in ("no_update", "no_delete", "no_replace"):
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{name}")
