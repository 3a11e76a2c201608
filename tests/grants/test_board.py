"""Awards above a programme's board threshold: the board's resolution is believed only when two
different board members (GRANTS_BOARD_MEMBERS), neither conflicted, confirmed it in the app."""
from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import select

from backoffice.auth.services import create_user
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import InvalidTransition, PermissionDenied, ValidationError
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import board, deciding, reviewing
from backoffice.grants.models import Application, Event, Status

from ..helpers import PASSWORD, email_for, login, post_form
from .conftest import confirm_board, eur, make_application


def _ready(grants, amount=eur(1_800)):
    """In review, asking for ``amount`` (above the 1,500 EUR threshold), with two yes votes."""
    application = make_application(grants, Status.IN_REVIEW, amount=amount)
    with transaction():
        for member in grants.committee[:2]:
            reviewing.cast_vote(db.session, application, vote="yes", actor=member)
    return application


def _approve(grants, application, amount=eur(1_800), reference="B-2026-07"):
    with transaction():
        return deciding.approve(db.session, db.session.get(Application, application.id),
                                amount=amount, board_resolution_ref=reference,
                                actor=grants.committee[0], settings=app_settings())


def _audit(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def test_an_award_above_the_threshold_waits_for_two_board_members(grants):
    application = _ready(grants)
    with pytest.raises(ValidationError, match="need a board resolution") as refused:
        _approve(grants, application, reference="")
    assert refused.value.field == "board_resolution_ref"
    with pytest.raises(ValidationError, match="by 0 of the 2 board members"):
        _approve(grants, application)
    first, second = grants.board
    confirm_board(grants, application, "B-2026-07", eur(1_800), members=[first])
    with pytest.raises(ValidationError, match="by 1 of the 2 board members"):
        _approve(grants, application)
    assert db.session.get(Application, application.id).status is Status.IN_REVIEW
    confirm_board(grants, application, "B-2026-07", eur(2_000), members=[second])
    approved = _approve(grants, application)
    assert approved.status is Status.APPROVED and approved.board_resolution_ref == "B-2026-07"
    confirmed = _audit("grant.board_confirmed")
    assert [(a.actor_id, a.after["reference"]) for a in confirmed] == [
        (first.id, "B-2026-07"), (second.id, "B-2026-07")]
    [relied] = _audit("grant.board_resolution_relied_on")
    assert relied.after["confirmed_by"] == [first.email, second.email]
    assert relied.object_id == str(application.id)
    events = [e.action for e in db.session.get(Application, application.id).events]
    assert events.count("board_confirmed") == 2


def test_at_or_below_the_threshold_the_committee_decides_alone(grants):
    application = _ready(grants, amount=eur(1_500))
    approved = _approve(grants, application, amount=eur(1_500), reference="")
    assert approved.status is Status.APPROVED and approved.board_resolution_ref is None
    assert _audit("grant.board_resolution_relied_on") == []


def test_one_member_confirming_twice_counts_once(grants):
    application = _ready(grants)
    first = grants.board[0]
    confirm_board(grants, application, "B-1", eur(1_800), members=[first])
    with pytest.raises(ValidationError, match="already"):
        confirm_board(grants, application, "B-1", eur(1_800), members=[first])
    with pytest.raises(ValidationError, match="by 1 of the 2"):
        _approve(grants, application, reference="B-1")


def test_confirmations_of_another_reference_or_a_smaller_amount_do_not_count(grants):
    application = _ready(grants)
    first, second = grants.board
    confirm_board(grants, application, "B-1", eur(1_800), members=[first])
    confirm_board(grants, application, "B-2", eur(1_800), members=[second])
    with pytest.raises(ValidationError, match="by 1 of the 2"):
        _approve(grants, application, reference="B-1")
    confirm_board(grants, application, "B-1", eur(1_600), members=[second])
    with pytest.raises(ValidationError, match="by 1 of the 2"):
        _approve(grants, application, reference="B-1")
    assert _approve(grants, application, amount=eur(1_600), reference="B-1").amount_awarded \
        == 160000


def test_only_active_members_on_the_configured_list_confirm(grants, users):
    application = _ready(grants)
    for outsider in (users[Role.ADMIN], grants.committee[0]):  # every permission, but not listed
        with pytest.raises(PermissionDenied, match="GRANTS_BOARD_MEMBERS"):
            confirm_board(grants, application, "B-1", eur(1_800), members=[outsider])
    with transaction():
        grants.board[1].active = False
    with pytest.raises(PermissionDenied):
        confirm_board(grants, application, "B-1", eur(1_800), members=[grants.board[1]])
    assert db.session.get(Application, application.id).board_confirmations == []
    # The list may come from the environment as one string, addresses separated by commas.
    current_app.config["GRANTS_BOARD_MEMBERS"] = f" {email_for(Role.ADMIN).upper()} , x@y.example"
    assert app_settings().grants.board_members == {email_for(Role.ADMIN), "x@y.example"}
    confirm_board(grants, application, "B-1", eur(1_800), members=[users[Role.ADMIN]])


def test_a_member_who_leaves_the_board_or_becomes_conflicted_no_longer_counts(grants):
    first, second = grants.board
    application = _ready(grants)
    confirm_board(grants, application, "B-1", eur(1_800))
    current_app.config["GRANTS_BOARD_MEMBERS"] = [first.email]
    with pytest.raises(ValidationError, match="by 1 of the 2"):
        _approve(grants, application, reference="B-1")
    current_app.config["GRANTS_BOARD_MEMBERS"] = [first.email, second.email]
    with transaction():
        second.organised_groups.append(grants.group)
        db.session.get(Application, application.id).group_id = grants.group.id
    with pytest.raises(ValidationError, match="by 1 of the 2"):
        _approve(grants, application, reference="B-1")


def test_the_board_confirms_only_before_the_decision(grants):
    application = _ready(grants, amount=eur(1_000))
    _approve(grants, application, amount=eur(1_000), reference="")
    with pytest.raises(InvalidTransition, match="can no longer be confirmed"):
        confirm_board(grants, application, "B-1", eur(1_000), members=grants.board[:1])


def test_a_confirmation_needs_a_reference_and_a_positive_amount(grants):
    application = _ready(grants)
    for reference, amount, field in (("  ", eur(1_800), "reference"), ("B-1", eur(0), "amount"),
                                     ("B-1", eur(-5), "amount"), ("x" * 101, eur(1), "reference")):
        with pytest.raises(ValidationError) as refused:
            confirm_board(grants, application, reference, amount, members=grants.board[:1])
        assert refused.value.field == field
    assert db.session.scalars(select(Event).where(Event.action == "board_confirmed")).all() == []


# --- through the pages ---------------------------------------------------------------------------

def test_two_board_members_confirm_in_the_page_then_the_committee_approves(client, grants, users):
    application = _ready(grants)
    page = f"/grants/applications/{application.id}"
    login(client, Role.REVIEWER)
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="board"' in html and f'action="{page}/board-confirm"' not in html
    response = post_form(client, page + "/board-confirm",
                         {"board-reference": "B-9", "board-amount": "1800"}, token_from=page)
    assert response.status_code == 403 and "GRANTS_BOARD_MEMBERS" in response.get_data(
        as_text=True)
    login(client, Role.BOARD)
    assert f'action="{page}/board-confirm"' in client.get(page).get_data(as_text=True)
    response = post_form(client, page + "/board-confirm",
                         {"board-reference": "", "board-amount": "1800"}, token_from=page)
    assert response.status_code == 400
    response = post_form(client, page + "/board-confirm",
                         {"board-reference": "B-9", "board-amount": "1,800.00"}, token_from=page)
    assert response.status_code == 302
    second = client.application.test_client()
    login_as(second, grants.board[1].email)
    assert post_form(second, page + "/board-confirm",
                     {"board-reference": "B-9", "board-amount": "1800"},
                     token_from=page).status_code == 302
    login(client, Role.REVIEWER)
    html = client.get(page).get_data(as_text=True)
    assert html.count("B-9") >= 3  # two confirmations, and the approval form filled in
    response = post_form(client, page + "/approve", {"approve-amount": "1800",
                                                     "approve-board_resolution_ref": "B-9"},
                         token_from=page)
    assert response.status_code == 302
    approved = db.session.get(Application, application.id)
    db.session.refresh(approved)
    assert approved.status is Status.APPROVED and approved.board_resolution_ref == "B-9"


def login_as(client, email: str) -> None:
    from ..helpers import csrf_token
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302


def test_a_board_member_who_applied_is_not_offered_the_confirmation(client, grants, users):
    with transaction():
        member = create_user(db.session, "treasurer2@test.example", settings=app_settings(), roles=[Role.BOARD],
                             password=PASSWORD)
    current_app.config["GRANTS_BOARD_MEMBERS"] = [m.email for m in grants.board] + [member.email]
    application = make_application(grants, Status.IN_REVIEW, amount=eur(1_800),
                                   contact_email="Treasurer2@Test.Example")
    assert not board.may_confirm(application, member, app_settings().grants.board_members)
    assert board.may_confirm(application, grants.board[0], app_settings().grants.board_members)
    with pytest.raises(PermissionDenied, match="you cannot confirm the board resolution"):
        confirm_board(grants, application, "B-1", eur(1_800), members=[member])


def test_a_double_click_on_confirm_stores_one_confirmation(app, grants):
    from backoffice.auth.models import User
    from backoffice.core.errors import DomainError

    from ..concurrency import at_once
    application = _ready(grants)
    application_id, member_id = application.id, grants.board[0].id
    db.session.remove()

    def click(session):
        with transaction():
            return board.confirm(session, session.get(Application, application_id),
                                 reference="B-1", amount=eur(1_800),
                                 actor=session.get(User, member_id), members=app_settings().grants.board_members).id
    outcomes = at_once(app, [click, click])
    assert sum(isinstance(o, int) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, DomainError) for o in outcomes) == 1, outcomes
    assert len(db.session.get(Application, application_id).board_confirmations) == 1
