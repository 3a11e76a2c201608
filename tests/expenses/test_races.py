"""Two treasurers (or one double click) at the same moment, with real threads on each database:
a fund is never spent twice, a payout batch is executed or cancelled once."""
from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import AlreadyDone, DomainError, InvalidTransition
from backoffice.core.permissions import Role
from backoffice.expenses import services as claims
from backoffice.expenses.models import ClaimStatus, ExpenseClaim
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.funds.services import Overspend
from backoffice.ledger.balances import fund_balance
from backoffice.ledger.chart import Fund
from backoffice.ledger.models import JournalEntry
from backoffice.payouts import services as payouts
from backoffice.payouts.models import BatchStatus, PayoutBatch

from ..concurrency import at_once
from ..helpers import email_for, post_twice
from ..soundness import assert_money_sound
from ..sponsorship import active_group, approved, client_for, second_treasurer, submit


def _approve(claim_id: int, approver_id: int):
    def job(session):
        with transaction():
            claims.approve_claim(session, session.get(ExpenseClaim, claim_id),
                                 actor=session.get(User, approver_id), settings=app_settings())
        return "approved"
    return job


def test_two_claims_approved_at_once_never_take_the_fund_below_zero(app, session, users):
    group = active_group(session, "PyRace", actor=users[Role.ADMIN], money="100.00")
    fund_id, organiser_id = group.fund_id, group.organisers[0].id
    treasurers = [users[Role.TREASURER].id, second_treasurer(session).id]
    for _ in range(3):  # each round: the fund holds enough for one of the two claims only
        held = fund_balance(session, fund_id, date.max)["EUR"]
        amount = f"{held * 0.6 / 100:.2f}"
        organiser, fund = session.get(User, organiser_id), session.get(Fund, fund_id)
        pair = [submit(session, organiser, fund, [amount]).id for _ in range(2)]
        db.session.remove()

        outcome = at_once(app, [_approve(c, t) for c, t in zip(pair, treasurers, strict=True)])

        assert sorted(map(type, outcome), key=str) == sorted([str, Overspend], key=str), outcome
        assert outcome.count("approved") == 1
        statuses = session.scalars(select(ExpenseClaim.status).where(ExpenseClaim.id.in_(pair)))
        assert sorted(statuses) == sorted([ClaimStatus.APPROVED, ClaimStatus.SUBMITTED])
        assert fund_balance(session, fund_id, date.max)["EUR"] >= 0
        assert_money_sound(session)


def _batch_of_two(session, users):
    treasurer = session.merge(users[Role.TREASURER])
    group = active_group(session, f"PyPayout {next(_names)}", actor=session.merge(users[Role.ADMIN]),
                         money="100.00")
    paid = [approved(session, group.organisers[0], group.fund, treasurer, ["10.00"])
            for _ in range(2)]
    with transaction():
        batch = payouts.create_batch(session, selected=[("expense_claim", str(c.id)) for c in paid],
                                     requested_on=clock.today(), actor=treasurer, settings=app_settings())
    return batch.id, treasurer.id


_names = itertools.count(1)


def _batch_job(batch_id: int, actor_id: int, action: str):
    def job(session):
        actor = session.get(User, actor_id)
        with transaction():
            batch = payouts.get_batch(session, batch_id)
            if action == "execute":
                payouts.mark_executed(session, batch, booked_on=clock.today(), actor=actor, settings=app_settings())
            else:
                payouts.cancel_batch(session, batch, reason="Refused by the bank", actor=actor)
        return action
    return job


def _entries(session, batch_id: int) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.source_kind == "payout_batch", JournalEntry.source_id == str(batch_id)))


@pytest.mark.parametrize(("action", "status", "entries"), [
    ("execute", BatchStatus.EXECUTED, 1), ("cancel", BatchStatus.CANCELLED, 0)])
def test_a_batch_executed_or_cancelled_twice_at_once_changes_once(app, session, users, action,
                                                                  status, entries):
    batch_id, treasurer_id = _batch_of_two(session, users)
    db.session.remove()

    outcome = at_once(app, [_batch_job(batch_id, treasurer_id, action)] * 2)

    assert sorted(map(str, map(type, outcome))) == sorted(map(str, [str, AlreadyDone])), outcome
    assert session.get(PayoutBatch, batch_id).status is status
    assert _entries(session, batch_id) == entries
    paid = {ClaimStatus.PAID} if action == "execute" else {ClaimStatus.APPROVED}
    assert set(session.scalars(select(ExpenseClaim.status))) == paid
    assert_money_sound(session)


def test_a_batch_executed_and_cancelled_at_once_is_one_or_the_other(app, session, users):
    batch_id, treasurer_id = _batch_of_two(session, users)
    db.session.remove()
    outcome = at_once(app, [_batch_job(batch_id, treasurer_id, "execute"),
                            _batch_job(batch_id, treasurer_id, "cancel")])
    done = [result for result in outcome if isinstance(result, str)]
    refused = [result for result in outcome if isinstance(result, DomainError)]
    assert len(done) == 1 and len(refused) == 1, outcome
    assert isinstance(refused[0], InvalidTransition)
    status = session.get(PayoutBatch, batch_id).status
    assert status is {"execute": BatchStatus.EXECUTED, "cancel": BatchStatus.CANCELLED}[done[0]]
    assert _entries(session, batch_id) == (1 if done[0] == "execute" else 0)
    assert_money_sound(session)


def test_a_claim_approved_twice_and_a_batch_executed_twice_answer_calmly(app, session, users):
    group = active_group(session, "PyTwice", actor=users[Role.ADMIN], money="100.00")
    claim = submit(session, group.organisers[0], group.fund, ["10.00"])
    client = client_for(app, email_for(Role.TREASURER))
    page = f"/expenses/claims/{claim.id}"
    note = post_twice(client, f"{page}/decide", {"approve": "Approve", "comment": ""}, page=page)
    assert note == f"Claim EC{claim.id} is already approved; nothing was changed."
    assert _count(session, JournalEntry, JournalEntry.source_kind == "expense_claim") == 1

    batch_id, _ = _batch_of_two(session, users)
    page = f"/expenses/payouts/{batch_id}"
    post_twice(client, f"{page}/executed", {"booked_on": clock.today().isoformat()}, page=page)
    assert _entries(session, batch_id) == 1
    batch_id, _ = _batch_of_two(session, users)
    page = f"/expenses/payouts/{batch_id}"
    post_twice(client, f"{page}/cancel", {"reason": "Refused"}, page=page)
    assert session.get(PayoutBatch, batch_id).status is BatchStatus.CANCELLED
    assert_money_sound(session)


def _count(session, model, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))
