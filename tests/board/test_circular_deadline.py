"""Circular votes get their result from the scheduled ``board.circulars`` job: nothing before the
deadline while the result is open, the result at the deadline (a moment handed to the job, not
waited for), once however often the job runs; a result certain earlier is recorded at once."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from backoffice.auth.models import User
from backoffice.board import circulars, links, services
from backoffice.board.models import Resolution, ResolutionStatus
from backoffice.board.rules import Choice, CircularRule
from backoffice.core.db import transaction
from backoffice.core.queue import JOBS
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.jobs.schedule import SCHEDULE

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(days=7)


def _proposal(board, title="Buy a projector"):
    with transaction():
        return circulars.propose(db.session, board.body, title=title, text="Up to EUR 800.",
                                 deadline=DEADLINE, settings=app_settings(),
                                 actor=board.secretary_user, now=T0)


def _vote(resolution, term, choice, at):
    with transaction():
        circulars.vote_in_app(db.session, db.session.get(Resolution, resolution.id),
                              Choice(choice), actor=db.session.get(User, term.user_id),
                              settings=app_settings(), now=at)


def _job(at: datetime) -> dict:
    result = JOBS["board.circulars"](now=at.isoformat())
    db.session.expire_all()
    return result


def test_the_job_is_on_the_schedule_hourly(app):
    entry = SCHEDULE["circular-votes"]
    assert entry.job == "board.circulars" and entry.job in JOBS
    assert entry.when() == "hourly at 05 minutes past"


def test_an_open_vote_waits_for_its_deadline_then_the_job_records_the_result(board, app):
    resolution = _proposal(board)
    _vote(resolution, board.chair, "yes", T0 + timedelta(hours=1))
    _vote(resolution, board.treasurer, "yes", T0 + timedelta(hours=2))
    assert db.session.get(Resolution, resolution.id).status is ResolutionStatus.OPEN

    assert _job(DEADLINE - timedelta(minutes=1)) == {"decided": 0}
    found = db.session.get(Resolution, resolution.id)
    assert found.status is ResolutionStatus.OPEN and found.decided_at is None

    assert _job(DEADLINE + timedelta(seconds=1)) == {"decided": 1}
    found = db.session.get(Resolution, resolution.id)
    assert found.status is ResolutionStatus.FAILED
    assert found.outcome_reason == "not every member consented by the deadline"
    assert found.decided_at == DEADLINE + timedelta(seconds=1)
    assert (found.yes, found.no) == (2, 0)
    assert sorted(e["name"] for e in found.entitled) == sorted(t.name for t in board.terms)

    assert _job(DEADLINE + timedelta(hours=1)) == {"decided": 0}  # once only


def test_a_result_certain_before_the_deadline_is_recorded_at_once(board, app):
    refused = _proposal(board, "Refused at once")
    _vote(refused, board.treasurer, "no", T0 + timedelta(hours=1))  # unanimity is out of reach
    assert db.session.get(Resolution, refused.id).status is ResolutionStatus.FAILED
    agreed = _proposal(board, "Agreed by all")
    for term in (board.chair, board.treasurer):
        _vote(agreed, term, "yes", T0 + timedelta(hours=3))
    with transaction():  # the member without an account votes from their link
        token = links.make(app_settings().secret_key, agreed.id, board.member.id)
        circulars.vote_by_link(db.session, token, Choice.YES, settings=app_settings(),
                               now=T0 + timedelta(hours=4))
    assert db.session.get(Resolution, agreed.id).status is ResolutionStatus.PASSED
    assert _job(DEADLINE + timedelta(days=1)) == {"decided": 0}


def test_under_a_majority_rule_the_job_decides_on_the_votes_cast_at_the_deadline(board, app):
    rules = board.body.rules
    with transaction():
        services.set_rules(db.session, db.session.merge(board.body),
                           replace(rules, circular=CircularRule.MAJORITY), board.secretary_user)
    resolution = _proposal(board)
    _vote(resolution, board.chair, "yes", T0 + timedelta(hours=1))
    assert _job(DEADLINE - timedelta(seconds=1)) == {"decided": 0}
    assert _job(DEADLINE) == {"decided": 1}
    found = db.session.get(Resolution, resolution.id)
    assert found.status is ResolutionStatus.PASSED  # one yes of the votes cast
    assert (found.yes, found.no, found.basis) == (1, 0, "votes_cast")
    assert found.decided_at == DEADLINE
