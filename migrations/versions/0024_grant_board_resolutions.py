"""Grants: an award above the board threshold names the board's resolution
(``grant_applications.board_resolution_id``); the free-text references already stored become
resolutions of the board records, with what the interim confirmations said.

Each application with a ``board_resolution_ref`` gets a passed resolution of the board (the first
body of kind ``board``; one named "Board" is created if there is none): numbered in the board's
series for the year it was decided, naming the application and the amount awarded, its text
saying which reference it was and who confirmed it in the app (``grant_board_confirmations``),
its tally the confirmations (yes = the members who confirmed). It is recorded as decided in
writing on the day of the award, and the application points to it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

bodies = sa.table("board_bodies", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                  sa.column("name", sa.String), sa.column("code", sa.String),
                  sa.column("rules", sa.JSON), sa.column("public", sa.Boolean))
resolutions = sa.table(
    "board_resolutions", *(sa.column(name, kind) for name, kind in (
        ("id", sa.Integer), ("body_id", sa.Integer), ("year", sa.Integer),
        ("sequence", sa.Integer), ("number", sa.String), ("deadline", sa.DateTime),
        ("title", sa.String), ("text", sa.Text), ("subject_kind", sa.String),
        ("subject_id", sa.Integer), ("amount", sa.Integer), ("currency", sa.String),
        ("majority", sa.String), ("status", sa.String), ("public", sa.Boolean),
        ("created_at", sa.DateTime), ("decided_at", sa.DateTime), ("yes", sa.Integer),
        ("no", sa.Integer), ("abstain", sa.Integer), ("invalid", sa.Integer),
        ("excluded", sa.Integer), ("basis", sa.String), ("base", sa.Integer),
        ("needed", sa.Integer), ("outcome_reason", sa.String), ("entitled", sa.JSON))))


FK = "fk_grant_applications_board_resolution_id_board_resolutions"


def _copying(change) -> None:
    """Run ``change(batch_op)`` on grant_applications. SQLite copies the table to change a
    foreign key, and other tables refer to it with ON DELETE CASCADE (the board confirmations,
    reviews, files): the copy runs with foreign keys off (outside a transaction, as SQLite
    requires), and ``PRAGMA foreign_key_check`` must find nothing before they are on again
    (as migration 0008 does)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table("grant_applications", schema=None) as batch_op:
            change(batch_op)
        return
    raw = bind.connection.dbapi_connection
    if raw.in_transaction:
        raw.commit()
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("grant_applications", recreate="always") as batch_op:
            change(batch_op)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by copying grant_applications: {broken[:5]}")
        raw.commit()
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _add(batch_op) -> None:
    batch_op.add_column(sa.Column("board_resolution_id", sa.Integer(), nullable=True))
    batch_op.create_foreign_key(FK, "board_resolutions", ["board_resolution_id"], ["id"])


def _drop(batch_op) -> None:
    batch_op.drop_constraint(FK, type_="foreignkey")
    batch_op.drop_column("board_resolution_id")


def upgrade():
    _copying(_add)
    _migrate_references()


def _board(bind) -> tuple[int, str]:
    found = bind.execute(sa.text("SELECT id, code FROM board_bodies WHERE kind = 'board' "
                                 "ORDER BY id LIMIT 1")).first()
    if found:
        return found.id, found.code
    bind.execute(bodies.insert().values(kind="board", name="Board", code="B", rules={},
                                        public=False))
    found = bind.execute(sa.text("SELECT id, code FROM board_bodies WHERE code = 'B'")).first()
    return found.id, found.code


def _migrate_references():
    bind = op.get_bind()
    applications = bind.execute(sa.text(
        "SELECT id, board_resolution_ref, amount_awarded, currency, decided_at "
        "FROM grant_applications WHERE board_resolution_ref IS NOT NULL ORDER BY id")).all()
    if not applications:
        return
    body_id, code = _board(bind)
    for application in applications:
        confirmers = bind.execute(sa.text(
            "SELECT DISTINCT u.email FROM grant_board_confirmations c JOIN users u "
            "ON u.id = c.member_id WHERE c.application_id = :a AND c.reference = :r "
            "ORDER BY u.email"), {"a": application.id, "r": application.board_resolution_ref}
        ).scalars().all()
        decided = application.decided_at or datetime.now(UTC)
        if isinstance(decided, str):
            decided = datetime.fromisoformat(decided)
        year = decided.year
        sequence = (bind.execute(sa.text(
            "SELECT max(sequence) FROM board_resolutions WHERE body_id = :b AND year = :y"),
            {"b": body_id, "y": year}).scalar() or 0) + 1
        confirmed = (f"confirmed in the app by {', '.join(confirmers)}" if confirmers
                     else "not confirmed in the app (at or below the threshold when awarded)")
        bind.execute(resolutions.insert().values(
            body_id=body_id, year=year, sequence=sequence, number=f"{code}-{year}-{sequence:03d}",
            deadline=decided, title=f"Grant award: reference {application.board_resolution_ref}",
            text=(f"Recorded from the grant's board resolution reference "
                  f"{application.board_resolution_ref!r}, {confirmed}, before the board records "
                  "existed."),
            subject_kind="grant_application", subject_id=application.id,
            amount=application.amount_awarded, currency=application.currency,
            majority="simple", status="passed", public=False, created_at=decided,
            decided_at=decided, yes=len(confirmers), no=0, abstain=0, invalid=0, excluded=0,
            basis="votes_cast", base=len(confirmers), needed=len(confirmers),
            outcome_reason=f"recorded from reference {application.board_resolution_ref}"[:300],
            entitled=[{"name": email, "weight": 1, "present": True, "recused": False,
                       "reason": ""} for email in confirmers]))
        resolution_id = bind.execute(sa.text(
            "SELECT id FROM board_resolutions WHERE body_id = :b AND year = :y AND sequence = :s"),
            {"b": body_id, "y": year, "s": sequence}).scalar()
        bind.execute(sa.text("UPDATE grant_applications SET board_resolution_id = :r WHERE id = :a"),
                     {"r": resolution_id, "a": application.id})


def downgrade():
    # The resolutions recorded stay (a closed resolution never changes); 0022's downgrade drops
    # them with the board's tables.
    _copying(_drop)
