"""The auditors' checklist: a recorded seed draws the same sample again, picked entries, items
checked or queried with notes, the report refused while an item is open, rendered and stored
once with its SHA-256, the discharge resolution refused without it and linked to it; an auditor
never sits on the board they audit (both ways) and the discharge vote excludes the board of the
period."""
from __future__ import annotations

import hashlib
import io
import random
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.board import audit, services
from backoffice.board.audit_models import AuditStatus, ItemState
from backoffice.board.models import BodyKind, Document, DocumentKind, Function, SubjectKind
from backoffice.board.rules import PRESETS
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import AlreadyDone, InvalidTransition, ValidationError
from backoffice.core.permissions import Role
from backoffice.core.uploads import StoredFile, read_stored
from backoffice.extensions import db
from backoffice.ledger.periods import FiscalYear

from ..helpers import csrf_token, login
from .audit_helpers import YEAR, auditors_of, book_entries

CALENDAR = FiscalYear(1)
_entries = book_entries


@pytest.fixture
def auditors(board):
    return auditors_of(board)


def _started(auditors, actor):
    with transaction():
        return audit.start(db.session, auditors, year=YEAR, fiscal=CALENDAR, actor=actor)


def test_the_recorded_seed_draws_the_same_sample_again(auditors, users):
    ids = _entries(30)
    _entries(3, YEAR + 1)  # outside the fiscal year: never drawn
    actor = users[Role.AUDITOR]
    found = _started(auditors, actor)
    with transaction():
        audit.draw(db.session, found, size=8, seed=4242, actor=actor)
    drawn = [item.entry_id for item in found.items]
    assert drawn == random.Random(4242).sample(ids, 8)
    assert found.seed == 4242 and {i.origin for i in found.items} == {"random"}
    with pytest.raises(AlreadyDone, match="drawn already"):
        audit.draw(db.session, found, size=3, actor=actor)
    # a new seed is chosen and recorded when none is given
    with transaction():
        other = audit.start(db.session, auditors, year=YEAR - 1, fiscal=CALENDAR, actor=actor)
    _entries(4, YEAR - 1)
    with transaction():
        audit.draw(db.session, other, size=10, actor=actor)
    assert other.seed is not None and len(other.items) == 4  # no more than the year has


def test_fiscal_years_not_the_calendar_follow_the_setting(auditors, users):
    with transaction():
        found = audit.start(db.session, auditors, year=YEAR, fiscal=FiscalYear(7),
                            actor=users[Role.AUDITOR])
    assert (found.starts_on, found.ends_on) == (date(YEAR, 7, 1), date(YEAR + 1, 6, 30))
    with pytest.raises(AlreadyDone):
        audit.start(db.session, auditors, year=YEAR, fiscal=CALENDAR, actor=users[Role.AUDITOR])


def test_picked_entries_join_the_sample_once_and_only_from_the_year(auditors, users):
    ids = _entries(5)
    outside = _entries(1, YEAR + 1)[0]
    actor = users[Role.AUDITOR]
    found = _started(auditors, actor)
    with transaction():
        audit.pick(db.session, found, ids[2], actor=actor)
    with pytest.raises(AlreadyDone):
        audit.pick(db.session, found, ids[2], actor=actor)
    with pytest.raises(ValidationError, match="booked in the fiscal year"):
        audit.pick(db.session, found, outside, actor=actor)
    with pytest.raises(ValidationError, match="booked in the fiscal year"):
        audit.pick(db.session, found, 999_999, actor=actor)
    db.session.rollback()
    with transaction():
        audit.draw(db.session, found, size=5, seed=1, actor=actor)
    assert sorted(i.entry_id for i in found.items) == sorted(ids)  # the picked one once
    assert [i.origin for i in found.items].count("picked") == 1


def test_items_are_checked_or_queried_with_a_note_and_the_report_waits_for_all(auditors, users):
    ids = _entries(3)
    actor = users[Role.AUDITOR]
    found = _started(auditors, actor)
    with pytest.raises(ValidationError, match="Sample entries first"):
        audit.finish(db.session, found, audit.ReportInput("Fine.", "", True),
                     organisation="Org", folder="/nonexistent", today=clock.today(), actor=actor)
    with transaction():
        for entry_id in ids:
            audit.pick(db.session, found, entry_id, actor=actor)
    first, second, third = found.items
    with pytest.raises(ValidationError, match="what is queried"):
        audit.mark(db.session, first, "query", "  ", actor=actor)
    with transaction():
        audit.mark(db.session, first, "query", "Where is the receipt?", actor=actor)
        audit.mark(db.session, second, "check", "", actor=actor)
    assert (first.status, first.note) == (ItemState.QUERIED, "Where is the receipt?")
    with pytest.raises(AlreadyDone):
        audit.mark(db.session, second, "check", "", actor=actor)
    with pytest.raises(ValidationError, match="1 open"):
        audit.finish(db.session, found, audit.ReportInput("Fine.", "", True),
                     organisation="Org", folder="/nonexistent", today=clock.today(), actor=actor)
    with transaction():
        audit.mark(db.session, first, "check", "The receipt was found.", actor=actor)
    assert first.status is ItemState.CHECKED and first.checked_by_id == actor.id
    assert third.status is ItemState.OPEN


