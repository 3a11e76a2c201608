"""Donation receipts: their number series, the receipts (frozen once issued but for their
cancellation, recorded once), the gifts each confirms (at most one valid receipt per donation: a
partial unique index) and the mailings of receipts to donors.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from backoffice.core.protection import refuse_replace

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

CANCELLATION = ("cancelled_at", "cancelled_by_id", "cancel_reason")
FROZEN = "an issued receipt never changes"


def upgrade():
    op.create_table(
        "receipt_number_counters",
        sa.Column("series", sa.String(length=40), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", name=op.f("pk_receipt_number_counters")))
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("series", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("money", "in_kind", "collective", "us", name="receipt_kind",
                                  native_enum=False, create_constraint=True, length=20),
                  nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("donor_name", sa.String(length=200), nullable=False),
        sa.Column("donor_address", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("pdf_file_id", sa.Integer(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("total > 0", name=op.f("ck_receipts_total_positive")),
        sa.CheckConstraint("(cancelled_at IS NULL) = (cancel_reason IS NULL)",
                           name=op.f("ck_receipts_cancelled_with_reason")),
        sa.ForeignKeyConstraint(["donor_id"], ["donors.id"], name=op.f("fk_receipts_donor_id_donors")),
        sa.ForeignKeyConstraint(["replaces_id"], ["receipts.id"],
                                name=op.f("fk_receipts_replaces_id_receipts")),
        sa.ForeignKeyConstraint(["pdf_file_id"], ["stored_files.id"],
                                name=op.f("fk_receipts_pdf_file_id_stored_files")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_receipts_created_by_id_users")),
        sa.ForeignKeyConstraint(["cancelled_by_id"], ["users.id"],
                                name=op.f("fk_receipts_cancelled_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("number", name=op.f("uq_receipts_number")),
        sa.UniqueConstraint("replaces_id", name=op.f("uq_receipts_replaces_id")),
        sa.UniqueConstraint("series", "sequence", name="uq_receipts_series_sequence"))
    op.create_index(op.f("ix_receipts_donor_id"), "receipts", ["donor_id"])
    op.create_index(op.f("ix_receipts_issue_date"), "receipts", ["issue_date"])
    op.create_table(
        "receipt_gifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Enum("money", "membership", "in_kind", name="receipt_gift_kind",
                                  native_enum=False, create_constraint=True, length=20),
                  nullable=False),
        sa.Column("waiver", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_receipt_gifts_amount_positive")),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"],
                                name=op.f("fk_receipt_gifts_receipt_id_receipts")),
        sa.ForeignKeyConstraint(["donation_id"], ["donations.id"],
                                name=op.f("fk_receipt_gifts_donation_id_donations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_gifts")))
    op.create_index(op.f("ix_receipt_gifts_receipt_id"), "receipt_gifts", ["receipt_id"])
    op.create_index(op.f("ix_receipt_gifts_donation_id"), "receipt_gifts", ["donation_id"])
    op.create_index("ux_receipt_gifts_valid_donation", "receipt_gifts", ["donation_id"],
                    unique=True, sqlite_where=sa.text("NOT cancelled"),
                    postgresql_where=sa.text("NOT cancelled"))
    op.create_table(
        "receipt_mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["receipt_id"], ["receipts.id"],
                                name=op.f("fk_receipt_mailings_receipt_id_receipts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_mailings")),
        sa.UniqueConstraint("receipt_id", name=op.f("uq_receipt_mailings_receipt_id")))
    _create_triggers()


def downgrade():
    _drop_triggers()
    op.drop_table("receipt_mailings")
    op.drop_index("ux_receipt_gifts_valid_donation", table_name="receipt_gifts")
    op.drop_index(op.f("ix_receipt_gifts_donation_id"), table_name="receipt_gifts")
    op.drop_index(op.f("ix_receipt_gifts_receipt_id"), table_name="receipt_gifts")
    op.drop_table("receipt_gifts")
    op.drop_index(op.f("ix_receipts_issue_date"), table_name="receipts")
    op.drop_index(op.f("ix_receipts_donor_id"), table_name="receipts")
    op.drop_table("receipts")
    op.drop_table("receipt_number_counters")


# --- an issued receipt never changes but for its cancellation, recorded once -------------------
# receipts: UPDATE only from valid to cancelled (with a reason), nothing else changing; never
# DELETE or TRUNCATE. receipt_gifts: UPDATE only to mark the gift of a cancelled receipt
# cancelled; no gift added to a cancelled receipt; never DELETE or TRUNCATE. SQLite's REPLACE
# (which deletes without firing DELETE triggers) is refused by a BEFORE INSERT trigger per key.

def _other_columns(table: str, mutable: tuple[str, ...]) -> list[str]:
    columns = [c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)]
    return [name for name in columns if name not in mutable]


def _create_triggers():
    if op.get_bind().dialect.name == "postgresql":
        kept = " - ".join(f"'{name}'" for name in CANCELLATION)
        op.execute(f"""
            CREATE FUNCTION backoffice_receipt_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR OLD.cancelled_at IS NOT NULL OR NEW.cancelled_at IS NULL
                   OR coalesce(trim(NEW.cancel_reason), '') = ''
                   OR (to_jsonb(NEW) - {kept}) IS DISTINCT FROM (to_jsonb(OLD) - {kept}) THEN
                    RAISE EXCEPTION 'receipts: {FROZEN}: % refused (only its cancellation is '
                                    'recorded, once)', TG_OP;
                END IF;
                RETURN NEW;
            END $$""")
        op.execute(f"""
            CREATE FUNCTION backoffice_receipt_gift_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    IF EXISTS (SELECT 1 FROM receipts WHERE id = NEW.receipt_id
                               AND cancelled_at IS NOT NULL) THEN
                        RAISE EXCEPTION 'receipt_gifts: {FROZEN}: INSERT into a cancelled '
                                        'receipt refused';
                    END IF;
                    RETURN NEW;
                END IF;
                IF TG_OP = 'DELETE' OR OLD.cancelled OR NOT NEW.cancelled
                   OR (to_jsonb(NEW) - 'cancelled') IS DISTINCT FROM (to_jsonb(OLD) - 'cancelled')
                   OR NOT EXISTS (SELECT 1 FROM receipts WHERE id = OLD.receipt_id
                                  AND cancelled_at IS NOT NULL) THEN
                    RAISE EXCEPTION 'receipt_gifts: {FROZEN}: % refused (only the gifts of a '
                                    'cancelled receipt are marked cancelled)', TG_OP;
                END IF;
                RETURN NEW;
            END $$""")
        op.execute("CREATE TRIGGER receipts_frozen BEFORE UPDATE OR DELETE ON receipts "
                   "FOR EACH ROW EXECUTE FUNCTION backoffice_receipt_frozen()")
        op.execute("CREATE TRIGGER receipt_gifts_frozen BEFORE INSERT OR UPDATE OR DELETE "
                   "ON receipt_gifts FOR EACH ROW EXECUTE FUNCTION backoffice_receipt_gift_frozen()")
        for table in ("receipts", "receipt_gifts"):
            # backoffice_refuse_change() is created by migration 0001.
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION backoffice_refuse_change()")
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _other_columns("receipts", CANCELLATION))
    op.execute(f"CREATE TRIGGER receipts_frozen_update BEFORE UPDATE ON receipts WHEN "
               f"OLD.cancelled_at IS NOT NULL OR NEW.cancelled_at IS NULL OR "
               f"coalesce(trim(NEW.cancel_reason), '') = '' OR {changed} "
               f"BEGIN SELECT RAISE(ABORT, 'receipts: {FROZEN}: UPDATE refused (only its "
               f"cancellation is recorded, once)'); END")
    op.execute(f"CREATE TRIGGER receipts_frozen_delete BEFORE DELETE ON receipts "
               f"BEGIN SELECT RAISE(ABORT, 'receipts: {FROZEN}: DELETE refused'); END")
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}"
                          for c in _other_columns("receipt_gifts", ("cancelled",)))
    op.execute(f"CREATE TRIGGER receipt_gifts_frozen_update BEFORE UPDATE ON receipt_gifts WHEN "
               f"OLD.cancelled OR NOT NEW.cancelled OR {changed} OR NOT EXISTS (SELECT 1 FROM "
               f"receipts WHERE id = OLD.receipt_id AND cancelled_at IS NOT NULL) "
               f"BEGIN SELECT RAISE(ABORT, 'receipt_gifts: {FROZEN}: UPDATE refused (only the "
               f"gifts of a cancelled receipt are marked cancelled)'); END")
    op.execute(f"CREATE TRIGGER receipt_gifts_frozen_delete BEFORE DELETE ON receipt_gifts "
               f"BEGIN SELECT RAISE(ABORT, 'receipt_gifts: {FROZEN}: DELETE refused'); END")
    op.execute(f"CREATE TRIGGER receipt_gifts_frozen_insert BEFORE INSERT ON receipt_gifts WHEN "
               f"EXISTS (SELECT 1 FROM receipts WHERE id = NEW.receipt_id AND cancelled_at IS "
               f"NOT NULL) BEGIN SELECT RAISE(ABORT, 'receipt_gifts: {FROZEN}: INSERT into a "
               f"cancelled receipt refused'); END")
    refuse_replace(op, "receipts")
    refuse_replace(op, "receipt_gifts")


def _drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS receipts_frozen ON receipts")
        op.execute("DROP TRIGGER IF EXISTS receipt_gifts_frozen ON receipt_gifts")
        for table in ("receipts", "receipt_gifts"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS backoffice_receipt_frozen()")
        op.execute("DROP FUNCTION IF EXISTS backoffice_receipt_gift_frozen()")
        return
    for name in ("receipts_frozen_update", "receipts_frozen_delete", "receipts_no_replace",
                 "receipt_gifts_frozen_update", "receipt_gifts_frozen_delete",
                 "receipt_gifts_frozen_insert", "receipt_gifts_no_replace"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
