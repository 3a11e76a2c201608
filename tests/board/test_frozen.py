"""Approved minutes and closed resolutions never change, whoever connects: every statement the two
databases offer is tried from a connection of its own (``tests/core/test_tampering``'s attempts)."""
from __future__ import annotations

import pytest

from backoffice.board import services
from backoffice.board.models import SubjectKind
from backoffice.core.db import transaction
from backoffice.core.protection import unique_keys
from backoffice.extensions import db

from ..core.test_tampering import _attempts, _outcomes
from ..outsider import Outsider
from .conftest import meeting_in_session, vote_all

FROZEN = {  # table -> (the row to attack, the column to change)
    "board_meetings": ("SELECT * FROM board_meetings WHERE minutes_approved_at IS NOT NULL",
                       "title"),
    "board_agenda_items": ("SELECT i.* FROM board_agenda_items i JOIN board_meetings m "
                           "ON m.id = i.meeting_id WHERE m.minutes_approved_at IS NOT NULL",
                           "minutes"),
    "board_attendance": ("SELECT a.* FROM board_attendance a JOIN board_meetings m "
                         "ON m.id = a.meeting_id WHERE m.minutes_approved_at IS NOT NULL",
                         "presence"),
    "board_resolutions": ("SELECT * FROM board_resolutions WHERE status <> 'open'", "text"),
    "board_votes": ("SELECT * FROM board_votes", "via"),
    "board_recusals": None,
    "board_addenda": ("SELECT * FROM board_addenda", "text"),
}
REFUSED = ("never change", "append-only", "a row with the same key exists")


@pytest.fixture
def approved(board):
    """A meeting whose minutes the next meeting approved, with an addendum."""
    session = db.session
    first = meeting_in_session(board, actor=board.secretary_user)
    with transaction():
        resolution = services.propose(session, first.items[0], title="Budget", text="Approved.",
                                      actor=board.secretary_user)
    vote_all(resolution, board, ["yes", "no", "yes"], board.secretary_user)
    with transaction():
        services.close_vote(session, resolution, board.secretary_user)
        services.write_minutes(session, first.items[0], "Discussed.", board.secretary_user)
        services.close_meeting(session, first, board.secretary_user)
    second = meeting_in_session(board, actor=board.secretary_user, items=[services.ItemInput(
        "Minutes", subject_kind=SubjectKind.MINUTES, subject_id=first.id)])
    with transaction():
        approval = services.propose(session, second.items[0], title="Minutes", text="Approved.",
                                    actor=board.secretary_user)
    vote_all(approval, board, ["yes", "yes", "yes"], board.secretary_user)
    with transaction():
        services.close_vote(session, approval, board.secretary_user)
        services.approve_minutes(session, first, approval, board.secretary_user)
        services.add_addendum(session, first, "A correction.", actor=board.secretary_user)
    return first


def assert_unchangeable(backend: str, table: str, select: str, column: str, refused,
                        more: dict | None = None) -> None:
    """Every statement of ``_attempts`` (and ``more``: name -> (statement, parameters), with
    the row's id) on the first row ``select`` finds is refused, and the table is as before."""
    keys = unique_keys(db.engine, table)
    with Outsider(db.engine.url) as outsider:
        row = outsider.row(select + " ORDER BY 1 LIMIT 1")
        before = outsider.snapshot(table)
        attempts = _attempts(backend, table, row, keys, column)
        attempts |= {name: (statement, (row["id"],))
                     for name, statement in (more or {}).items()}
        outcome = _outcomes(outsider, table, attempts, refused)
        assert outcome == dict.fromkeys(attempts, "refused")
        assert outsider.snapshot(table) == before


@pytest.mark.parametrize("table", [t for t, v in FROZEN.items() if v])
def test_no_statement_changes_approved_minutes_or_a_closed_vote(approved, backend, table):
    assert_unchangeable(backend, table, *FROZEN[table], REFUSED)


def test_nothing_is_added_to_approved_minutes_or_a_closed_vote(approved, backend):
    meeting = approved.id
    item = approved.items[0].id
    resolution = approved.items[0].resolutions[0].id
    term = approved.attendance[0].term_id
    with Outsider(db.engine.url) as outsider:
        inserts = {
            "an agenda item": (
                "INSERT INTO board_agenda_items (meeting_id, position, title, description, "
                "announced, any_other_business, subject_kind, minutes, present) "
                "VALUES (?, 99, 'Added later', '', ?, ?, 'none', 'Invented', '[]')",
                (meeting, True, False)),
            "a vote": ("INSERT INTO board_votes (resolution_id, term_id, choice, weight, via, "
                       "cast_at) VALUES (?, 999, 'yes', 1, 'app', '2026-01-01 00:00:00')",
                       (resolution,)),
            "a recusal": ("INSERT INTO board_recusals (resolution_id, term_id, reason) "
                          "VALUES (?, ?, 'invented')", (resolution, term)),
            "an attendance": ("INSERT INTO board_attendance (meeting_id, term_id, presence) "
                              "VALUES (?, 999, 'present')", (meeting,)),
        }
        for what, (statement, parameters) in inserts.items():
            with pytest.raises(Exception, match="never change") as refused:
                outsider.execute(statement, parameters)
            assert "refused" in str(refused.value), what
    assert item


def test_an_open_meeting_and_an_open_vote_still_change(board, backend):
    """The triggers freeze only what is approved or closed."""
    meeting = meeting_in_session(board, actor=board.secretary_user)
    with transaction():
        resolution = services.propose(db.session, meeting.items[0], title="B", text="t",
                                      actor=board.secretary_user)
    vote_all(resolution, board, ["yes", None, None], board.secretary_user)
    with Outsider(db.engine.url) as outsider:
        outsider.execute("UPDATE board_agenda_items SET minutes = 'draft' WHERE meeting_id = ?",
                         (meeting.id,))
        outsider.execute("UPDATE board_votes SET choice = 'no' WHERE resolution_id = ?",
                         (resolution.id,))
        assert outsider.rows("SELECT choice FROM board_votes WHERE resolution_id = ?",
                             (resolution.id,)) == [("no",)]
