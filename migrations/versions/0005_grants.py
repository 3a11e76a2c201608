"""Grants: programmes (budgets, questions, rounds), applications with their budget lines,
attachments, history, reviews and votes, disbursements (payables for payout batches), reports back,
and the public form's rate-limit counters.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grant_form_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_form_attempts'))
    )
    with op.batch_alter_table('grant_form_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_grant_form_attempts_address', ['kind', 'address', 'at'], unique=False)
        batch_op.create_index('ix_grant_form_attempts_email', ['kind', 'email', 'at'], unique=False)

    op.create_table('grant_programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('max_per_grant', sa.BigInteger(), nullable=False),
    sa.Column('min_lead_days', sa.Integer(), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('board_threshold', sa.BigInteger(), nullable=True),
    sa.Column('quorum', sa.Integer(), nullable=False),
    sa.Column('report_days', sa.Integer(), nullable=False),
    sa.Column('uses_rounds', sa.Boolean(), nullable=False),
    sa.Column('accepting', sa.Boolean(), nullable=False),
    sa.Column('public_list', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_per_grant > 0', name=op.f('ck_grant_programmes_max_positive')),
    sa.CheckConstraint('min_lead_days >= 0 AND report_days >= 0', name=op.f('ck_grant_programmes_days_not_negative')),
    sa.CheckConstraint('quorum >= 1', name=op.f('ck_grant_programmes_quorum_positive')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_grant_programmes_fund_id_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_programmes')),
    sa.UniqueConstraint('slug', name=op.f('uq_grant_programmes_slug'))
    )
    op.create_table('grant_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_grant_budgets_amount_not_negative')),
    sa.ForeignKeyConstraint(['programme_id'], ['grant_programmes.id'], name=op.f('fk_grant_budgets_programme_id_grant_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_budgets')),
    sa.UniqueConstraint('programme_id', 'year', name='uq_grant_budgets_programme_year')
    )
    op.create_table('grant_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('help_text', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.Enum('text', 'number', 'choice', 'yes_no', name='grant_question_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('choices', sa.Text(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['grant_programmes.id'], name=op.f('fk_grant_questions_programme_id_grant_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_questions'))
    )
    with op.batch_alter_table('grant_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_questions_programme_id'), ['programme_id'], unique=False)

    op.create_table('grant_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.CheckConstraint('deadline >= opens_on', name=op.f('ck_grant_rounds_deadline_after_opening')),
    sa.ForeignKeyConstraint(['programme_id'], ['grant_programmes.id'], name=op.f('fk_grant_rounds_programme_id_grant_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_rounds'))
    )
    with op.batch_alter_table('grant_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_rounds_programme_id'), ['programme_id'], unique=False)

    op.create_table('grant_applications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'submitted', 'info_requested', 'in_review', 'approved', 'rejected', 'withdrawn', 'cancelled', 'paid', 'report_due', 'report_overdue', 'report_received', 'closed', name='grant_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('applicant_user_id', sa.Integer(), nullable=True),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('event_start', sa.Date(), nullable=True),
    sa.Column('event_end', sa.Date(), nullable=True),
    sa.Column('expected_attendance', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_requested', sa.BigInteger(), nullable=True),
    sa.Column('other_funding', sa.Text(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('account_holder', sa.String(length=70), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('access_nonce', sa.String(length=32), nullable=False),
    sa.Column('amount_awarded', sa.BigInteger(), nullable=True),
    sa.Column('amount_paid', sa.BigInteger(), nullable=False),
    sa.Column('budget_year', sa.Integer(), nullable=True),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('board_resolution_ref', sa.String(length=100), nullable=True),
    sa.Column('commitment_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('report_due_on', sa.Date(), nullable=True),
    sa.Column('last_reminder_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_awarded IS NULL OR amount_awarded >= 0', name=op.f('ck_grant_applications_awarded_positive')),
    sa.CheckConstraint('amount_paid >= 0', name=op.f('ck_grant_applications_paid_not_negative')),
    sa.CheckConstraint('amount_requested IS NULL OR amount_requested > 0', name=op.f('ck_grant_applications_requested_positive')),
    sa.ForeignKeyConstraint(['applicant_user_id'], ['users.id'], name=op.f('fk_grant_applications_applicant_user_id_users')),
    sa.ForeignKeyConstraint(['commitment_entry_id'], ['journal_entries.id'], name=op.f('fk_grant_applications_commitment_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['group_id'], ['member_groups.id'], name=op.f('fk_grant_applications_group_id_member_groups')),
    sa.ForeignKeyConstraint(['programme_id'], ['grant_programmes.id'], name=op.f('fk_grant_applications_programme_id_grant_programmes')),
    sa.ForeignKeyConstraint(['round_id'], ['grant_rounds.id'], name=op.f('fk_grant_applications_round_id_grant_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_applications'))
    )
    with op.batch_alter_table('grant_applications', schema=None) as batch_op:
        batch_op.create_index('ix_grant_applications_email_status', ['contact_email', 'status'], unique=False)
        batch_op.create_index('ix_grant_applications_group_status', ['group_id', 'status'], unique=False)
        batch_op.create_index('ix_grant_applications_year_programme', ['budget_year', 'programme_id'], unique=False)
        batch_op.create_index('ix_grant_applications_status_submitted', ['status', 'submitted_at', 'id'], unique=False)

    op.create_table('grant_attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_attachments_application_id_grant_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_grant_attachments_file_id_stored_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_attachments'))
    )
    with op.batch_alter_table('grant_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_attachments_application_id'), ['application_id'], unique=False)

    op.create_table('grant_budget_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_grant_budget_lines_amount_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_budget_lines_application_id_grant_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_budget_lines'))
    )
    with op.batch_alter_table('grant_budget_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_budget_lines_application_id'), ['application_id'], unique=False)

    op.create_table('grant_disbursements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('payee_name', sa.String(length=70), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('remittance', sa.String(length=140), nullable=False),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=False),
    sa.Column('status', sa.Enum('ready', 'paid', 'cancelled', name='grant_disbursement_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('batch_ref', sa.String(length=64), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_grant_disbursements_amount_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_disbursements_application_id_grant_applications')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_grant_disbursements_created_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_grant_disbursements_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_grant_disbursements_fund_id_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_disbursements')),
    sa.UniqueConstraint('end_to_end_id', name=op.f('uq_grant_disbursements_end_to_end_id'))
    )
    with op.batch_alter_table('grant_disbursements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_disbursements_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_grant_disbursements_status', ['status'], unique=False)

    op.create_table('grant_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_grant_events_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_events_application_id_grant_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_events'))
    )
    with op.batch_alter_table('grant_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_events_application_id'), ['application_id'], unique=False)

    op.create_table('grant_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('attendance', sa.Integer(), nullable=True),
    sa.Column('amount_spent', sa.BigInteger(), nullable=False),
    sa.Column('unused_amount', sa.BigInteger(), nullable=False),
    sa.Column('returned_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_spent >= 0 AND unused_amount >= 0', name=op.f('ck_grant_reports_amounts_not_negative')),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_reports_application_id_grant_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['returned_entry_id'], ['journal_entries.id'], name=op.f('fk_grant_reports_returned_entry_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_reports')),
    sa.UniqueConstraint('application_id', name=op.f('uq_grant_reports_application_id'))
    )
    op.create_table('grant_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('conflict', sa.Boolean(), nullable=False),
    sa.Column('conflict_note', sa.String(length=500), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('vote', sa.String(length=10), nullable=True),
    sa.Column('voted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("vote IS NULL OR vote IN ('yes', 'no', 'abstain')", name=op.f('ck_grant_reviews_vote_value')),
    sa.CheckConstraint('NOT conflict OR (score IS NULL AND vote IS NULL)', name=op.f('ck_grant_reviews_conflict_excludes')),
    sa.CheckConstraint('score IS NULL OR (score >= 1 AND score <= 5)', name=op.f('ck_grant_reviews_score_range')),
    sa.ForeignKeyConstraint(['application_id'], ['grant_applications.id'], name=op.f('fk_grant_reviews_application_id_grant_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_grant_reviews_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_grant_reviews_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_reviews')),
    sa.UniqueConstraint('application_id', 'reviewer_id', name='uq_grant_reviews_member')
    )
    with op.batch_alter_table('grant_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_reviews_reviewer_id'), ['reviewer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('grant_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_reviews_reviewer_id'))

    op.drop_table('grant_reviews')
    op.drop_table('grant_reports')
    with op.batch_alter_table('grant_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_events_application_id'))

    op.drop_table('grant_events')
    with op.batch_alter_table('grant_disbursements', schema=None) as batch_op:
        batch_op.drop_index('ix_grant_disbursements_status')
        batch_op.drop_index(batch_op.f('ix_grant_disbursements_application_id'))

    op.drop_table('grant_disbursements')
    with op.batch_alter_table('grant_budget_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_budget_lines_application_id'))

    op.drop_table('grant_budget_lines')
    with op.batch_alter_table('grant_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_attachments_application_id'))

    op.drop_table('grant_attachments')
    with op.batch_alter_table('grant_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_grant_applications_status_submitted')
        batch_op.drop_index('ix_grant_applications_year_programme')
        batch_op.drop_index('ix_grant_applications_group_status')
        batch_op.drop_index('ix_grant_applications_email_status')

    op.drop_table('grant_applications')
    with op.batch_alter_table('grant_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_rounds_programme_id'))

    op.drop_table('grant_rounds')
    with op.batch_alter_table('grant_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_questions_programme_id'))

    op.drop_table('grant_questions')
    op.drop_table('grant_budgets')
    op.drop_table('grant_programmes')
    with op.batch_alter_table('grant_form_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_grant_form_attempts_email')
        batch_op.drop_index('ix_grant_form_attempts_address')

    op.drop_table('grant_form_attempts')
