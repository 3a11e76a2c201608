"""Meeting times and voting deadlines are typed and read on the association's clock (``TIMEZONE``,
Europe/Berlin by default) and kept in UTC: 19:00 typed in December is 18:00 UTC, shown as
19:00 MEZ on the page and in the invitation."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from email import message_from_bytes, policy

import pytest

from backoffice.board import services, wording
from backoffice.board.models import Meeting, Presence, Resolution
from backoffice.core.db import transaction
from backoffice.core.outbox import OutboxMail
from backoffice.core.permissions import Role
from backoffice.extensions import db

from ..helpers import login, post_form

BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(("day", "at", "kept"), [
    (date(2030, 12, 10), time(19, 0), datetime(2030, 12, 10, 18, 0, tzinfo=UTC)),  # MEZ, +1
    (date(2030, 7, 1), time(19, 0), datetime(2030, 7, 1, 17, 0, tzinfo=UTC)),       # MESZ, +2
    (date(2030, 1, 1), time(0, 30), datetime(2029, 12, 31, 23, 30, tzinfo=UTC)),    # day before
    # 02:30 does not exist on 31 March 2030 (the clock jumps from 02:00 to 03:00): 03:30 MESZ
    (date(2030, 3, 31), time(2, 30), datetime(2030, 3, 31, 1, 30, tzinfo=UTC)),
])
def test_a_typed_time_is_the_associations_clock_kept_in_utc(day, at, kept):
    assert wording.typed(day, at, BERLIN) == kept
    assert wording.typed(day, at, "UTC") == datetime.combine(day, at, tzinfo=UTC)


def test_a_kept_moment_is_written_on_the_associations_clock_with_its_zone():
    winter, summer = datetime(2030, 12, 10, 18, tzinfo=UTC), datetime(2030, 7, 1, 17, tzinfo=UTC)
    assert wording.moment(winter, "de_DE", "short", BERLIN) == "10.12.2030 19:00 MEZ"
    assert wording.moment(summer, "de_DE", "long", BERLIN) == "Montag, 1. Juli 2030, 19:00 MESZ"
    assert wording.moment(winter, "en", "short", "UTC") == "2030-12-10 18:00 UTC"
    # the day of a late-evening moment is the association's day, not UTC's
    new_year = datetime(2030, 12, 31, 23, 30, tzinfo=UTC)
    assert wording.moment(new_year, "de_DE", "day", BERLIN) == "1. Januar 2031"


def test_the_meeting_page_keeps_utc_and_shows_and_mails_the_typed_time(client, board):
    login(client, Role.BOARD)
    new = f"/board/bodies/{board.body.id}/meetings/new"
    response = post_form(client, new, {"title": "Winter meeting", "day": "2030-12-10",
                                       "at": "19:00", "place": "Office",
                                       "agenda": "Budget"}, token_from=new)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    meeting = db.session.query(Meeting).one()
    assert meeting.starts_at == datetime(2030, 12, 10, 18, 0, tzinfo=UTC)
    page = client.get(response.location).get_data(as_text=True)
    assert "19:00" in page and "18:00" not in page
    invited = post_form(client, f"{response.location}/invite", {}, token_from=response.location)
    assert invited.status_code == 302, invited.get_data(as_text=True)[:1000]
    invitation = db.session.query(OutboxMail).filter(
        OutboxMail.recipients == board.chair.email).one()
    body = message_from_bytes(invitation.message, policy=policy.default).get_body(
        ("plain",)).get_content()
    assert "19:00" in body and "18:00" not in body


def test_a_circular_votes_until_the_end_of_the_associations_day(client, board):
    login(client, Role.BOARD)
    new = f"/board/bodies/{board.body.id}/circulars/new"
    response = post_form(client, new, {"title": "Buy a projector", "text": "We buy one.",
                                       "subject_kind": "none", "deadline": "2030-12-10"},
                         token_from=new)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    resolution = db.session.query(Resolution).one()
    assert resolution.deadline == datetime(2030, 12, 10, 22, 59, 59, tzinfo=UTC)
    assert "23:59" in client.get(response.location).get_data(as_text=True)


def test_a_meeting_after_midnight_in_berlin_is_on_the_new_day_and_numbers_in_the_new_year(board):
    """00:30 on 1 January 2031 in Berlin is 23:30 UTC on New Year's Eve: who is in office, the
    notice and its resolutions' numbers go by 1 January."""
    session = db.session
    starts = datetime(2030, 12, 31, 23, 30, tzinfo=UTC)
    with transaction():
        meeting = services.schedule(session, board.body, title="New Year", starts_at=starts,
                                    place="Office", items=[services.ItemInput("Projector")],
                                    actor=board.secretary_user)
        services.invite(session, meeting, today=date(2030, 12, 1), actor=board.secretary_user)
        services.open_meeting(session, meeting, board.secretary_user)
        for term in services.members_of(session, meeting):
            services.record_attendance(session, meeting, term, Presence.PRESENT,
                                       actor=board.secretary_user)
        resolution = services.propose(session, meeting.items[0], title="Buy a projector",
                                      text="We buy one.", actor=board.secretary_user)
    assert meeting.day == date(2031, 1, 1)
    assert resolution.year == 2031 and "2031" in resolution.number
