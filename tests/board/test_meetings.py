"""Meetings from the invitation to approved minutes, resolutions with their votes and tally,
recusals from the conflicts register, terms on a date."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backoffice.board import services
from backoffice.board.models import (
    Interest,
    InterestKind,
    MeetingStatus,
    Presence,
    ResolutionStatus,
    SubjectKind,
)
from backoffice.board.rules import Choice
from backoffice.core import clock
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import InvalidTransition, PermissionDenied, ValidationError
from backoffice.extensions import db

from .conftest import meeting_in_session, vote_all


def test_an_invitation_goes_to_every_member_in_office_and_announces_the_agenda(board):
    session = db.session
    sent = []
    with transaction():
        meeting = services.schedule(session, board.body, title="March",
                                    starts_at=datetime(2030, 3, 23, 18, tzinfo=UTC),
                                    place="Office", items=[services.ItemInput("Budget")],
                                    actor=board.secretary_user)
        invitation = services.invite(session, meeting, today=date(2030, 3, 1),
                                     actor=board.secretary_user,
                                     send=lambda term, m, warning: sent.append(term.name))
    # Mia's term ends before 2030: she is not a member on that day and not invited
    assert sorted(sent) == ["Ada Chair", "Tom Treasurer"]
    assert invitation.late_days == 0 and invitation.warning is None
    assert meeting.items[0].announced and meeting.status is MeetingStatus.INVITED


def test_a_late_invitation_is_sent_with_a_warning(board):
    session = db.session
    with transaction():
        meeting = services.schedule(session, board.body, title="Soon",
                                    starts_at=datetime(2030, 3, 5, 18, tzinfo=UTC),
                                    place="Office", items=[services.ItemInput("Budget")],
                                    actor=board.secretary_user)
        invitation = services.invite(session, meeting, today=date(2030, 3, 1),
                                     actor=board.secretary_user)
    # 7 days' notice counted from the day after sending: send by 25 February
    assert invitation.late_days == 4 and meeting.late_notice_days == 4
    assert "4 days late" in invitation.warning and "25 February 2030" in invitation.warning


def test_a_resolution_on_an_item_added_during_the_meeting_is_refused(board):
    meeting = meeting_in_session(board, actor=board.secretary_user)
    session = db.session
    with transaction():
        late = services.add_item(session, meeting, services.ItemInput("Buy a boat"),
                                 actor=board.secretary_user)
    assert not late.announced
    with pytest.raises(ValidationError, match="not announced in the invitation"):
        services.propose(session, late, title="Boat", text="We buy a boat.",
                         actor=board.secretary_user)
    session.rollback()


def test_any_other_business_carries_no_resolution(board):
    meeting = meeting_in_session(board, actor=board.secretary_user, items=[
        services.ItemInput("Budget"), services.ItemInput("AOB", any_other_business=True)])
    with pytest.raises(ValidationError, match="carries no resolution"):
        services.propose(db.session, meeting.items[1], title="x", text="y",
                         actor=board.secretary_user)
    db.session.rollback()


def test_a_member_appointed_after_the_invitation_makes_resolutions_impossible(board):
    meeting = meeting_in_session(board, actor=board.secretary_user)
    with transaction():
        services.appoint(db.session, board.body, name="Neo Newcomer", email="neo@x.example",
                         function=services.Function.MEMBER, start_on=clock.today(),
                         actor=board.secretary_user)
    with pytest.raises(ValidationError, match="Not every member was invited"):
        services.propose(db.session, meeting.items[0], title="x", text="y",
                         actor=board.secretary_user)
    db.session.rollback()


def test_a_resolution_counts_the_votes_and_stores_the_tally_and_who_was_entitled(board):
    meeting = meeting_in_session(board, actor=board.secretary_user)
    with transaction():
        resolution = services.propose(db.session, meeting.items[0], title="Budget",
                                      text="The budget is approved.", actor=board.secretary_user)
    vote_all(resolution, board, ["yes", "yes", "abstain"], board.secretary_user)
    with transaction():
        tally = services.close_vote(db.session, resolution, board.secretary_user)
    assert tally.passed and resolution.status is ResolutionStatus.PASSED
    assert (resolution.yes, resolution.no, resolution.abstain, resolution.invalid,
            resolution.excluded, resolution.basis, resolution.base, resolution.needed) == \
        (2, 0, 1, 0, 0, "votes_cast", 2, 2)
    assert sorted(e["name"] for e in resolution.entitled) == ["Ada Chair", "Mia Member",
                                                              "Tom Treasurer"]
    assert all(e["present"] and not e["recused"] for e in resolution.entitled)
    assert resolution.number == f"B-{meeting.starts_at.year}-001"
    with pytest.raises(ValidationError, match="is closed"):
        services.cast(db.session, resolution, board.member, Choice.NO, actor=None)


def test_a_tie_fails(board):
    meeting = meeting_in_session(board, actor=board.secretary_user,
                                 present=None)
    with transaction():
        resolution = services.propose(db.session, meeting.items[0], title="Budget", text="t",
                                      actor=board.secretary_user)
    vote_all(resolution, board, ["yes", "no", None], board.secretary_user)
    with transaction():
        assert not services.close_vote(db.session, resolution, board.secretary_user).passed
    assert resolution.outcome_reason == "a tie fails"


def test_an_absent_member_cannot_vote_and_a_recused_member_is_refused(board, users):
    from backoffice.groups.models import MemberGroup
    session = db.session
    with transaction():
        group = MemberGroup(name="PyLadies", slug="pyladies", status="active")
        session.add(group)
        session.flush()
        services.declare_interest(session, email=board.treasurer.email, kind=InterestKind.GROUP,
                                  group_id=group.id, description="Organises PyLadies",
                                  start_on=clock.today() - timedelta(days=10),
                                  actor=board.secretary_user)
    meeting = meeting_in_session(board, actor=board.secretary_user, present=[board.chair,
                                                                             board.treasurer],
                                 items=[services.ItemInput(
                                     "Admit PyLadies", subject_kind=SubjectKind.GROUP_ADMISSION,
                                     subject_id=group.id)])
    with transaction():
        resolution = services.propose(session, meeting.items[0], title="Admission",
                                      text="PyLadies is admitted.", actor=board.secretary_user)
    assert services.recused(session, resolution) == {
        board.treasurer.id: "organises the member group concerned (the group PyLadies)"}
    with pytest.raises(PermissionDenied, match="organises the member group"):
        services.cast(session, resolution, board.treasurer, Choice.YES, actor=None)
    session.rollback()
    with pytest.raises(ValidationError, match="not recorded as present"):
        services.cast(session, resolution, board.member, Choice.YES, actor=None)
    session.rollback()
    with transaction():
        services.cast(session, resolution, board.chair, Choice.YES, actor=None)
        services.close_vote(session, resolution, board.secretary_user)
    assert resolution.status is ResolutionStatus.PASSED
    assert (resolution.yes, resolution.excluded) == (1, 1)
    recused = [e for e in resolution.entitled if e["recused"]]
    assert [e["name"] for e in recused] == ["Tom Treasurer"]


def test_interests_count_only_while_they_hold(board):
    with transaction():
        services.declare_interest(db.session, email=board.member.email, kind=InterestKind.OTHER,
                                  description="Worked for the venue", start_on=date(2020, 1, 1),
                                  end_on=date(2020, 12, 31), actor=board.secretary_user)
    interest = db.session.query(Interest).one()
    assert interest.held(date(2020, 6, 1)) and not interest.held(date(2021, 1, 1))
    assert services.person(db.session, board.member, date(2020, 6, 1)).email == board.member.email


def test_minutes_are_approved_by_the_next_meeting_and_then_only_addenda_follow(board):
    session = db.session
    first = meeting_in_session(board, actor=board.secretary_user)
    with transaction():
        services.write_minutes(session, first.items[0], "The treasurer presents the budget.",
                               board.secretary_user)
        services.close_meeting(session, first, board.secretary_user)
    assert first.items[0].present  # who was there for the item
    second = meeting_in_session(board, actor=board.secretary_user, items=[services.ItemInput(
        "Approve the minutes", subject_kind=SubjectKind.MINUTES, subject_id=first.id)])
    with transaction():
        approval = services.propose(session, second.items[0], title="Minutes",
                                    text="The minutes are approved.", actor=board.secretary_user)
    vote_all(approval, board, ["yes", "yes", "yes"], board.secretary_user)
    with transaction():
        services.close_vote(session, approval, board.secretary_user)
        services.approve_minutes(session, first, approval, board.secretary_user)
    assert first.status is MeetingStatus.APPROVED and first.approved_by_id == approval.id
    with pytest.raises(InvalidTransition):
        services.write_minutes(session, first.items[0], "Rewritten", board.secretary_user)
    with transaction():
        services.add_addendum(session, first, "The budget was 12,000 EUR, not 10,000 EUR.",
                              item=first.items[0], actor=board.secretary_user)
    assert [a.text[:10] for a in first.addenda] == ["The budget"]


def test_a_meeting_does_not_approve_its_own_minutes(board):
    session = db.session
    meeting = meeting_in_session(board, actor=board.secretary_user)
    with transaction():
        resolution = services.propose(session, meeting.items[0], title="Minutes", text="ok",
                                      subject_kind=SubjectKind.MINUTES, subject_id=meeting.id,
                                      actor=board.secretary_user)
    vote_all(resolution, board, ["yes", "yes", "yes"], board.secretary_user)
    with transaction():
        services.close_vote(session, resolution, board.secretary_user)
        services.close_meeting(session, meeting, board.secretary_user)
    with pytest.raises(ValidationError, match="its own minutes"):
        services.approve_minutes(session, meeting, resolution, board.secretary_user)
    session.rollback()


def test_terms_on_a_date(board):
    session = db.session
    today = clock.today()
    assert {t.name for t in services.in_office(session, board.body, today)} == \
        {"Ada Chair", "Tom Treasurer", "Mia Member"}
    assert {t.name for t in services.in_office(session, board.body, today + timedelta(days=31))} \
        == {"Ada Chair", "Tom Treasurer"}
    assert services.in_office(session, board.body, today - timedelta(days=401)) == []
    assert [t.name for t in services.terms_ending(session, today)] == ["Mia Member"]
    with transaction():
        services.end_term(session, board.treasurer, today + timedelta(days=5), board.secretary_user)
    assert {t.name for t in services.in_office(session, board.body, today + timedelta(days=6))} \
        == {"Ada Chair", "Mia Member"}


def test_an_auditor_cannot_sit_on_the_board_they_audit(board):
    session = db.session
    from backoffice.board.models import BodyKind, Function
    from backoffice.board.rules import PRESETS
    with transaction():
        auditors = services.create_body(session, kind=BodyKind.AUDITORS, name="Auditors",
                                        code="A", rules=PRESETS["demo_statutes"]["auditors"],
                                        audits=board.body, actor=board.secretary_user)
    with pytest.raises(ValidationError, match="cannot sit on the board they audit"):
        services.appoint(session, auditors, name="Tom", email=board.treasurer.email,
                         function=Function.MEMBER, start_on=clock.today(),
                         actor=board.secretary_user)
    session.rollback()
    with transaction():
        # after leaving the board, they may audit a later period
        services.appoint(session, auditors, name="Mia", email=board.member.email,
                         function=Function.MEMBER, start_on=clock.today() + timedelta(days=31),
                         actor=board.secretary_user)


def test_every_step_is_in_the_audit_log(board):
    meeting_in_session(board, actor=board.secretary_user)
    actions = {e.action for e in db.session.query(AuditEvent)}
    assert {"board.appointed", "board.meeting_scheduled", "board.invited",
            "board.meeting_opened", "board.attendance"} <= actions


def test_proxies_are_refused_where_the_statutes_allow_none(board):
    meeting = meeting_in_session(board, actor=board.secretary_user, present=[board.chair])
    with pytest.raises(ValidationError, match="allow no proxies"):
        services.record_attendance(db.session, meeting, board.member, Presence.PROXY,
                                   proxy_holder=board.chair, actor=board.secretary_user)
    db.session.rollback()
