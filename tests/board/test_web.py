"""The board's pages: a meeting run from its page (invitation, attendance, one click per vote,
count, minutes, approval at the next meeting, PDF), circular votes by signed link, the
register, people on a date, conflicts, the public page, and who may do what."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from backoffice.board import circulars, links, services
from backoffice.board.models import Meeting, MeetingStatus, Resolution, ResolutionStatus
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.outbox import OutboxMail
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..helpers import login, post_form
from .conftest import meeting_in_session, vote_all


def _outbox(subject_part: str) -> list[SimpleNamespace]:
    """The mails queued with this in their subject: recipients and the plain-text body."""
    found = []
    for row in db.session.query(OutboxMail).order_by(OutboxMail.id):
        if subject_part in row.subject:
            message = message_from_bytes(row.message, policy=policy.default)
            found.append(SimpleNamespace(recipients=row.recipients, subject=row.subject,
                                         body=message.get_body(("plain",)).get_content()))
    return found


def test_a_meeting_from_its_page_to_approved_minutes_and_their_pdf(client, board):
    login(client, Role.BOARD)
    body = f"/board/bodies/{board.body.id}"
    day = clock.today() + timedelta(days=3)
    response = post_form(client, f"{body}/meetings/new", {
        "title": "Spring board meeting", "day": day.isoformat(), "at": "18:30",
        "place": "Office, Hauptstr. 1", "agenda": "Budget 2027\nAny other business"},
        token_from=f"{body}/meetings/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = response.location
    meeting = db.session.query(Meeting).one()
    # invited 3 days ahead: 7 days' notice asked, the warning says so and the mails go out
    response = post_form(client, f"{page}/invite", {}, token_from=page)
    html = client.get(response.location).get_data(as_text=True)
    assert "days late" in html
    invitations = _outbox("Invitation: Spring board meeting")
    assert sorted(m.recipients for m in invitations) == sorted(t.email for t in board.terms)
    assert "1. Budget 2027" in invitations[0].body and "Please note:" in invitations[0].body
    post_form(client, f"{page}/open", {}, token_from=page)
    for term in board.terms:
        post_form(client, f"{page}/attendance/{term.id}", {"presence": "present"}, token_from=page)
    assert "Quorate: 3 of 3" in client.get(page).get_data(as_text=True)
    item = meeting.items[0]
    response = post_form(client, f"/board/items/{item.id}/resolutions", {
        "title": "Budget 2027", "text": "The budget 2027 is approved as presented.",
        "majority": ""}, token_from=page)
    assert response.status_code == 302
    resolution = db.session.query(Resolution).one()
    for term, choice in zip(board.terms, ["yes", "yes", "no"]):
        response = post_form(client, f"/board/resolutions/{resolution.id}/votes/{term.id}/{choice}",
                             {}, token_from=page)
        assert response.status_code == 302
    post_form(client, f"/board/resolutions/{resolution.id}/close", {}, token_from=page)
    post_form(client, f"/board/items/{item.id}/minutes",
              {"minutes": "The treasurer **presents** the budget.<script>alert(1)</script>"},
              token_from=page)
    html = client.get(page).get_data(as_text=True)
    assert "<strong>presents</strong>" in html and "<script>alert(1)" not in html
    # a resolution under "any other business" is refused on the page too
    response = post_form(client, f"/board/items/{meeting.items[1].id}/resolutions",
                         {"title": "x", "text": "y", "majority": ""}, token_from=page)
    assert response.status_code == 400 and "carries no resolution" in response.get_data(as_text=True)
    post_form(client, f"{page}/close", {}, token_from=page)
    db.session.expire_all()
    assert meeting.status is MeetingStatus.HELD
    assert resolution.status is ResolutionStatus.PASSED and (resolution.yes, resolution.no) == (2, 1)

    # the next meeting approves the minutes
    second = meeting_in_session(board, actor=board.secretary_user, items=[services.ItemInput(
        "Minutes of the spring meeting", subject_kind=services.SubjectKind.MINUTES,
        subject_id=meeting.id)])
    with transaction():
        approval = services.propose(db.session, second.items[0], title="Minutes approved",
                                    text="The minutes are approved.", actor=board.secretary_user)
    vote_all(approval, board, ["yes", "yes", "abstain"], board.secretary_user)
    with transaction():
        services.close_vote(db.session, approval, board.secretary_user)
    response = post_form(client, f"{page}/approve", {"resolution": approval.id}, token_from=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.status is MeetingStatus.APPROVED
    pdf = client.get(f"{page}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Minutes: Spring board meeting" in text
    assert f"Resolution {resolution.number}: Budget 2027" in text
    assert "Passed: 2 yes, 1 no, 0 abstaining" in text
    assert "Present for this item: " in text and "Ada Chair" in text
    assert "Draft" not in text and f"(resolution {approval.number})" in text


def test_a_circular_vote_by_signed_links(client, board, app):
    settings = app_settings()
    now = datetime.now(UTC)
    with transaction():
        resolution = circulars.propose(db.session, board.body, title="New laptop",
                                       text="We buy a laptop for the treasurer.",
                                       deadline=now + timedelta(days=3), settings=settings,
                                       actor=board.secretary_user)
    mails = _outbox("Vote in writing")
    assert len(mails) == 3
    link = re.search(r"http://localhost(/board/vote/\S+)", mails[0].body).group(1)
    mine = next(t for t in board.terms if t.email == mails[0].recipients)
    page = client.get(link)
    assert page.status_code == 200 and "We buy a laptop" in page.get_data(as_text=True)
    # a changed link is refused
    tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    assert client.get(tampered).status_code == 403
    response = post_form(client, link, {"choice": "yes"}, token_from=link)
    assert response.status_code == 200 and "is recorded" in response.get_data(as_text=True)
    copies = _outbox(f"Your vote on {resolution.number}")
    assert [c.recipients for c in copies] == [mine.email] and "Yes" in copies[0].body
    # a second vote by the same link is refused and changes nothing
    response = post_form(client, link, {"choice": "no"}, token_from=link)
    assert response.status_code == 400 and "You voted Yes" in response.get_data(as_text=True)
    with pytest.raises(services.ValidationError, match="voted on .* already"):
        circulars.vote_by_link(db.session, link.rsplit("/", 1)[1], services.R.Choice.NO,
                               settings=settings)
    db.session.rollback()
    # the others agree: every member consented, the resolution passes at once
    for term in board.terms:
        if term.id != mine.id:
            with transaction():
                circulars.vote_by_link(db.session, links.make(settings.secret_key, resolution.id,
                                                              term.id),
                                       services.R.Choice.YES, settings=settings)
    db.session.expire_all()
    assert resolution.status is ResolutionStatus.PASSED and resolution.yes == 3
    assert "passed" in client.get(link).get_data(as_text=True).lower()


def test_an_expired_link_and_a_vote_after_the_deadline_are_refused(board, app):
    settings = app_settings()
    now = datetime.now(UTC)
    with transaction():
        resolution = circulars.propose(db.session, board.body, title="T", text="t",
                                       deadline=now + timedelta(days=1), settings=settings,
                                       actor=board.secretary_user)
    token = links.make(settings.secret_key, resolution.id, board.chair.id)
    with pytest.raises(services.PermissionDenied, match="expired"):
        links.read(settings.secret_key, token, max_age=timedelta(seconds=-1))
    with pytest.raises(services.ValidationError, match="deadline .* has passed"):
        circulars.vote_by_link(db.session, token, services.R.Choice.YES, settings=settings,
                               now=now + timedelta(days=2))
    db.session.rollback()
    # at the deadline the missing consents make it fail
    with transaction():
        assert services.settle_due(db.session, now + timedelta(days=2)) == 1
    assert resolution.status is ResolutionStatus.FAILED
    assert resolution.outcome_reason == "not every member consented by the deadline"


def test_the_register_searches_and_pages(client, board):
    meeting = meeting_in_session(board, actor=board.secretary_user)
    with transaction():
        for n in range(3):
            services.propose(db.session, meeting.items[0], title=f"Motion {n}",
                             text="About the roof" if n == 1 else "About the budget",
                             actor=board.secretary_user)
    login(client, Role.TREASURER)
    html = client.get("/board/resolutions?q=roof").get_data(as_text=True)
    assert "Motion 1" in html and "Motion 0" not in html and "1 resolution." in html
    assert client.get("/board/resolutions?year=abc").status_code == 400
    assert client.get("/board/resolutions?status=passed").status_code == 200


def test_people_on_a_date_and_the_representatives(client, board):
    login(client, Role.BOARD)
    later = (clock.today() + timedelta(days=45)).isoformat()
    html = client.get(f"/board/people?on={later}").get_data(as_text=True)
    assert "Ada Chair" in html and "Mia Member" not in html
    reps = client.get("/board/people").get_data(as_text=True)
    assert "Tom Treasurer" in reps


def test_pages_that_change_are_the_managers_and_the_public_page_is_opt_in(client, board):
    login(client, Role.TREASURER)  # sees the board, changes nothing
    assert client.get("/board/").status_code == 200
    assert client.get(f"/board/bodies/{board.body.id}").status_code == 200
    response = post_form(client, f"/board/bodies/{board.body.id}/meetings/new",
                         {"title": "x", "day": "2030-01-01", "at": "10:00", "place": "y"})
    assert response.status_code == 403
    assert client.get("/board/public").status_code == 404
    with transaction():
        board.body.public = True
    assert "Ada Chair" in client.get("/board/public").get_data(as_text=True)


def test_minutes_are_sanitised_when_shown():
    from backoffice.board.minutes import to_html
    html = str(to_html("# Heading\n**bold** <script>alert(1)</script> "
                       "<img src=x onerror=alert(2)> [link](javascript:alert(3)) "
                       "[ok](https://example.org)"))
    assert "<h3>Heading</h3>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as the text it is
    assert '<a href="https://example.org" rel="noopener">ok</a>' in html