def _finish(found, actor, folder, recommend=True):
    with transaction():
        return audit.finish(db.session, found, audit.ReportInput(
            "We examined the books and the sampled entries.", "One receipt was late.",
            recommend), organisation="Example e.V.", folder=folder, today=clock.today(),
            actor=actor)


def _checked_audit(auditors, actor, count=3):
    ids = _entries(count)
    found = _started(auditors, actor)
    with transaction():
        audit.draw(db.session, found, size=count, seed=7, actor=actor)
        for item in found.items:
            audit.mark(db.session, item, "check", f"Fine {item.entry_id}", actor=actor)
    return found, ids


def test_the_report_is_rendered_stored_once_with_its_hash_and_freezes_the_audit(
        app, auditors, users, tmp_path):
    actor = users[Role.AUDITOR]
    found, ids = _checked_audit(auditors, actor)
    folder = str(tmp_path)
    document = _finish(found, actor, folder)
    assert found.status is AuditStatus.REPORTED and found.document_id == document.id
    stored = db.session.get(StoredFile, document.file_id)
    data = read_stored(stored, folder)
    assert hashlib.sha256(data).hexdigest() == document.sha256 == stored.sha256
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "recommend that the general assembly discharge the board" in text
    assert "One receipt was late." in text and "seed 7" in text
    assert f"#{ids[0]}" in text
    with pytest.raises(AlreadyDone, match="written already"):
        _finish(found, actor, folder)
    db.session.rollback()
    for attempt in (lambda: audit.pick(db.session, found, ids[0], actor=actor),
                    lambda: audit.mark(db.session, found.items[0], "query", "late", actor=actor)):
        with pytest.raises(InvalidTransition, match="changes no more"):
            attempt()
        db.session.rollback()
    assert db.session.scalar(select(Document).where(Document.id == document.id)).kind.value \
        == "audit_report"


def test_the_discharge_needs_the_report_and_excludes_the_board_of_the_year(
        auditors, board, users, tmp_path):
    from .conftest import meeting_in_session

    session = db.session
    actor = board.secretary_user
    items = [services.ItemInput("Discharge of the board", subject_kind=SubjectKind.DISCHARGE,
                                subject_id=YEAR)]
    with transaction():
        assembly = services.create_body(session, kind=BodyKind.ASSEMBLY, name="Assembly",
                                        code="GA", rules=PRESETS["demo_statutes"]["assembly"],
                                        actor=actor)
        for term in board.terms:
            services.appoint(session, assembly, name=term.name, email=term.email,
                             function=Function.MEMBER, start_on=date(YEAR - 1, 1, 1),
                             actor=actor)
        services.appoint(session, assembly, name="Olga Ordinary", email="olga@members.example",
                         function=Function.MEMBER, start_on=date(YEAR - 1, 1, 1), actor=actor)
    members = list(assembly.terms)

    class Assembly:  # what the meeting helper reads of a body: its row and the terms present
        body, terms = assembly, members
    meeting = meeting_in_session(Assembly, items=items, actor=actor)
    item = meeting.items[0]
    with pytest.raises(ValidationError, match="auditors' report"):
        services.propose(session, item, title="Discharge", text="The board is discharged.",
                         fiscal=CALENDAR, actor=actor)
    session.rollback()
    found, _ = _checked_audit(auditors, users[Role.AUDITOR])
    _finish(found, users[Role.AUDITOR], str(tmp_path))
    with transaction():
        resolution = services.propose(session, item, title="Discharge",
                                      text="The board is discharged.", fiscal=CALENDAR,
                                      actor=actor)
    recused = services.recused(session, resolution)
    sat = {t.id for t in assembly.terms if t.email in {b.email for b in board.terms}}
    assert set(recused) == sat and len(sat) == 3
    assert all("sat on the board" in reason for reason in recused.values())
    assert audit.report_for(session, YEAR).id == found.id


