"""The board in German (docs/I18N.md): a German visitor reads the dashboard and the meeting page
in German (the rules, the quorum, the tally and its stored reason, a recusal), a member whose
account is German gets the invitation in German, and minutes rendered in German are German; the
records keep their English (the stored reason, the audit log)."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from pypdf import PdfReader
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.board import minutes, notify, rules, services, wording
from backoffice.board.models import Resolution
from backoffice.core import clock
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.outbox import OutboxMail
from backoffice.core.permissions import Role
from backoffice.extensions import db

from ..helpers import email_for, form_tokens, login, post_form
from .conftest import meeting_in_session
from .test_minutes_pdf import _held_with_approval

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def test_a_german_visitor_reads_the_board_dashboard_in_german(client, board):
    meeting_in_session(board, actor=board.secretary_user)
    login(client, Role.BOARD)
    page = client.get("/board/", headers=GERMAN).get_data(as_text=True)
    for german in ("Nächste Sitzungen", "Gremien", "Endende Amtszeiten", "Offene Abstimmungen",
                   "Beschlüsse", "Amtsträger:innen", "Tagt",
                   "Vorstand"):
        assert german in page, german
    for english in ("Next meetings", "Bodies", "Terms ending", "Open votes", "People in office",
                    "In session"):
        assert english not in page, english
    assert "Next meetings" in client.get("/board/").get_data(as_text=True)  # English stays


def test_a_german_visitor_reads_the_meeting_page_in_german_and_the_record_stays_english(
        client, board):
    meeting, resolution, _ = _held_with_approval(board)
    login(client, Role.BOARD)
    page = client.get(f"/board/meetings/{meeting.id}", headers=GERMAN).get_data(as_text=True)
    for german in ("Beschlussfähig: 3 von 3 Mitgliedern anwesend oder vertreten",
                   "Anwesenheit", "Ladungsfrist: 7 Tage per E-Mail",
                   "Angenommen", "2 Ja · 1 Nein · 0 Enthaltungen",
                   "Grundlage: Abgegebene Stimmen (3), nötig 2; mehr als die Hälfte der "
                   "abgegebenen Stimmen nötig: 2 von 3",
                   "Mehrheit: mehr als die Hälfte", "Protokoll (PDF)", "Protokoll genehmigen",
                   "Abgehalten (Protokoll zu genehmigen)"):
        assert german in page, german
    for english in ("Quorate", "Attendance", "Notice:", "abstaining", "needed",
                    "Approve the minutes", "Held (minutes to approve)"):
        assert english not in page, english
    # what the resolution keeps is English, whoever reads it
    db.session.expire_all()
    kept = db.session.get(Resolution, resolution.id)
    assert kept.outcome_reason == "more than half of the votes cast needed: 2 of 3"
    summary = db.session.scalars(select(AuditEvent.summary).where(
        AuditEvent.action == "board.decided", AuditEvent.object_id == str(resolution.id))).one()
    assert "2 yes, 1 no, 0 abstaining: passed" in summary


def test_a_stored_reason_reads_in_the_readers_language_and_unknown_text_stays():
    german = wording.translator("de_DE")
    assert rules.shown("organises the member group concerned (the group PyLadies)", german) == \
        "organisiert die betroffene Mitgliedsgruppe (die Gruppe PyLadies)"
    assert rules.shown("two thirds of the members present needed: 4 of 5", german) == \
        "zwei Drittel der anwesenden Mitglieder nötig: 4 von 5"
    assert rules.shown("not every member consented by the deadline", german) == \
        "nicht alle Mitglieder haben bis zur Frist zugestimmt"
    assert rules.shown("written by hand", german) == "written by hand"
    assert rules.shown("a tie fails") == "a tie fails"  # English without a request


def test_a_refused_vote_is_refused_in_german(client, board):
    meeting = meeting_in_session(board, actor=board.secretary_user, present=[board.chair])
    login(client, Role.BOARD)
    page = f"/board/meetings/{meeting.id}"
    item = meeting.items[0]
    post_form(client, f"/board/items/{item.id}/resolutions", {
        "title": "Budget", "text": "Approved.", "majority": ""}, token_from=page)
    resolution = db.session.scalars(select(Resolution)).one()
    response = client.post(f"/board/resolutions/{resolution.id}/votes/{board.member.id}/yes",
                           data=form_tokens(client, page), headers=GERMAN)
    shown = client.get(response.location, headers=GERMAN).get_data(as_text=True)
    assert "Mia Member ist nicht als anwesend oder vertreten erfasst." in shown


def test_the_invitation_goes_in_the_members_own_language(app, board):
    db.session.execute(db.update(User).where(User.email == email_for(Role.BOARD))
                       .values(locale="de_DE"))
    db.session.commit()
    actor = board.secretary_user
    with transaction():
        meeting = services.schedule(db.session, board.body, title="Frühjahrssitzung",
                                    starts_at=datetime.now(UTC).replace(microsecond=0)
                                    + timedelta(days=2),
                                    place="Büro", items=[services.ItemInput("Haushalt")],
                                    actor=actor)
        services.invite(db.session, meeting, today=clock.today(), actor=actor,
                        send=lambda term, m, warning: notify.invitation(
                            db.session, term, m, organisation="Python e.V.", link="https://x/",
                            locale="en", zone="Europe/Berlin"))
    mails = {row.recipients: message_from_bytes(row.message, policy=policy.default)
             for row in db.session.scalars(select(OutboxMail))}
    german = mails[email_for(Role.BOARD)]
    body = german.get_body(("plain",)).get_content()
    assert german["Subject"].startswith("Einladung: Frühjahrssitzung")
    assert "Tagesordnung:" in body and "Bitte beachten Sie: Die Einladung geht" in body
    english = mails["mia@board.example"].get_body(("plain",)).get_content()
    assert "Agenda:" in english and "Please note: the invitation goes out" in english


def test_the_minutes_rendered_in_german_are_german(board):
    meeting, resolution, _ = _held_with_approval(board)
    data = minutes.pdf(db.session, meeting, organisation="Python e.V.", today=clock.today(),
                       locale="de_DE")
    words = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data))
                                         .pages))
    for german in ("Protokoll: Board meeting", "Entwurf: noch nicht genehmigt",
                   f"Beschluss {resolution.number}: Budget approved",
                   "Angenommen: 2 Ja, 1 Nein, 0 Enthaltungen",
                   "Grundlage Abgegebene Stimmen (3), nötig 2",
                   "Bei diesem Tagesordnungspunkt anwesend", "Anwesenheit", "Ada Chair: Anwesend",
                   "gedruckt am"):
        assert german in words, german
    for english in ("Minutes:", "Draft", "abstaining", "Present for this item", "printed"):
        assert english not in words, english
    english = minutes.pdf(db.session, meeting, organisation="Python e.V.", today=clock.today())
    assert "Passed: 2 yes, 1 no, 0 abstaining" in re.sub(
        r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(english)).pages))
