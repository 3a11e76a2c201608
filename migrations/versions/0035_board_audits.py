"""Board records, the auditors' checklist (issue 16): an audit per auditors' body and fiscal
year (the seed of its random sample, the report and the stored PDF it ends in) and its sampled
journal entries, each with a note and checked or queried.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('board_audits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auditors_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'reported', name='board_audit_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_text', sa.Text(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('recommend_discharge', sa.Boolean(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_board_audits_audit_dates')),
    sa.ForeignKeyConstraint(['auditors_id'], ['board_bodies.id'], name=op.f('fk_board_audits_auditors_id_board_bodies')),
    sa.ForeignKeyConstraint(['document_id'], ['board_documents.id'], name=op.f('fk_board_audits_document_id_board_documents')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_board_audits_reported_by_id_users')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_board_audits_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_audits')),
    sa.UniqueConstraint('auditors_id', 'year', name='uq_board_audit_year'),
    sa.UniqueConstraint('document_id', name=op.f('uq_board_audits_document_id'))
    )
    op.create_table('board_audit_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('status', sa.Enum('open', 'checked', 'queried', name='board_audit_item_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("origin IN ('random', 'picked')", name=op.f('ck_board_audit_items_audit_item_origin')),
    sa.ForeignKeyConstraint(['audit_id'], ['board_audits.id'], name=op.f('fk_board_audit_items_audit_id_board_audits')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_board_audit_items_checked_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_board_audit_items_entry_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_audit_items')),
    sa.UniqueConstraint('audit_id', 'entry_id', name='uq_board_audit_entry')
    )
    with op.batch_alter_table('board_audit_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_audit_items_audit_id'), ['audit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('board_audit_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_audit_items_audit_id'))

    op.drop_table('board_audit_items')
    op.drop_table('board_audits')
