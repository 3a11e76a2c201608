"""Awards above a programme's board threshold go through only under a passed resolution of the
board records that names the application and allows the amount (``grants/resolutions.py``,
answered by ``board/money.py`` through ``core.signals.resolution_required``). The interim
confirmations by two board members no longer decide anything."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.board.models import Resolution, ResolutionStatus
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import deciding, reviewing
from backoffice.grants.models import Application, Status

from ..helpers import login, post_form
from .conftest import board_resolution, confirm_board, eur, make_application


def _ready(grants, amount=eur(1_800), **overrides):
    """In review, asking for ``amount`` (above the 1,500 EUR threshold), with two yes votes."""
    application = make_application(grants, Status.IN_REVIEW, amount=amount, **overrides)
    with transaction():
        for member in grants.committee[:2]:
            reviewing.cast_vote(db.session, application, vote="yes", actor=member)
    return application


def _approve(grants, application, amount=eur(1_800)):
    with transaction():
        return deciding.approve(db.session, db.session.get(Application, application.id),
                                amount=amount, actor=grants.committee[0],
                                settings=app_settings())


def _audit(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def test_an_award_above_the_threshold_waits_for_the_boards_resolution(grants):
    application = _ready(grants)
    with pytest.raises(ValidationError, match="need the board's resolution") as refused:
        _approve(grants, application)
    assert refused.value.field == "board_resolution_ref"
    # the interim confirmations of two members no longer count
    confirm_board(grants, application, "B-2026-07", eur(1_800))
    with pytest.raises(ValidationError, match="has not passed a resolution on this grant"):
        _approve(grants, application)
    resolution = board_resolution(grants, application, eur(1_800))
    assert resolution.status is ResolutionStatus.PASSED
    approved = _approve(grants, application)
    assert approved.status is Status.APPROVED
    assert (approved.board_resolution_id, approved.board_resolution_ref) == \
        (resolution.id, resolution.number)
    [relied] = _audit("board.resolution_relied_on")
    assert relied.object_id == str(resolution.id) and "grant_application" in relied.summary


def test_a_failed_resolution_a_smaller_amount_or_another_application_does_not_count(grants):
    application = _ready(grants)
    other = _ready(grants)
    failed = board_resolution(grants, application, eur(1_800), votes=("yes", "no"))
    assert failed.status is ResolutionStatus.FAILED
    board_resolution(grants, application, eur(1_600))
    board_resolution(grants, other, eur(1_800))
    with pytest.raises(ValidationError, match="allowing at least €1,800.00"):
        _approve(grants, application)
    approved = _approve(grants, application, eur(1_600))  # what the board allowed
    assert approved.amount_awarded == 160_000


def test_at_or_below_the_threshold_the_committee_decides_alone(grants):
    application = _ready(grants, amount=eur(1_500))
    approved = _approve(grants, application, amount=eur(1_500))
    assert approved.status is Status.APPROVED and approved.board_resolution_id is None
    assert _audit("board.resolution_relied_on") == []


def test_a_board_member_who_applied_is_excluded_from_the_boards_vote(grants):
    application = _ready(grants, contact_email=grants.board[1].email)
    resolution = board_resolution(grants, application, eur(1_800))
    # the second member is the applicant (§ 34 BGB): excluded, the chair's yes carries it
    assert resolution.status is ResolutionStatus.PASSED
    assert (resolution.yes, resolution.excluded) == (1, 1)
    assert [e["recused"] for e in resolution.entitled] == [False, True]
    assert _approve(grants, application).status is Status.APPROVED


def test_the_application_page_names_the_resolution(client, grants):
    application = _ready(grants)
    page = f"/grants/applications/{application.id}"
    login(client, Role.REVIEWER)
    assert 'data-testid="no-resolution"' in client.get(page).get_data(as_text=True)
    response = post_form(client, page + "/approve", {"approve-amount": "1800"}, token_from=page)
    assert response.status_code == 400 and "need the board&#39;s resolution" in \
        response.get_data(as_text=True)
    resolution = board_resolution(grants, application, eur(1_800))
    response = post_form(client, page + "/approve", {"approve-amount": "1800"}, token_from=page)
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert f"/board/resolutions/{resolution.id}" in html and resolution.number in html
    assert db.session.get(Resolution, resolution.id).subject_id == application.id
