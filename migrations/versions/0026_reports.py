"""Reports: tax spheres of accounts and postings, budget revisions and their lines, the annual
report packs; budget lines and packs append-only (database triggers, SQLite incl. REPLACE, and
PostgreSQL).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from backoffice.core import protection

APPEND_ONLY = ("budget_lines", "report_packs")

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_account_spheres',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('sphere', sa.Enum('ideell', 'vermoegen', 'zweckbetrieb', 'wirtschaftlich', name='tax_sphere', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_report_account_spheres_account_id_accounts')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_report_account_spheres_changed_by_id_users')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_report_account_spheres'))
    )
    op.create_table('report_packs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('data_as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_report_packs_created_by_id_users')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_report_packs_file_id_stored_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_packs'))
    )
    with op.batch_alter_table('report_packs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_packs_year'), ['year'], unique=False)

    op.create_table('report_posting_spheres',
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sphere', sa.Enum('ideell', 'vermoegen', 'zweckbetrieb', 'wirtschaftlich', name='tax_sphere', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_report_posting_spheres_changed_by_id_users')),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], name=op.f('fk_report_posting_spheres_posting_id_postings')),
    sa.PrimaryKeyConstraint('posting_id', name=op.f('pk_report_posting_spheres'))
    )
    op.create_table('budget_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_budget_revisions_approved_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_budget_revisions_created_by_id_users')),
    sa.ForeignKeyConstraint(['resolution_id'], ['board_resolutions.id'], name=op.f('fk_budget_revisions_resolution_id_board_resolutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_revisions')),
    sa.UniqueConstraint('year', 'number', name='uq_budget_revisions_year_number')
    )
    op.create_table('budget_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_budget_lines_account_id_accounts')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_budget_lines_fund_id_funds')),
    sa.ForeignKeyConstraint(['revision_id'], ['budget_revisions.id'], name=op.f('fk_budget_lines_revision_id_budget_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_lines')),
    sa.UniqueConstraint('revision_id', 'account_id', 'fund_id', 'currency', name='uq_budget_lines_revision_account_fund')
    )
    for table in APPEND_ONLY:
        protection.protect(op, table)


def downgrade():
    for table in APPEND_ONLY:
        protection.unprotect(op, table)
    op.drop_table('budget_lines')
    op.drop_table('budget_revisions')
    op.drop_table('report_posting_spheres')
    with op.batch_alter_table('report_packs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_packs_year'))

    op.drop_table('report_packs')
    op.drop_table('report_account_spheres')
