"""A payout batch above ``BOARD_PAYOUT_BATCH_LIMIT`` is paid only under a passed board resolution
naming it: its SEPA file and its execution are refused until then (also when two treasurers try
at once), at or below the limit nothing waits, and the limit is edited with the other
thresholds."""
from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.board.models import SubjectKind
from backoffice.core import clock
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import AlreadyDone, ValidationError
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.expenses.models import ClaimStatus, ExpenseClaim
from backoffice.extensions import db, forget_stored_settings
from backoffice.extensions import settings as app_settings
from backoffice.ledger.models import JournalEntry
from backoffice.payouts import services as payouts
from backoffice.payouts.models import BatchStatus, PayoutBatch

from ..concurrency import at_once
from ..helpers import login
from ..setup.test_settings import _form
from ..soundness import assert_money_sound
from ..sponsorship import active_group, approved
from .passed import decide

_names = itertools.count(1)


def _limited(limit: str | None):
    """The app's settings with another payout limit (services receive the value)."""
    settings = app_settings()
    return replace(settings, banking=replace(
        settings.banking, payout_batch_limit=None if limit is None else Decimal(limit)))


def _batch(session, users, amounts=("10.00", "10.00"), limit: str | None = "15.00") -> PayoutBatch:
    treasurer = session.merge(users[Role.TREASURER])
    group = active_group(session, f"PyLimit {next(_names)}",
                         actor=session.merge(users[Role.ADMIN]), money="100.00")
    claims = [approved(session, group.organisers[0], group.fund, treasurer, [a]) for a in amounts]
    with transaction():
        return payouts.create_batch(session, selected=[("expense_claim", str(c.id)) for c in claims],
                                    requested_on=clock.today(), actor=treasurer,
                                    settings=_limited(limit))


def _execute(session, batch, actor):
    with transaction():
        return payouts.mark_executed(session, payouts.get_batch(session, batch.id),
                                     booked_on=clock.today(), actor=actor, settings=app_settings())


def _entries(session, batch_id: int) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.source_kind == "payout_batch", JournalEntry.source_id == str(batch_id)))


def test_a_batch_keeps_the_limit_in_force_when_it_was_made(app, session, users):
    assert app_settings().banking.payout_batch_limit == Decimal("10000.00")  # the default
    assert _batch(session, users).board_limit == 1500
    assert _batch(session, users, limit=None).board_limit is None


def test_above_the_limit_the_file_and_the_execution_wait_for_a_resolution(app, session, users):
    batch = _batch(session, users)  # 20.00 above 15.00
    treasurer = users[Role.TREASURER]
    assert payouts.needs_resolution(batch)
    with pytest.raises(ValidationError, match="above the limit of .*15.00.*has not passed a "
                                              "resolution on this payout batch"):
        payouts.sepa_file(session, batch, treasurer)
    with pytest.raises(ValidationError, match="above the limit"):
        _execute(session, batch, treasurer)
    assert session.get(PayoutBatch, batch.id).status is BatchStatus.READY
    assert _entries(session, batch.id) == 0

    # a resolution naming another batch, allowing less, or in another currency does not count
    other = _batch(session, users)
    decide(SubjectKind.PAYOUT_BATCH, other.id, Money(2_000, "EUR"))
    decide(SubjectKind.PAYOUT_BATCH, batch.id, Money(1_999, "EUR"))
    decide(SubjectKind.PAYOUT_BATCH, batch.id, Money(2_000, "USD"))
    failed = decide(SubjectKind.PAYOUT_BATCH, batch.id, Money(2_000, "EUR"), votes=("yes", "no"))
    assert failed.status.value == "failed"
    with pytest.raises(ValidationError, match="has not passed a resolution"):
        _execute(session, batch, treasurer)

    resolution = decide(SubjectKind.PAYOUT_BATCH, batch.id, Money(2_000, "EUR"))
    assert payouts.sepa_file(session, batch, treasurer) == batch.xml
    _execute(session, batch, treasurer)
    assert session.get(PayoutBatch, batch.id).status is BatchStatus.EXECUTED
    assert _entries(session, batch.id) == 1
    executed = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "payout_batch.executed")).one()
    assert executed.after["resolution"] == resolution.number
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "board.resolution_relied_on")) >= 2
    assert_money_sound(session)