def test_an_auditor_cannot_join_the_board_they_audit_either(board, auditors):
    session = db.session
    # the auditor's term overlaps: refused on the board too
    with pytest.raises(ValidationError, match="cannot sit on the board they audit"):
        services.appoint(session, board.body, name="Kim Auditor", email="KIM@audit.example",
                         function=Function.MEMBER, start_on=clock.today(),
                         actor=board.secretary_user)
    session.rollback()
    with transaction():  # before the audit term began: allowed
        services.appoint(session, board.body, name="Kim Auditor", email="kim@audit.example",
                         function=Function.MEMBER, start_on=date(YEAR - 3, 1, 1),
                         end_on=date(YEAR - 1, 12, 31) - timedelta(days=1),
                         actor=board.secretary_user)


# --- the pages -----------------------------------------------------------------------------------

def _post(client, path, data, page):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_the_auditor_samples_checks_and_reports_from_the_pages(app, auditors, users, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    ids = _entries(6)
    client = app.test_client()
    login(client, Role.AUDITOR)
    assert client.get("/audits/").status_code == 200
    response = _post(client, "/audits/", {"auditors": auditors.id, "year": YEAR}, "/audits/")
    assert response.status_code == 302
    page = response.headers["Location"]
    audit_id = int(page.rstrip("/").split("/")[-1])
    assert _post(client, f"/audits/{audit_id}/draw", {"size": 0}, page).status_code == 400
    assert _post(client, f"/audits/{audit_id}/draw", {"size": 3, "seed": 11},
                 page).status_code == 302
    assert _post(client, f"/audits/{audit_id}/pick", {"entry": "x"}, page).status_code == 400
    picked = next(i for i in ids if i not in random.Random(11).sample(ids, 3))
    assert _post(client, f"/audits/{audit_id}/pick", {"entry": picked}, page).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert html.count('data-testid="item"') == 4 and "11" in html
    found = db.session.get(audit.Audit, audit_id)
    refused = _post(client, f"/audits/{audit_id}/report", {"text": "Fine."}, page)
    assert refused.status_code == 400 and "4 open" in refused.get_data(as_text=True)
    for item in found.items:
        assert _post(client, f"/audits/items/{item.id}", {"note": "ok", "check": "Checked"},
                     page).status_code == 302
    done = _post(client, f"/audits/{audit_id}/report",
                 {"text": "All in order.", "recommend_discharge": "y"}, page)
    assert done.status_code == 302
    db.session.expire_all()
    found = db.session.get(audit.Audit, audit_id)
    assert found.status is AuditStatus.REPORTED and found.recommend_discharge is True
    pdf = client.get(f"/audits/{audit_id}/report.pdf")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == \
        found.document.sha256
    # the board reads the report, and cannot work on the checklist
    board_client = app.test_client()
    login(board_client, Role.BOARD)
    assert board_client.get(f"/audits/{audit_id}/report.pdf").status_code == 200
    assert board_client.get("/audits/").status_code == 403
    # organisers see none of it
    other = app.test_client()
    login(other, Role.ORGANISER)
    assert other.get(f"/audits/{audit_id}/report.pdf").status_code == 403
    assert other.get(f"/audits/{audit_id}").status_code == 403


# --- the same change twice at once -----------------------------------------------------------------

def test_two_reports_at_once_store_one_and_two_draws_draw_once(app, auditors, users, tmp_path):
    from ..concurrency import at_once

    actor = users[Role.AUDITOR]
    found, _ = _checked_audit(auditors, actor)
    audit_id, actor_id, auditors_id = found.id, actor.id, auditors.id
    db.session.remove()

    def finish(session):
        from backoffice.auth.models import User
        with transaction():
            return audit.finish(session, session.get(audit.Audit, audit_id),
                                audit.ReportInput("Fine.", "", True), organisation="Org",
                                folder=str(tmp_path), today=clock.today(),
                                actor=session.get(User, actor_id)).id

    outcomes = at_once(app, [finish, finish])
    done = [o for o in outcomes if isinstance(o, int)]
    assert len(done) == 1, outcomes
    assert any(isinstance(o, AlreadyDone) for o in outcomes), outcomes
    assert db.session.scalar(select(func.count()).select_from(Document).where(
        Document.kind == DocumentKind.AUDIT_REPORT)) == 1

    from backoffice.auth.models import User
    from backoffice.board.models import Body
    with transaction():
        other = audit.start(db.session, db.session.get(Body, auditors_id), year=YEAR - 1,
                            fiscal=CALENDAR, actor=db.session.get(User, actor_id))
    book_entries(10, YEAR - 1)
    other_id = other.id
    db.session.remove()

    def draw(session):
        from backoffice.auth.models import User
        with transaction():
            return len(audit.draw(session, session.get(audit.Audit, other_id), size=5,
                                  actor=session.get(User, actor_id)))

    outcomes = at_once(app, [draw, draw])
    assert sorted(map(type, outcomes), key=str) == sorted([int, AlreadyDone], key=str), outcomes
    assert db.session.scalar(select(func.count()).select_from(audit.AuditItem).where(
        audit.AuditItem.audit_id == other_id)) == 5


def test_the_discharge_excludes_who_sat_on_the_board_in_a_fiscal_year_from_july(board, app):
    """With the fiscal year beginning in July, the discharge for ``YEAR`` is for July ``YEAR`` to
    June ``YEAR + 1`` (the setting ``FISCAL_YEAR_START_MONTH``, as circulars.propose reads it):
    who left the board in May ``YEAR`` votes, who joined in March ``YEAR + 1`` does not; the
    calendar year would have it the other way round."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from backoffice.board import circulars
    from backoffice.extensions import settings as app_settings

    session = db.session
    actor = board.secretary_user
    with transaction():
        left = services.appoint(session, board.body, name="Lea Left", email="lea@board.example",
                                function=Function.MEMBER, start_on=date(YEAR - 1, 1, 1),
                                end_on=date(YEAR, 5, 31), actor=actor)
        joined = services.appoint(session, board.body, name="Jo Joined",
                                  email="jo@board.example", function=Function.MEMBER,
                                  start_on=date(YEAR + 1, 3, 1), actor=actor)
        assembly = services.create_body(session, kind=BodyKind.ASSEMBLY, name="Assembly",
                                        code="GA", rules=PRESETS["demo_statutes"]["assembly"],
                                        actor=actor)
        for name, email in (("Lea Left", left.email), ("Jo Joined", joined.email),
                            ("Olga Ordinary", "olga@members.example")):
            services.appoint(session, assembly, name=name, email=email,
                             function=Function.MEMBER, start_on=date(YEAR - 1, 1, 1),
                             actor=actor)
    by_email = {t.email: t.id for t in assembly.terms}
    config = app_settings()
    july = replace(config, organisation=replace(config.organisation, fiscal_year_start_month=7))
    deadline = datetime.now(UTC) + timedelta(days=7)
    with transaction():
        resolution = circulars.propose(session, assembly, title="Discharge",
                                       text="The board is discharged.", deadline=deadline,
                                       subject_kind=SubjectKind.DISCHARGE, subject_id=YEAR,
                                       settings=july, actor=actor)
    recused = services.recused(session, resolution)
    assert set(recused) == {by_email[joined.email]}
    assert recused[by_email[joined.email]] == (
        f"sat on the board in the fiscal year {YEAR}-07-01 to {YEAR + 1}-06-30 (discharge)")
    with transaction():
        calendar = services.propose_circular(session, assembly, title="Discharge",
                                             text="The board is discharged.", deadline=deadline,
                                             subject_kind=SubjectKind.DISCHARGE, subject_id=YEAR,
                                             fiscal=CALENDAR, actor=actor)
    assert set(services.recused(session, calendar)) == {by_email[left.email]}
    assert services.discharge_period(YEAR, FiscalYear(7)) == (date(YEAR, 7, 1),
                                                              date(YEAR + 1, 6, 30))
    with pytest.raises(ValidationError, match="fiscal year"):
        services.discharge_period(99_999, FiscalYear(7))


def test_the_report_rendered_in_german_is_german(app, auditors, users):
    """The report is written in the association's language (``finish(locale=...)``)."""
    found, ids = _checked_audit(auditors, users[Role.AUDITOR])
    found.report_text, found.findings, found.recommend_discharge = "Alles geprüft.", "", True
    data = audit.render(db.session, found, organisation="Example e.V.", today=clock.today(),
                        locale="de_DE")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
                    .split())
    for german in ("Bericht der Kassenprüfung über das Geschäftsjahr",
                   "empfehlen der Mitgliederversammlung, den Vorstand für das Geschäftsjahr",
                   "3 Buchungen geprüft; die Zufallsstichprobe wurde mit Startwert 7 gezogen",
                   "Feststellungen", "Keine.", "zufällig gezogen", "Geprüft"):
        assert german in text, german
    for english in ("Auditors' report", "recommend that", "entries checked", "Findings"):
        assert english not in text, english
    db.session.rollback()
