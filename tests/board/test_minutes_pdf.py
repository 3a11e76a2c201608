"""Approved minutes are rendered once, at approval, and kept with their SHA-256: every later
download serves those bytes, whatever changes afterwards (a member's name, the association's
name, the day); an addendum gets its own kept PDF; a kept file that no longer matches its hash
is never served."""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text

from backoffice.board import minutes, services
from backoffice.board.models import Meeting, MeetingStatus, MinutesFile, SubjectKind, Term
from backoffice.core import clock, stored_settings
from backoffice.core.db import transaction
from backoffice.core.errors import Conflict
from backoffice.core.permissions import Role
from backoffice.core.uploads import StoredFile, key_of
from backoffice.extensions import db, forget_stored_settings
from backoffice.extensions import settings as app_settings

from ..helpers import login, post_form
from .conftest import meeting_in_session, vote_all


def _text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def _held_with_approval(board):
    """A held meeting with a passed resolution, and the next meeting's passed approval."""
    actor = board.secretary_user
    meeting = meeting_in_session(board, actor=actor)
    with transaction():
        resolution = services.propose(db.session, meeting.items[0], title="Budget approved",
                                      text="The budget is approved.", actor=actor)
    vote_all(resolution, board, ["yes", "yes", "no"], actor)
    with transaction():
        services.close_vote(db.session, resolution, actor)
        services.write_minutes(db.session, meeting.items[0], "Discussed **at length**.", actor)
        services.close_meeting(db.session, meeting, actor)
    second = meeting_in_session(board, actor=actor, items=[services.ItemInput(
        "Minutes", subject_kind=SubjectKind.MINUTES, subject_id=meeting.id)])
    with transaction():
        approval = services.propose(db.session, second.items[0], title="Minutes approved",
                                    text="Approved.", actor=actor)
    vote_all(approval, board, ["yes", "yes", "yes"], actor)
    with transaction():
        services.close_vote(db.session, approval, actor)
    return meeting, resolution, approval


def test_approval_keeps_the_pdf_and_later_changes_do_not_alter_the_served_bytes(client, board, app):
    meeting, resolution, approval = _held_with_approval(board)
    login(client, Role.BOARD)
    page = f"/board/meetings/{meeting.id}"
    draft = client.get(f"{page}/minutes.pdf")
    assert draft.status_code == 200 and "Draft: not approved yet" in _text(draft.data)
    assert db.session.scalars(select(MinutesFile)).all() == []  # drafts are not kept

    assert post_form(client, f"{page}/approve", {"resolution": approval.id},
                     token_from=page).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.APPROVED
    kept = db.session.scalars(select(MinutesFile)).one()
    assert kept.addendum_id is None
    stored = db.session.get(StoredFile, kept.file_id)
    on_disk = Path(app_settings().paths.uploads, key_of(kept.sha256)).read_bytes()
    assert hashlib.sha256(on_disk).hexdigest() == kept.sha256 == stored.sha256
    words = _text(on_disk)
    assert f"Resolution {resolution.number}: Budget approved" in words
    assert "Passed: 2 yes, 1 no, 0 abstaining" in words
    assert "Present for this item: " in words and "Mia Member" in words
    assert f"(resolution {approval.number})" in words and "Draft" not in words

    served = client.get(f"{page}/minutes.pdf")
    assert served.status_code == 200 and served.data == on_disk

    # what the rendering reads changes: a member's name (terms are not frozen), the association
    with transaction():
        db.session.get(Term, board.member.id).name = "Mia Renamed"
        stored_settings.save(db.session, app.config, {"ORGANISATION_NAME": "Renamed e.V."},
                             actor=None, instance_path=app.instance_path)
    forget_stored_settings()
    assert app_settings().organisation.name == "Renamed e.V."
    again = client.get(f"{page}/minutes.pdf")
    assert again.data == on_disk
    assert "Mia Renamed" not in _text(again.data) and "Renamed e.V." not in _text(again.data)
    assert minutes.pdf(db.session, db.session.get(Meeting, meeting.id),
                       organisation="x", today=clock.day_of(meeting.starts_at)) != on_disk
    assert len(db.session.scalars(select(MinutesFile)).all()) == 1  # never rendered again


def test_an_addendum_gets_its_own_kept_pdf(client, board):
    meeting, _, approval = _held_with_approval(board)
    login(client, Role.BOARD)
    page = f"/board/meetings/{meeting.id}"
    post_form(client, f"{page}/approve", {"resolution": approval.id}, token_from=page)
    minutes_bytes = client.get(f"{page}/minutes.pdf").data
    response = post_form(client, f"{page}/addenda", {"text": "The budget was EUR 12,000."},
                         token_from=page)
    assert response.status_code == 302
    db.session.expire_all()
    found = db.session.get(Meeting, meeting.id)
    [addendum] = found.addenda
    kept = db.session.scalar(select(MinutesFile).where(MinutesFile.addendum_id == addendum.id))
    served = client.get(f"{page}/addenda/{addendum.id}.pdf")
    assert served.status_code == 200
    assert hashlib.sha256(served.data).hexdigest() == kept.sha256
    assert "The budget was EUR 12,000." in _text(served.data)
    assert "Addendum to the minutes" in _text(served.data)
    assert client.get(f"{page}/minutes.pdf").data == minutes_bytes  # the minutes' file stays
    assert client.get(f"/board/meetings/{meeting.id + 1}/addenda/{addendum.id}.pdf"
                      ).status_code == 404


def test_a_kept_file_that_no_longer_matches_its_hash_is_never_served(client, board, app):
    meeting, _, approval = _held_with_approval(board)
    with transaction():
        minutes.approve(db.session, meeting, approval, actor=board.secretary_user)
    kept = minutes.keep(db.session, meeting, minutes.Printing(
        "Python e.V.", clock.day_of(meeting.starts_at), app_settings().paths.uploads))
    with open(f"{app_settings().paths.uploads}/{key_of(kept.sha256)}", "r+b") as changed:
        changed.seek(20)
        changed.write(b"tampered")
    with pytest.raises(Conflict, match="does not match its recorded SHA-256"):
        minutes.document(db.session, meeting, minutes.Printing(
            "Python e.V.", clock.day_of(meeting.starts_at), app_settings().paths.uploads))
    for statement in ("UPDATE board_minutes_files SET sha256 = 'x'", "DELETE FROM board_minutes_files"):
        with pytest.raises(Exception, match="append-only"), transaction():
            db.session.execute(text(statement))