def test_at_or_below_the_limit_and_without_one_nothing_waits(app, session, users):
    for batch in (_batch(session, users, limit="20.00"), _batch(session, users, limit=None)):
        assert not payouts.needs_resolution(batch)
        _execute(session, batch, users[Role.TREASURER])
        assert session.get(PayoutBatch, batch.id).status is BatchStatus.EXECUTED


def _execute_job(batch_id: int, actor_id: int):
    def job(session):
        with transaction():
            payouts.mark_executed(session, payouts.get_batch(session, batch_id),
                                  booked_on=clock.today(), actor=session.get(User, actor_id), settings=app_settings())
        return "executed"
    return job


def test_two_treasurers_at_once_without_a_resolution_both_refused(app, session, users):
    batch = _batch(session, users)
    batch_id, treasurer_id = batch.id, users[Role.TREASURER].id
    db.session.remove()
    outcome = at_once(app, [_execute_job(batch_id, treasurer_id)] * 2)
    assert [type(o) for o in outcome] == [ValidationError, ValidationError], outcome
    assert db.session.get(PayoutBatch, batch_id).status is BatchStatus.READY
    assert _entries(db.session, batch_id) == 0
    assert set(db.session.scalars(select(ExpenseClaim.status))) == {ClaimStatus.APPROVED}


def test_two_treasurers_at_once_under_a_resolution_execute_once(app, session, users):
    batch = _batch(session, users)
    decide(SubjectKind.PAYOUT_BATCH, batch.id, Money(2_000, "EUR"))
    batch_id, treasurer_id = batch.id, users[Role.TREASURER].id
    db.session.remove()
    outcome = at_once(app, [_execute_job(batch_id, treasurer_id)] * 2)
    assert sorted(type(o).__name__ for o in outcome) == ["AlreadyDone", "str"], outcome
    assert any(isinstance(o, AlreadyDone) for o in outcome)
    assert db.session.get(PayoutBatch, batch_id).status is BatchStatus.EXECUTED
    assert _entries(db.session, batch_id) == 1
    assert_money_sound(db.session)


def test_the_pages_refuse_the_file_and_the_execution_with_400(app, client, session, users):
    batch = _batch(session, users)
    login(client, "treasurer")
    page = client.get(f"/expenses/payouts/{batch.id}").get_data(as_text=True)
    assert 'data-testid="batch-needs-resolution"' in page
    response = client.get(f"/expenses/payouts/{batch.id}/sepa.xml")
    assert response.status_code == 400
    assert "has not passed a resolution on this payout batch" in response.get_data(as_text=True)
    from ..helpers import form_tokens
    response = client.post(f"/expenses/payouts/{batch.id}/executed", data={
        **form_tokens(client, f"/expenses/payouts/{batch.id}"),
        "booked_on": clock.today().isoformat()})
    assert response.status_code == 400
    assert db.session.get(PayoutBatch, batch.id).status is BatchStatus.READY
    decide(SubjectKind.PAYOUT_BATCH, batch.id, Money(2_000, "EUR"))
    response = client.get(f"/expenses/payouts/{batch.id}/sepa.xml")
    assert response.status_code == 200 and response.data.decode() == batch.xml


def test_the_limit_is_edited_with_the_other_thresholds(app, client, users):
    login(client, "admin")
    form = _form(client)
    assert form["BOARD_PAYOUT_BATCH_LIMIT"] == "10000.00"
    response = client.post("/admin/settings", data={**form, "BOARD_PAYOUT_BATCH_LIMIT": "2500"})
    assert response.status_code == 302
    forget_stored_settings()
    assert app_settings().banking.payout_batch_limit == Decimal("2500")
    response = client.post("/admin/settings", data={**_form(client),
                                                    "BOARD_PAYOUT_BATCH_LIMIT": "-1"})
    assert response.status_code == 400 and "is not an amount" in response.get_data(as_text=True)
    response = client.post("/admin/settings", data={**_form(client), "BOARD_PAYOUT_BATCH_LIMIT": ""})
    assert response.status_code == 302
    forget_stored_settings()
    assert app_settings().banking.payout_batch_limit is None
