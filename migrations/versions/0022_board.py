"""Board records: bodies, terms, interests, meetings, agenda items and minutes, attendance,
addenda, resolutions, votes, recusals, the document register; approved minutes and closed
resolutions frozen by triggers (SQLite and PostgreSQL), addenda and documents append-only.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from backoffice.core import protection

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('board_bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('board', 'assembly', 'committee', 'auditors', name='board_body_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('audits_id', sa.Integer(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['audits_id'], ['board_bodies.id'], name=op.f('fk_board_bodies_audits_id_board_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_bodies')),
    sa.UniqueConstraint('code', name=op.f('uq_board_bodies_code')),
    sa.UniqueConstraint('name', name=op.f('uq_board_bodies_name'))
    )
    op.create_table('board_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('video_link', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('planned', 'invited', 'open', 'held', 'approved', name='board_meeting_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('invited_on', sa.Date(), nullable=True),
    sa.Column('late_notice_days', sa.Integer(), nullable=False),
    sa.Column('invited', sa.JSON(), nullable=False),
    sa.Column('minute_taker_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('minutes_approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    *_approved_by_fk(),
    sa.ForeignKeyConstraint(['body_id'], ['board_bodies.id'], name=op.f('fk_board_meetings_body_id_board_bodies')),
    sa.ForeignKeyConstraint(['minute_taker_id'], ['users.id'], name=op.f('fk_board_meetings_minute_taker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_meetings'))
    )
    with op.batch_alter_table('board_meetings', schema=None) as batch_op:
        batch_op.create_index('ix_board_meetings_body_starts', ['body_id', 'starts_at'], unique=False)

    op.create_table('board_agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('announced', sa.Boolean(), nullable=False),
    sa.Column('any_other_business', sa.Boolean(), nullable=False),
    sa.Column('subject_kind', sa.Enum('none', 'grant_application', 'annual_budget', 'group_admission', 'invoice_write_off', 'payout_batch', 'minutes', 'election', 'statutes', 'discharge', name='board_subject_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('present', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['board_meetings.id'], name=op.f('fk_board_agenda_items_meeting_id_board_meetings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_agenda_items')),
    sa.UniqueConstraint('meeting_id', 'position', name='uq_board_item_position')
    )
    op.create_table('board_resolutions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('subject_kind', sa.Enum('none', 'grant_application', 'annual_budget', 'group_admission', 'invoice_write_off', 'payout_batch', 'minutes', 'election', 'statutes', 'discharge', name='board_resolution_subject', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('majority', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('open', 'passed', 'failed', name='board_resolution_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('yes', sa.Integer(), nullable=True),
    sa.Column('no', sa.Integer(), nullable=True),
    sa.Column('abstain', sa.Integer(), nullable=True),
    sa.Column('invalid', sa.Integer(), nullable=True),
    sa.Column('excluded', sa.Integer(), nullable=True),
    sa.Column('basis', sa.String(length=20), nullable=True),
    sa.Column('base', sa.Integer(), nullable=True),
    sa.Column('needed', sa.Integer(), nullable=True),
    sa.Column('outcome_reason', sa.String(length=300), nullable=True),
    sa.Column('entitled', sa.JSON(), nullable=True),
    sa.CheckConstraint('(item_id IS NULL) <> (deadline IS NULL)', name=op.f('ck_board_resolutions_meeting_or_circular')),
    sa.ForeignKeyConstraint(['body_id'], ['board_bodies.id'], name=op.f('fk_board_resolutions_body_id_board_bodies')),
    sa.ForeignKeyConstraint(['item_id'], ['board_agenda_items.id'], name=op.f('fk_board_resolutions_item_id_board_agenda_items')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_board_resolutions_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_resolutions')),
    sa.UniqueConstraint('body_id', 'year', 'sequence', name='uq_board_resolution_number'),
    sa.UniqueConstraint('number', name=op.f('uq_board_resolutions_number'))
    )
    with op.batch_alter_table('board_resolutions', schema=None) as batch_op:
        batch_op.create_index('ix_board_resolutions_decided', ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_resolutions_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_board_resolutions_subject', ['subject_kind', 'subject_id'], unique=False)

    op.create_table('board_addenda',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['board_agenda_items.id'], name=op.f('fk_board_addenda_item_id_board_agenda_items')),
    sa.ForeignKeyConstraint(['meeting_id'], ['board_meetings.id'], name=op.f('fk_board_addenda_meeting_id_board_meetings')),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_board_addenda_written_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_addenda'))
    )
    with op.batch_alter_table('board_addenda', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_addenda_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('board_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('function', sa.Enum('chair', 'deputy', 'treasurer', 'secretary', 'member', name='board_function', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('legal_person', sa.Boolean(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('represents', sa.Boolean(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('elected_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('end_on IS NULL OR end_on >= start_on', name=op.f('ck_board_terms_term_dates')),
    sa.CheckConstraint('weight >= 1', name=op.f('ck_board_terms_weight_positive')),
    sa.ForeignKeyConstraint(['body_id'], ['board_bodies.id'], name=op.f('fk_board_terms_body_id_board_bodies')),
    sa.ForeignKeyConstraint(['elected_by_id'], ['board_resolutions.id'], name=op.f('fk_board_terms_elected_by_id_board_resolutions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_board_terms_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_terms'))
    )
    with op.batch_alter_table('board_terms', schema=None) as batch_op:
        batch_op.create_index('ix_board_terms_body_dates', ['body_id', 'start_on', 'end_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_terms_user_id'), ['user_id'], unique=False)

    op.create_table('board_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('presence', sa.Enum('present', 'excused', 'absent', 'proxy', name='board_presence', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('proxy_holder_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['board_meetings.id'], name=op.f('fk_board_attendance_meeting_id_board_meetings')),
    sa.ForeignKeyConstraint(['proxy_holder_id'], ['board_terms.id'], name=op.f('fk_board_attendance_proxy_holder_id_board_terms')),
    sa.ForeignKeyConstraint(['term_id'], ['board_terms.id'], name=op.f('fk_board_attendance_term_id_board_terms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_attendance')),
    sa.UniqueConstraint('meeting_id', 'term_id', name='uq_board_attendance')
    )
    op.create_table('board_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('statutes', 'tax_exemption', 'register_extract', 'contract', 'audit_report', name='board_document_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_board_documents_added_by_id_users')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_board_documents_file_id_stored_files')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['board_documents.id'], name=op.f('fk_board_documents_supersedes_id_board_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_documents')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_board_documents_supersedes_id'))
    )
    op.create_table('board_interests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.Enum('group', 'sponsor', 'other', name='board_interest_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('sponsor_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['member_groups.id'], name=op.f('fk_board_interests_group_id_member_groups')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['sponsors.id'], name=op.f('fk_board_interests_sponsor_id_sponsors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_interests'))
    )
    with op.batch_alter_table('board_interests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_interests_email'), ['email'], unique=False)

    op.create_table('board_recusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resolution_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['resolution_id'], ['board_resolutions.id'], name=op.f('fk_board_recusals_resolution_id_board_resolutions')),
    sa.ForeignKeyConstraint(['term_id'], ['board_terms.id'], name=op.f('fk_board_recusals_term_id_board_terms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_recusals')),
    sa.UniqueConstraint('resolution_id', 'term_id', name='uq_board_recusal')
    )
    op.create_table('board_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resolution_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Enum('yes', 'no', 'abstain', 'invalid', name='board_choice', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('weight >= 1', name=op.f('ck_board_votes_vote_weight_positive')),
    sa.ForeignKeyConstraint(['proxy_id'], ['board_terms.id'], name=op.f('fk_board_votes_proxy_id_board_terms')),
    sa.ForeignKeyConstraint(['resolution_id'], ['board_resolutions.id'], name=op.f('fk_board_votes_resolution_id_board_resolutions')),
    sa.ForeignKeyConstraint(['term_id'], ['board_terms.id'], name=op.f('fk_board_votes_term_id_board_terms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_votes')),
    sa.UniqueConstraint('resolution_id', 'term_id', name='uq_board_vote')
    )
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(op.f("fk_board_meetings_approved_by_id_board_resolutions"),
                              "board_meetings", "board_resolutions", ["approved_by_id"], ["id"])
    _create_triggers()


def downgrade():
    _drop_triggers()
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_board_meetings_approved_by_id_board_resolutions"),
                           "board_meetings", type_="foreignkey")
    op.drop_table('board_votes')
    op.drop_table('board_recusals')
    with op.batch_alter_table('board_interests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_interests_email'))

    op.drop_table('board_interests')
    op.drop_table('board_documents')
    op.drop_table('board_attendance')
    with op.batch_alter_table('board_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_terms_user_id'))
        batch_op.drop_index('ix_board_terms_body_dates')

    op.drop_table('board_terms')
    with op.batch_alter_table('board_addenda', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_addenda_meeting_id'))

    op.drop_table('board_addenda')
    with op.batch_alter_table('board_resolutions', schema=None) as batch_op:
        batch_op.drop_index('ix_board_resolutions_subject')
        batch_op.drop_index(batch_op.f('ix_board_resolutions_item_id'))
        batch_op.drop_index('ix_board_resolutions_decided')

    op.drop_table('board_resolutions')
    op.drop_table('board_agenda_items')
    with op.batch_alter_table('board_meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_board_meetings_body_starts')

    op.drop_table('board_meetings')
    op.drop_table('board_bodies')


def _approved_by_fk():
    """The meeting's approving resolution: on SQLite declared with the table (a forward reference
    SQLite accepts); on PostgreSQL added once board_resolutions exists (the tables refer to each
    other in a ring: meeting -> resolution -> agenda item -> meeting)."""
    if op.get_bind().dialect.name != "sqlite":
        return []
    return [sa.ForeignKeyConstraint(
        ["approved_by_id"], ["board_resolutions.id"],
        name=op.f("fk_board_meetings_approved_by_id_board_resolutions"))]


# --- what never changes --------------------------------------------------------------------------

_APPROVED = ("EXISTS (SELECT 1 FROM board_meetings AS m WHERE m.id = {row}.meeting_id "
             "AND m.minutes_approved_at IS NOT NULL)")
_CLOSED = ("EXISTS (SELECT 1 FROM board_resolutions AS r WHERE r.id = {row}.resolution_id "
           "AND r.status <> 'open')")
#: table -> (the condition that freezes a stored row, whether a new row is checked too, words).
FROZEN = {
    "board_meetings": ("{row}.minutes_approved_at IS NOT NULL", False,
                       "approved minutes never change"),
    "board_agenda_items": (_APPROVED, True, "approved minutes never change"),
    "board_attendance": (_APPROVED, True, "approved minutes never change"),
    "board_resolutions": ("{row}.status <> 'open'", False,
                          "a closed resolution and its tally never change"),
    "board_votes": (_CLOSED, True, "the votes of a closed resolution never change"),
    "board_recusals": (_CLOSED, True, "the votes of a closed resolution never change"),
}
APPEND_ONLY = ("board_addenda", "board_documents")


def _create_triggers():
    for table, (condition, check_new, words) in FROZEN.items():
        protection.freeze(op, table, condition, words, check_new=check_new)
    for table in APPEND_ONLY:
        protection.protect(op, table)


def _drop_triggers():
    for table in APPEND_ONLY:
        protection.unprotect(op, table)
    for table in FROZEN:
        protection.unfreeze(op, table)
