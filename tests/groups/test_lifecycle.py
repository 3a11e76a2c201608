"""A group's life through the services: application, approval (fund, fee policy, organisers
invited), dormancy, dissolution, and what is refused on the way."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice.auth.models import UserToken
from backoffice.core import clock
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import InvalidTransition, ValidationError
from backoffice.core.permissions import Role
from backoffice.extensions import settings as app_settings
from backoffice.funds.fees import policy_on
from backoffice.funds.models import IncomeKind
from backoffice.groups import services as groups
from backoffice.groups.models import GroupStatus, MemberGroup
from backoffice.ledger import services as ledger

from ..sponsorship import active_group, eur, give


def _apply(session, **overrides):
    values = dict(name="PyRheinland", kind="user_group", city="Köln", country="DE",
                  website="https://pyrheinland.example", description="Monthly talks",
                  needs="A bank account for sponsorship", coc_contact="coc@pyrheinland.example",
                  contacts=[("Ana Organiser", "Ana@Example.org"), ("Ben", "ben@example.org")])
    values.update(overrides)
    with transaction():
        return groups.apply(session, **values, settings=app_settings())


def _approve(session, group, actor, **overrides):
    values = dict(actor=actor, agreement_version="2025-2",
                  agreement_signed_on=clock.today(), agreement_signed_by="Ana Organiser")
    values.update(overrides)
    with transaction():
        return groups.approve(session, group, **values, settings=app_settings())


def _actions(session, group):
    return [e.action for e in session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "member_group",
                                 AuditEvent.object_id == str(group.id)).order_by(AuditEvent.id))]


def test_application_then_approval_opens_the_fund_and_invites_the_organisers(session, users,
                                                                            mailbox):
    group = _apply(session)
    assert group.status is GroupStatus.APPLICANT and group.fund_id is None
    assert group.slug == "pyrheinland"
    assert [a.email for a in group.applicants] == ["ana@example.org", "ben@example.org"]
    assert sorted(m["To"] for m in mailbox) == ["ana@example.org", "ben@example.org"]
    mailbox.clear()

    _approve(session, group, users[Role.BOARD])
    assert group.status is GroupStatus.ACTIVE and group.status_since == clock.today()
    assert group.fund.code == "PYRHEINLAND" and group.fund.name == "PyRheinland"
    policy = policy_on(session, group.fund_id, clock.today())
    assert policy.rate_bp == 700
    assert policy.kinds == {IncomeKind.SPONSORSHIP, IncomeKind.DONATION, IncomeKind.TICKETS}
    assert sorted(u.email for u in group.organisers) == ["ana@example.org", "ben@example.org"]
    assert all(u.roles == {Role.ORGANISER} and u.password_hash is None for u in group.organisers)
    # One invitation each, with a single-use link.
    assert sorted(m["To"] for m in mailbox) == ["ana@example.org", "ben@example.org"]
    assert all("/password/invite/" in m.get_body().get_content() for m in mailbox)
    assert session.scalar(select(UserToken).where(UserToken.purpose == "invite")) is not None
    assert [(c.from_status, c.to_status) for c in group.status_changes] == [
        (None, "applicant"), ("applicant", "active")]
    assert _actions(session, group) == ["group.applied", "group.status_changed",
                                        "group.status_changed", "group.organiser_added",
                                        "group.organiser_added"]


def test_an_approved_group_can_be_given_another_fee_and_a_slug_stays_unique(session, users):
    first = _apply(session, name="Python Zürich")
    second = _apply(session, name="Python Zurich")
    assert (first.slug, second.slug) == ("python-zurich", "python-zurich-2")
    _approve(session, first, users[Role.ADMIN], fee_percent=Decimal("10"))
    _approve(session, second, users[Role.ADMIN])
    assert policy_on(session, first.fund_id, clock.today()).rate_bp == 1000
    assert (first.fund.code, second.fund.code) == ("ZURICH", "ZURICH-2")


def test_what_an_application_refuses(session):
    with pytest.raises(ValidationError) as error:
        _apply(session, contacts=[("", "")])
    assert error.value.field == "contacts"
    with pytest.raises(ValidationError) as error:
        _apply(session, contacts=[("Ana", "not-an-email")])
    assert error.value.field == "contacts"
    with pytest.raises(ValidationError) as error:
        _apply(session, country="XY")
    assert error.value.field == "country"
    with pytest.raises(ValidationError) as error:
        _apply(session, website="pyrheinland")
    assert error.value.field == "website"
    with pytest.raises(ValidationError) as error:
        _apply(session, founded_on=clock.today() + timedelta(days=3))
    assert error.value.field == "founded_on"
    assert session.scalar(select(MemberGroup)) is None


def test_decline_dormant_reactivate_and_dissolve(session, users, mailbox):
    declined = _apply(session, name="Spam Group")
    with transaction():
        groups.decline(session, declined, actor=users[Role.BOARD], reason="Not a Python group.", settings=app_settings())
    assert declined.status is GroupStatus.DECLINED and declined.fund_id is None
    assert "Not a Python group." in mailbox[-1].get_body().get_content()
    with pytest.raises(InvalidTransition):
        _approve(session, declined, users[Role.BOARD])

    group = active_group(session, "PyLadies Köln", actor=users[Role.ADMIN], money="30.00")
    treasurer = users[Role.TREASURER]
    with transaction():
        groups.change_status(session, group, GroupStatus.DORMANT, actor=treasurer,
                             reason="No meetups since spring")
    with pytest.raises(InvalidTransition):
        with transaction():
            groups.change_status(session, group, GroupStatus.DORMANT, actor=treasurer,
                                 reason="again")
    with transaction():
        groups.change_status(session, group, GroupStatus.ACTIVE, actor=treasurer,
                             reason="New organisers")
    # Not while the fund holds money.
    with pytest.raises(ValidationError, match="still holds money"):
        with transaction():
            groups.change_status(session, group, GroupStatus.DISSOLVED, actor=treasurer,
                                 reason="Stopped")
    assert group.status is GroupStatus.ACTIVE
    with transaction():
        ledger.transfer_between_funds(session, from_fund=group.fund,
                                      to_fund=ledger.general_fund(session), amount=eur("30.00"),
                                      booking_date=clock.today(), description="Remaining money",
                                      actor=treasurer)
    with pytest.raises(ValidationError, match="reason"):
        with transaction():
            groups.change_status(session, group, GroupStatus.DISSOLVED, actor=treasurer, reason=" ")
    with transaction():
        groups.change_status(session, group, GroupStatus.DISSOLVED, actor=treasurer,
                             reason="The group has stopped")
    assert group.status is GroupStatus.DISSOLVED and not group.fund.active
    assert [c.to_status for c in group.status_changes] == [
        "applicant", "active", "dormant", "active", "dissolved"]
    last = session.scalars(select(AuditEvent).where(AuditEvent.action == "group.status_changed")
                           .order_by(AuditEvent.id.desc())).first()
    assert last.before == {"status": "active"}
    assert last.after["status"] == "dissolved" and last.after["reason"] == "The group has stopped"


def test_organisers_added_and_removed(session, users, mailbox):
    group = active_group(session, "PyData Bonn", actor=users[Role.ADMIN])
    mailbox.clear()
    reviewer = users[Role.REVIEWER]
    with transaction():
        groups.add_organiser(session, group, email=reviewer.email, name="", actor=users[Role.ADMIN], settings=app_settings())
    # An existing user is told, not invited, and gets the organiser role to see the group.
    assert reviewer.roles == {Role.REVIEWER, Role.ORGANISER}
    assert group.id in reviewer.organised_group_ids
    assert mailbox[-1]["Subject"] == "You are an organiser of PyData Bonn"
    with pytest.raises(ValidationError, match="already organises"):
        with transaction():
            groups.add_organiser(session, group, email=reviewer.email, name="",
                                 actor=users[Role.ADMIN], settings=app_settings())
    with transaction():
        groups.remove_organiser(session, group, reviewer, actor=users[Role.ADMIN])
    assert group.id not in reviewer.organised_group_ids
    assert "group.organiser_removed" in _actions(session, group)


def test_the_database_refuses_an_unknown_status(session, users):
    group = _apply(session)
    with pytest.raises(IntegrityError):
        session.execute(MemberGroup.__table__.update().where(MemberGroup.id == group.id)
                        .values(status="sleeping"))
    session.rollback()


def test_money_given_to_a_group_shows_on_its_fund(session, users):
    group = active_group(session, "PyCon Rhein", actor=users[Role.ADMIN])
    with transaction():
        give(session, group.fund, eur("10.00"))
    page = groups.directory(session, groups.GroupScope(all_groups=True), text="Rhein")
    assert [(g.name, balances) for g, balances in page.rows] == [("PyCon Rhein", {"EUR": 1000})]
