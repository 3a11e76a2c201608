"""Resolution numbers are gap-free per body and year, also when several people record
resolutions at the same moment: real threads, each with its own connection, on each database."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.board import services
from backoffice.board.models import Body, Resolution
from backoffice.core.db import transaction
from backoffice.extensions import db

from ..concurrency import at_once

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _record(body_id: int, actor_id: int, n: int, title: str):
    def job(session):
        made = []
        for k in range(n):
            with transaction(session):
                resolution = services.propose_circular(
                    session, session.get(Body, body_id), title=f"{title} {k}", text="Agreed.",
                    deadline=NOW + timedelta(days=7), actor=session.get(User, actor_id), now=NOW)
                made.append(resolution.number)
        return made
    return job


def test_resolutions_recorded_at_once_are_numbered_without_a_duplicate_or_a_gap(app, board):
    body_id, code, actor_id = board.body.id, board.body.code, board.secretary_user.id
    db.session.remove()

    outcome = at_once(app, [_record(body_id, actor_id, 5, f"Motion {t}") for t in range(4)])

    assert all(isinstance(made, list) for made in outcome), outcome
    numbers = sorted(number for made in outcome for number in made)
    assert numbers == [f"{code}-2026-{n:03d}" for n in range(1, 21)]
    sequences = db.session.scalars(select(Resolution.sequence).where(
        Resolution.body_id == body_id, Resolution.year == 2026)
        .order_by(Resolution.sequence)).all()
    assert sequences == list(range(1, 21))


def test_a_resolution_rolled_back_gives_its_number_back(app, board):
    try:
        with transaction():
            services.propose_circular(db.session, board.body, title="Withdrawn", text="x",
                                      deadline=NOW + timedelta(days=1),
                                      actor=board.secretary_user, now=NOW)
            raise RuntimeError("the page failed later")
    except RuntimeError:
        pass
    with transaction():
        kept = services.propose_circular(db.session, board.body, title="Kept", text="x",
                                         deadline=NOW + timedelta(days=1),
                                         actor=board.secretary_user, now=NOW)
    assert kept.number == f"{board.body.code}-2026-001"
