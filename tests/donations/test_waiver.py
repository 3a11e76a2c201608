"""A waived reimbursement: the approved, unpaid claim is settled without a payout and becomes
the claimant's donation; the books show it without cash moving."""

import pytest
from sqlalchemy import select

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import InvalidTransition, PermissionDenied
from backoffice.core.permissions import Role
from backoffice.donations import waivers
from backoffice.donations.models import Channel, Donation, DonationKind
from backoffice.expenses.models import ClaimStatus
from backoffice.extensions import settings as app_settings
from backoffice.ledger.models import Posting
from backoffice.ledger.services import account_by_role
from backoffice.payouts import services as payouts

from ..helpers import login
from ..soundness import assert_money_sound
from ..sponsorship import active_group, approved


def _claim(session, users):
    group = active_group(session, "PyAachen", actor=users[Role.ADMIN], money="500.00")
    return group, approved(session, group.organisers[0], group.fund, users[Role.TREASURER],
                           ["40.00", "2.50"])


def _sum(session, role):
    account = account_by_role(session, role)
    return sum(p.amount for p in session.scalars(select(Posting).where(
        Posting.account_id == account.id)))


def test_the_claimant_waives_an_approved_claim(session, users):
    group, claim = _claim(session, users)
    bank_before, payables_before = _sum(session, "bank"), _sum(session, "payables")
    with transaction():
        donation = waivers.waive(session, claim, actor=group.organisers[0])
    assert claim.status is ClaimStatus.WAIVED
    assert (donation.channel, donation.kind) == (Channel.WAIVER, DonationKind.WAIVED_REIMBURSEMENT)
    assert donation.waived and donation.amount == 4250 and donation.fund_id == group.fund_id
    assert donation.donor.email == group.organisers[0].email
    assert _sum(session, "bank") == bank_before  # no cash moved
    assert _sum(session, "payables") == payables_before + 4250  # the liability is gone
    assert all(p.kind != "expense_claim" or p.source_id != str(claim.id)
               for p in payouts.open_payables(session).get("expense_claim", []))
    with pytest.raises(InvalidTransition), transaction():
        waivers.waive(session, claim, actor=group.organisers[0])
    assert len(session.scalars(select(Donation)).all()) == 1
    assert_money_sound(session)


def test_somebody_else_cannot_waive_it(session, users):
    group, claim = _claim(session, users)
    with pytest.raises(PermissionDenied), transaction():
        waivers.waive(session, claim, actor=users[Role.BOARD])


def test_a_claim_in_a_payout_batch_cannot_be_waived(session, users):
    group, claim = _claim(session, users)
    with transaction():
        payouts.create_batch(session, selected=[("expense_claim", str(claim.id))],
                             requested_on=clock.today(), actor=users[Role.TREASURER],
                             settings=app_settings())
    with pytest.raises(InvalidTransition, match="payout batch"), transaction():
        waivers.waive(session, claim, actor=group.organisers[0])
    assert claim.status is ClaimStatus.APPROVED


def test_waiving_from_the_page(app, client, session, users):
    group, claim = _claim(session, users)
    organiser = group.organisers[0]
    from ..helpers import PASSWORD, csrf_token
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": organiser.email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    page = client.get(f"/donations/waive/{claim.id}")
    assert page.status_code == 200 and "Verzicht" in page.get_data(as_text=True)
    response = client.post(f"/donations/waive/{claim.id}",
                           data={"csrf_token": csrf_token(client, f"/donations/waive/{claim.id}")})
    assert response.status_code == 302
    session.expire_all()
    assert claim.status is ClaimStatus.WAIVED
    board = app.test_client()
    login(board, Role.BOARD)
    assert board.get(f"/donations/waive/{claim.id}").status_code == 404
