"""A board of three (chair, treasurer, member) with the demo statutes' rules, built with the
real services; a meeting helper that takes it from the invitation to the open session."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from backoffice.board import services
from backoffice.board.models import Body, BodyKind, Function, Meeting, Presence, SubjectKind
from backoffice.board.rules import PRESETS, Choice
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db


@dataclass
class Board:
    body: Body
    chair: object
    treasurer: object
    member: object
    secretary_user: object

    @property
    def terms(self):
        return [self.chair, self.treasurer, self.member]


@pytest.fixture
def board(app, users):
    session = db.session
    actor = users[Role.ADMIN]
    start = clock.today() - timedelta(days=400)
    with transaction():
        body = services.create_body(session, kind=BodyKind.BOARD, name="Board", code="B",
                                    rules=PRESETS["demo_statutes"]["board"], actor=actor)
        chair = services.appoint(session, body, name="Ada Chair", email=users[Role.BOARD].email,
                                 user_id=users[Role.BOARD].id, function=Function.CHAIR,
                                 start_on=start, represents=True, actor=actor)
        treasurer = services.appoint(session, body, name="Tom Treasurer",
                                     email=users[Role.TREASURER].email,
                                     user_id=users[Role.TREASURER].id,
                                     function=Function.TREASURER, start_on=start,
                                     represents=True, actor=actor)
        member = services.appoint(session, body, name="Mia Member", email="mia@board.example",
                                  function=Function.MEMBER, start_on=start,
                                  end_on=clock.today() + timedelta(days=30), actor=actor)
    return Board(body, chair, treasurer, member, actor)


def meeting_in_session(board: Board, *, items=None, days_ahead: int = 0, present=None,
                       actor=None) -> Meeting:
    """A meeting invited in time (or not: ``days_ahead``), opened, everybody present."""
    session = db.session
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_ahead)
    items = items or [services.ItemInput("Approve the annual budget",
                                         subject_kind=SubjectKind.ANNUAL_BUDGET,
                                         subject_id=starts.year)]
    with transaction():
        meeting = services.schedule(session, board.body, title="Board meeting", starts_at=starts,
                                    place="Office", items=items, actor=actor)
        services.invite(session, meeting, today=starts.date() - timedelta(days=30), actor=actor)
        services.open_meeting(session, meeting, actor)
        for term in board.terms:
            if present is None or term in present:
                services.record_attendance(session, meeting, term, Presence.PRESENT, actor=actor)
    return meeting


def vote_all(resolution, board: Board, choices, actor) -> None:
    with transaction():
        for term, choice in zip(board.terms, choices):
            if choice is not None:
                services.cast(db.session, resolution, term, Choice(choice), actor=actor)
