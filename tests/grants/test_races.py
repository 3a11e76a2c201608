"""Two awards from one fund at the same moment, with real threads on each database: the fund's
lock (``ledger.spending``) decides them one after the other, also across programmes."""
from __future__ import annotations

import dataclasses

import pytest

from backoffice.auth.models import User
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import AlreadyDone, ValidationError
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import deciding, programmes, reviewing
from backoffice.grants.models import Application, Programme, Status
from backoffice.ledger import services as ledger
from backoffice.ledger.chart import Fund

from ..concurrency import at_once
from ..helpers import login, post_twice
from ..soundness import assert_money_sound
from .conftest import eur, make_application


def _second_programme_on_the_same_fund(grants):
    with transaction():
        second = programmes.create_programme(db.session, programmes.ProgrammeInput(
            name="Travel grants", slug="travel", fund_id=grants.fund.id,
            max_per_grant=eur(2_000), board_threshold=eur(1_500), quorum=2, report_days=30),
            actor=grants.treasurer)
        programmes.set_budget(db.session, second, year=clock.today().year, amount=eur(5_000),
                              actor=grants.treasurer)
    return second


def _fund_holds(grants, euros):
    """Move money between the general fund and the programmes' fund until it holds ``euros``."""
    with transaction():
        fund, general = db.session.get(Fund, grants.fund.id), ledger.general_fund(db.session)
        grants.fund = fund
        difference = grants.fund_balance() - euros * 100
        if difference:
            ledger.transfer_between_funds(
                db.session, from_fund=fund if difference > 0 else general,
                to_fund=general if difference > 0 else fund,
                amount=eur(abs(difference) / 100), booking_date=clock.today(),
                description="Between the general fund and the grants", actor=None)


def _in_review_with_votes(grants, amount):
    application = make_application(grants, Status.IN_REVIEW, amount=amount)
    with transaction():
        for member in grants.committee[:2]:
            reviewing.cast_vote(db.session, application, vote="yes", actor=member)
    return application.id


def _approve(application_id, amount, actor_id):
    def job(session):
        with transaction():
            deciding.approve(session, session.get(Application, application_id), amount=amount,
                             actor=session.get(User, actor_id), settings=app_settings())
        return "approved"
    return job


def test_two_awards_from_one_fund_at_once_never_take_it_below_zero(app, grants):
    ids = (grants.programme.id, _second_programme_on_the_same_fund(grants).id)
    decider = grants.committee[0].id
    for programme_id in ids:  # the same programme, then two programmes
        _fund_holds(grants, 1_500)
        grants = dataclasses.replace(
            grants, programme=db.session.get(Programme, ids[0]),
            committee=[db.session.merge(member) for member in grants.committee])
        first = _in_review_with_votes(grants, eur(1_000))
        other = _in_review_with_votes(
            dataclasses.replace(grants, programme=db.session.get(Programme, programme_id)),
            eur(1_000))
        db.session.remove()

        outcome = at_once(app, [_approve(first, eur(1_000), decider),
                                _approve(other, eur(1_000), decider)])

        assert outcome.count("approved") == 1, outcome
        refused = next(result for result in outcome if result != "approved")
        assert isinstance(refused, ValidationError) and "available" in str(refused), outcome
        assert grants.fund_balance() == 50_000
        assert_money_sound(db.session)


def test_an_award_approved_twice_at_once_is_approved_and_committed_once(app, grants):
    application_id = _in_review_with_votes(grants, eur(800))
    decider = grants.committee[0].id
    db.session.remove()

    outcome = at_once(app, [_approve(application_id, eur(800), decider)] * 2)

    assert sorted(map(str, map(type, outcome))) == sorted(map(str, [str, AlreadyDone])), outcome
    assert db.session.get(Application, application_id).status is Status.APPROVED
    assert grants.fund_balance() == 1_000_000 - 80_000
    assert_money_sound(db.session)


def test_an_award_approved_twice_through_the_page_answers_calmly(client, grants):
    application_id = _in_review_with_votes(grants, eur(800))
    login(client, Role.REVIEWER)
    page = f"/grants/applications/{application_id}"
    note = post_twice(client, f"{page}/approve", {"approve-amount": "800"}, page=page)
    assert "is already approved" in note
    assert grants.fund_balance() == 1_000_000 - 80_000
    assert_money_sound(db.session)


def test_a_transition_asked_for_again_is_already_done(grants):
    application = make_application(grants, Status.SUBMITTED)
    with transaction():
        reviewing.start_review(db.session, application, actor=grants.committee[0], settings=app_settings())
    with pytest.raises(AlreadyDone, match="already in review"):
        with transaction():
            reviewing.start_review(db.session, application, actor=grants.committee[0], settings=app_settings())
