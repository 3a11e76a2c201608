"""Donations: donors (with the IBANs they gave from), donation pages per fund, recurring plans, the
Checkout Sessions donors started, the donations themselves (one per source reference: Checkout
Session, Stripe invoice, payment intent, bank line, expense claim) and failed recurring payments;
fee policies gain a separate rate for donations.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('donors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('person', 'organisation', name='donor_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('language', sa.Enum('en', 'de', name='donor_language', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('consent_thanks', sa.Boolean(), nullable=False),
    sa.Column('consent_public', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('stripe_customer', sa.String(length=255), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_donors_not_merged_into_itself')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['donors.id'], name=op.f('fk_donors_merged_into_id_donors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donors')),
    sa.UniqueConstraint('stripe_customer', name=op.f('uq_donors_stripe_customer'))
    )
    op.create_index(op.f('ix_donors_email'), 'donors', ['email'], unique=False)
    op.create_index(op.f('ix_donors_merged_into_id'), 'donors', ['merged_into_id'], unique=False)
    op.create_table('donation_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('suggested_amounts', sa.String(length=200), nullable=False),
    sa.Column('allow_recurring', sa.Boolean(), nullable=False),
    sa.Column('public_donor_list', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_donation_pages_fund_id_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donation_pages')),
    sa.UniqueConstraint('fund_id', name=op.f('uq_donation_pages_fund_id'))
    )
    op.create_table('donor_ibans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['donor_id'], ['donors.id'], name=op.f('fk_donor_ibans_donor_id_donors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donor_ibans')),
    sa.UniqueConstraint('iban', name=op.f('uq_donor_ibans_iban'))
    )
    op.create_index(op.f('ix_donor_ibans_donor_id'), 'donor_ibans', ['donor_id'], unique=False)
    op.create_table('recurring_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('interval', sa.Enum('month', 'year', name='plan_interval', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'past_due', 'cancelled', name='plan_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('stripe_subscription', sa.String(length=255), nullable=True),
    sa.Column('stripe_customer', sa.String(length=255), nullable=True),
    sa.Column('receipt_wanted', sa.Boolean(), nullable=False),
    sa.Column('public_name', sa.String(length=100), nullable=True),
    sa.Column('failed_payments', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_recurring_plans_amount_positive')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_recurring_plans_cancelled_by_id_users')),
    sa.ForeignKeyConstraint(['donor_id'], ['donors.id'], name=op.f('fk_recurring_plans_donor_id_donors')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_recurring_plans_fund_id_funds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recurring_plans')),
    sa.UniqueConstraint('stripe_subscription', name=op.f('uq_recurring_plans_stripe_subscription'))
    )
    op.create_index(op.f('ix_recurring_plans_donor_id'), 'recurring_plans', ['donor_id'], unique=False)
    op.create_index(op.f('ix_recurring_plans_fund_id'), 'recurring_plans', ['fund_id'], unique=False)
    op.create_index(op.f('ix_recurring_plans_status'), 'recurring_plans', ['status'], unique=False)
    op.create_table('donation_checkouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_id', sa.String(length=255), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('interval', sa.Enum('month', 'year', name='checkout_interval', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('donor_kind', sa.Enum('person', 'organisation', name='checkout_donor_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('language', sa.Enum('en', 'de', name='checkout_language', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('receipt_wanted', sa.Boolean(), nullable=False),
    sa.Column('public_name', sa.String(length=100), nullable=True),
    sa.Column('consent_public', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_donation_checkouts_amount_positive')),
    sa.ForeignKeyConstraint(['donor_id'], ['donors.id'], name=op.f('fk_donation_checkouts_donor_id_donors')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_donation_checkouts_fund_id_funds')),
    sa.ForeignKeyConstraint(['plan_id'], ['recurring_plans.id'], name=op.f('fk_donation_checkouts_plan_id_recurring_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donation_checkouts')),
    sa.UniqueConstraint('stripe_id', name=op.f('uq_donation_checkouts_stripe_id'))
    )
    op.create_table('recurring_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('stripe_invoice', sa.String(length=255), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['recurring_plans.id'], name=op.f('fk_recurring_failures_plan_id_recurring_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recurring_failures')),
    sa.UniqueConstraint('stripe_invoice', name=op.f('uq_recurring_failures_stripe_invoice'))
    )
    op.create_index(op.f('ix_recurring_failures_plan_id'), 'recurring_failures', ['plan_id'], unique=False)
    op.create_index(op.f('ix_recurring_failures_resolved'), 'recurring_failures', ['resolved'], unique=False)
    op.create_table('donations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('donated_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.Enum('stripe', 'bank', 'cash', 'cheque', 'waiver', 'in_kind', name='donation_channel', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('kind', sa.Enum('money', 'membership', 'in_kind', 'waiver', name='donation_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('pending', 'booked', 'failed', 'reversed', name='donation_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('in_kind_description', sa.Text(), nullable=False),
    sa.Column('valuation_basis', sa.Text(), nullable=False),
    sa.Column('in_kind_origin', sa.Enum('business', 'private', 'unknown', name='in_kind_origin', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('receipt_wanted', sa.Boolean(), nullable=False),
    sa.Column('public_name', sa.String(length=100), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('journal_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reversal_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('fee', sa.BigInteger(), nullable=False),
    sa.Column('fee_currency', sa.String(length=3), nullable=True),
    sa.Column('admin_fee', sa.BigInteger(), nullable=False),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reversal_reason', sa.String(length=200), nullable=False),
    sa.Column('recurring_plan_id', sa.Integer(), nullable=True),
    sa.Column('stripe_checkout_session', sa.String(length=255), nullable=True),
    sa.Column('stripe_invoice', sa.String(length=255), nullable=True),
    sa.Column('stripe_payment_intent', sa.String(length=255), nullable=True),
    sa.Column('stripe_charge', sa.String(length=255), nullable=True),
    sa.Column('bank_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('expense_claim_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind <> 'in_kind' OR (in_kind_description <> '' AND valuation_basis <> '')", name=op.f('ck_donations_in_kind_described')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_donations_amount_positive')),
    sa.ForeignKeyConstraint(['bank_line_id'], ['bank_lines.id'], name=op.f('fk_donations_bank_line_id_bank_lines')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_donations_created_by_id_users')),
    sa.ForeignKeyConstraint(['donor_id'], ['donors.id'], name=op.f('fk_donations_donor_id_donors')),
    sa.ForeignKeyConstraint(['expense_claim_id'], ['expense_claims.id'], name=op.f('fk_donations_expense_claim_id_expense_claims')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_donations_fund_id_funds')),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_donations_journal_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['recurring_plan_id'], ['recurring_plans.id'], name=op.f('fk_donations_recurring_plan_id_recurring_plans')),
    sa.ForeignKeyConstraint(['reversal_entry_id'], ['journal_entries.id'], name=op.f('fk_donations_reversal_entry_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donations')),
    sa.UniqueConstraint('bank_line_id', name=op.f('uq_donations_bank_line_id')),
    sa.UniqueConstraint('expense_claim_id', name=op.f('uq_donations_expense_claim_id')),
    sa.UniqueConstraint('stripe_checkout_session', name=op.f('uq_donations_stripe_checkout_session')),
    sa.UniqueConstraint('stripe_invoice', name=op.f('uq_donations_stripe_invoice')),
    sa.UniqueConstraint('stripe_payment_intent', name=op.f('uq_donations_stripe_payment_intent'))
    )
    op.create_index('ix_donations_date', 'donations', ['donated_on', 'id'], unique=False)
    op.create_index(op.f('ix_donations_donor_id'), 'donations', ['donor_id'], unique=False)
    op.create_index('ix_donations_fund_date', 'donations', ['fund_id', 'donated_on'], unique=False)
    op.create_index(op.f('ix_donations_recurring_plan_id'), 'donations', ['recurring_plan_id'], unique=False)
    op.create_index(op.f('ix_donations_stripe_charge'), 'donations', ['stripe_charge'], unique=False)
    # ### end Alembic commands ###

    with op.batch_alter_table("fee_policies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("donation_rate_bp", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            "donation_rate_range",
            "donation_rate_bp IS NULL OR (donation_rate_bp >= 0 AND donation_rate_bp <= 10000)")


def downgrade():
    with op.batch_alter_table("fee_policies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_fee_policies_donation_rate_range"), type_="check")
        batch_op.drop_column("donation_rate_bp")
    for table in ("donations", "recurring_failures", "donation_checkouts", "recurring_plans",
                  "donor_ibans", "donation_pages", "donors"):
        op.drop_table(table)
