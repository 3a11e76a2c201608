"""Banking: bank accounts, imported statements and lines, matches, rules.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('ledger_account_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('auto_accept', sa.Boolean(), nullable=False),
    sa.Column('reconcile_from', sa.Date(), nullable=True),
    sa.Column('csv_mapping', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ledger_account_id'], ['accounts.id'], name=op.f('fk_bank_accounts_ledger_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_accounts')),
    sa.UniqueConstraint('iban', name=op.f('uq_bank_accounts_iban')),
    sa.UniqueConstraint('ledger_account_id', 'currency', name='uq_bank_accounts_ledger_currency')
    )
    op.create_table('bank_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('statements', sa.Integer(), nullable=False),
    sa.Column('lines_new', sa.Integer(), nullable=False),
    sa.Column('lines_duplicate', sa.Integer(), nullable=False),
    sa.Column('lines_by_rule', sa.Integer(), nullable=False),
    sa.Column('lines_auto_matched', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['bank_account_id'], ['bank_accounts.id'], name=op.f('fk_bank_imports_bank_account_id_bank_accounts')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_bank_imports_imported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_imports'))
    )
    with op.batch_alter_table('bank_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_imports_bank_account_id'), ['bank_account_id'], unique=False)

    op.create_table('bank_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('counterparty_contains', sa.String(length=200), nullable=False),
    sa.Column('text_contains', sa.String(length=200), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("direction IN ('in', 'out', 'any')", name=op.f('ck_bank_rules_direction_known')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_bank_rules_account_id_accounts')),
    sa.ForeignKeyConstraint(['bank_account_id'], ['bank_accounts.id'], name=op.f('fk_bank_rules_bank_account_id_bank_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bank_rules_created_by_id_users')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_bank_rules_fund_id_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_rules'))
    )
    op.create_table('bank_matches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=False),
    sa.Column('how', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('journal_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.Column('undo_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("how IN ('manual', 'auto', 'rule', 'entry')", name=op.f('ck_bank_matches_how_known')),
    sa.ForeignKeyConstraint(['bank_account_id'], ['bank_accounts.id'], name=op.f('fk_bank_matches_bank_account_id_bank_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bank_matches_created_by_id_users')),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_bank_matches_journal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['rule_id'], ['bank_rules.id'], name=op.f('fk_bank_matches_rule_id_bank_rules')),
    sa.ForeignKeyConstraint(['undo_entry_id'], ['journal_entries.id'], name=op.f('fk_bank_matches_undo_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_bank_matches_undone_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_matches'))
    )
    with op.batch_alter_table('bank_matches', schema=None) as batch_op:
        batch_op.create_index('ix_bank_matches_review', ['bank_account_id', 'how', 'undone_at', 'reviewed_at'], unique=False)

    op.create_table('bank_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('sequence', sa.String(length=40), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('opening', sa.BigInteger(), nullable=True),
    sa.Column('closing', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('entries_total', sa.BigInteger(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['bank_account_id'], ['bank_accounts.id'], name=op.f('fk_bank_statements_bank_account_id_bank_accounts')),
    sa.ForeignKeyConstraint(['import_id'], ['bank_imports.id'], name=op.f('fk_bank_statements_import_id_bank_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statements')),
    sa.UniqueConstraint('bank_account_id', 'fingerprint', name='uq_bank_statements_fingerprint')
    )
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.create_index('ix_bank_statements_account_dates', ['bank_account_id', 'end_date', 'start_date'], unique=False)

    op.create_table('bank_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('booking_date', sa.Date(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('counterparty_name', sa.String(length=200), nullable=False),
    sa.Column('counterparty_iban', sa.String(length=34), nullable=False),
    sa.Column('counterparty_bic', sa.String(length=11), nullable=False),
    sa.Column('remittance', sa.Text(), nullable=False),
    sa.Column('references', sa.Text(), nullable=False),
    sa.Column('bank_reference', sa.String(length=100), nullable=False),
    sa.Column('transaction_code', sa.String(length=40), nullable=False),
    sa.Column('reversal', sa.Boolean(), nullable=False),
    sa.Column('charges', sa.BigInteger(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('dedup_key', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('match_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("status IN ('open', 'matched')", name=op.f('ck_bank_lines_status_known')),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_bank_lines_amount_not_zero')),
    sa.ForeignKeyConstraint(['bank_account_id'], ['bank_accounts.id'], name=op.f('fk_bank_lines_bank_account_id_bank_accounts')),
    sa.ForeignKeyConstraint(['match_id'], ['bank_matches.id'], name=op.f('fk_bank_lines_match_id_bank_matches')),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statements.id'], name=op.f('fk_bank_lines_statement_id_bank_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_lines')),
    sa.UniqueConstraint('bank_account_id', 'dedup_key', name='uq_bank_lines_dedup')
    )
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.create_index('ix_bank_lines_queue', ['bank_account_id', 'status', 'booking_date', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_lines_statement_id'), ['statement_id'], unique=False)

    op.create_table('bank_match_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('match_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=30), nullable=False),
    sa.Column('item_key', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['match_id'], ['bank_matches.id'], name=op.f('fk_bank_match_items_match_id_bank_matches')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_bank_match_items_posting_id_postings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_match_items'))
    )
    with op.batch_alter_table('bank_match_items', schema=None) as batch_op:
        batch_op.create_index('ix_bank_match_items_key', ['provider', 'item_key', 'active'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_match_items_match_id'), ['match_id'], unique=False)
        batch_op.create_index('ix_bank_match_items_posting', ['posting_id', 'active'], unique=False)

    op.create_table('bank_match_lines',
    sa.Column('match_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bank_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['bank_line_id'], ['bank_lines.id'], name=op.f('fk_bank_match_lines_bank_line_id_bank_lines')),
    sa.ForeignKeyConstraint(['match_id'], ['bank_matches.id'], name=op.f('fk_bank_match_lines_match_id_bank_matches')),
    sa.PrimaryKeyConstraint('match_id', 'bank_line_id', name=op.f('pk_bank_match_lines'))
    )
    with op.batch_alter_table('bank_match_lines', schema=None) as batch_op:
        batch_op.create_index('ix_bank_match_lines_line', ['bank_line_id'], unique=False)



def downgrade():
    with op.batch_alter_table('bank_match_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_match_lines_line')

    op.drop_table('bank_match_lines')
    with op.batch_alter_table('bank_match_items', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_match_items_posting')
        batch_op.drop_index(batch_op.f('ix_bank_match_items_match_id'))
        batch_op.drop_index('ix_bank_match_items_key')

    op.drop_table('bank_match_items')
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_lines_statement_id'))
        batch_op.drop_index('ix_bank_lines_queue')

    op.drop_table('bank_lines')
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_statements_account_dates')

    op.drop_table('bank_statements')
    with op.batch_alter_table('bank_matches', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_matches_review')

    op.drop_table('bank_matches')
    op.drop_table('bank_rules')
    with op.batch_alter_table('bank_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_imports_bank_account_id'))

    op.drop_table('bank_imports')
    op.drop_table('bank_accounts')
