"""The money that waits for a resolution: the references stored before the board records become
resolutions (migration 0024), and the signal answers only for a passed resolution naming the
subject and allowing the amount."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from backoffice.board.models import Resolution, ResolutionStatus
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.core.signals import answers, resolution_required
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import deciding, reviewing
from backoffice.grants.models import Application, Status

from ..grants.conftest import confirm_board, eur, grants, make_application  # noqa: F401


def test_stored_references_become_resolutions_of_the_board(app, grants):  # noqa: F811
    application = make_application(grants, Status.IN_REVIEW, amount=eur(1_200))
    with transaction():
        for member in grants.committee[:2]:
            reviewing.cast_vote(db.session, application, vote="yes", actor=member)
    confirm_board(grants, application, "B-2025-9", eur(1_200))
    with transaction():
        approved = deciding.approve(db.session, application, amount=eur(1_200),
                                    actor=grants.committee[0], settings=app_settings())
        approved.board_resolution_ref = "B-2025-9"  # as approvals stored it before board records
    application_id = application.id
    db.session.remove()
    downgrade(revision="0023")
    upgrade()
    db.session.remove()
    migrated = db.session.get(Application, application_id)
    resolution = db.session.get(Resolution, migrated.board_resolution_id)
    assert resolution.status is ResolutionStatus.PASSED
    assert (resolution.subject_kind.value, resolution.subject_id, resolution.amount,
            resolution.currency) == ("grant_application", application_id, 120_000, "EUR")
    assert "'B-2025-9'" in resolution.text
    assert "confirmed in the app by board2@test.example, board@test.example" in resolution.text
    assert resolution.body.kind.value == "board" and resolution.number.startswith("B-")
    assert migrated.board_resolution_ref == "B-2025-9"  # the reference itself is kept
    count = db.session.execute(text("SELECT count(*) FROM board_resolutions")).scalar()
    assert count == 1


def test_the_signal_answers_only_for_a_passed_resolution_naming_the_subject(app, grants):  # noqa: F811
    from ..grants.conftest import board_resolution
    application = make_application(grants, Status.IN_REVIEW, amount=eur(1_800))
    with pytest.raises(ValidationError, match="has not passed a resolution on this grant"):
        answers(resolution_required, "grant_application", session=db.session,
                subject_id=application.id, amount=Money(180_000, "EUR"), actor=None)
    resolution = board_resolution(grants, application, eur(1_800))
    [found] = answers(resolution_required, "grant_application", session=db.session,
                      subject_id=application.id, amount=Money(180_000, "EUR"), actor=None)
    assert (found.id, found.number) == (resolution.id, resolution.number)
    with pytest.raises(ValidationError):  # another currency is not the amount allowed
        answers(resolution_required, "grant_application", session=db.session,
                subject_id=application.id, amount=Money(180_000, "USD"), actor=None)
    with pytest.raises(ValidationError):
        answers(resolution_required, "payout_batch", session=db.session,
                subject_id=application.id, amount=None, actor=None)
