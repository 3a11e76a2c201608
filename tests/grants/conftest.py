"""Grant programmes, committees and applications in any state, built with the real services."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from backoffice.auth.services import create_user
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import applying, deciding, paying, programmes, reporting, reviewing
from backoffice.grants.access import Applicant
from backoffice.grants.models import QuestionKind, Status
from backoffice.grants.payouts import pay_at_once
from backoffice.groups.models import MemberGroup
from backoffice.ledger import services as ledger

from ..helpers import PASSWORD

IBAN = "DE89370400440532013000"
_numbers = itertools.count(1)


def eur(euros) -> Money:
    return Money(int(round(euros * 100)), "EUR")


@dataclass
class Grants:
    programme: object
    fund: object
    group: object
    committee: list  # three reviewers
    treasurer: object
    organiser: object
    board: list  # two board members (the board role's user and one more)

    def fund_balance(self) -> int:
        from backoffice.ledger.balances import fund_balance
        return fund_balance(db.session, self.fund.id, date.max).get("EUR", 0)


def data(**overrides) -> applying.ApplicationInput:
    today = clock.today()
    values = dict(
        contact_email="orga@pyladies.example", applicant_name="PyLadies Bremen",
        contact_name="Grace Hopper", title="Workshop for beginners",
        description="A one-day Python workshop for 30 newcomers.",
        event_start=today + timedelta(days=60), event_end=today + timedelta(days=60),
        expected_attendance=30, amount_requested=eur(800), other_funding="Local sponsor: 200 EUR",
        budget_lines=[("Venue", eur(1_500)), ("Catering", eur(500))],
        answers={}, account_holder="PyLadies Bremen", iban=IBAN)
    values.update(overrides)
    return applying.ApplicationInput(**values)


@pytest.fixture
def grants(app, users):
    """A programme paying from a fund holding 10,000 EUR, with a 5,000 EUR budget this year,
    a quorum of 2, a board threshold of 1,500 EUR; a member group; three committee members; two
    board members (the board role's user and one more)."""
    app.config.update(GRANTS_APPLICATIONS_PER_EMAIL_PER_DAY=1000,
                      GRANTS_APPLICATIONS_PER_ADDRESS_PER_HOUR=1000)
    session = db.session
    with transaction():
        treasurer = users[Role.TREASURER]
        fund = ledger.create_fund(session, code="GRANTS", name="Community grants", actor=treasurer)
        bank = ledger.account_by_role(session, "bank")
        income = ledger.account_by_role(session, "donation_income")
        ledger.post_entry(session, booking_date=clock.today(), description="Donations for grants",
                          actor=treasurer, lines=[ledger.Line(bank, fund, eur(10_000)),
                                                  ledger.Line(income, fund, -eur(10_000))])
        programme = programmes.create_programme(session, programmes.ProgrammeInput(
            name="Community grants programme", slug="community", fund_id=fund.id,
            max_per_grant=eur(2_000), board_threshold=eur(1_500), quorum=2, report_days=30,
            summary="Small grants for meetups and workshops.", public_list=True,
            conditions="Mention the association as a supporter."), actor=treasurer)
        programmes.set_budget(session, programme, year=clock.today().year, amount=eur(5_000),
                              actor=treasurer)
        group_fund = ledger.create_fund(session, code="BRE", name="PyLadies Bremen",
                                        actor=treasurer)
        group = MemberGroup(name="PyLadies Bremen", slug="bre", status="active",
                            fund_id=group_fund.id)
        session.add(group)
        session.flush()
        group.organisers.append(users[Role.ORGANISER])
        committee = [users[Role.REVIEWER]] + [
            create_user(session, f"reviewer{n}@test.example", settings=app_settings(), roles=[Role.REVIEWER],
                        password=PASSWORD, name=f"Reviewer {n}") for n in (2, 3)]
        board = [users[Role.BOARD], create_user(session, "board2@test.example", settings=app_settings(), roles=[Role.BOARD],
                                                password=PASSWORD, name="Board 2")]
    return Grants(programme, fund, group, committee, treasurer, users[Role.ORGANISER], board)


def confirm_board(grants, application, reference: str, amount):
    """Two board members' confirmations of ``reference`` for ``application`` up to ``amount``, as
    the app kept them before board records existed (history now: nothing gives or reads them)."""
    from backoffice.grants.models import BoardConfirmation
    with transaction():
        for member in grants.board:
            db.session.add(BoardConfirmation(application_id=application.id, member_id=member.id,
                                             reference=reference, amount=amount.amount))


def board_resolution(grants, application, amount, *, votes=("yes", "yes")):
    """The board (the two board users) decides in writing on ``application`` up to ``amount``;
    returns the resolution (passed when both vote yes)."""
    from backoffice.board.models import SubjectKind

    from ..board.passed import decide
    return decide(SubjectKind.GRANT_APPLICATION, application.id, amount, votes=votes,
                  members=grants.board, actor=grants.treasurer)


def question(grants, kind=QuestionKind.YES_NO, label="Is the event free to attend?", **kwargs):
    with transaction():
        return programmes.add_question(db.session, grants.programme, label=label, kind=kind,
                                       actor=grants.treasurer, **kwargs)


#: The steps that take a new application to each state (each step runs in its own transaction).
def _step(grants, application, target: Status, amount):
    s, c = db.session, grants.committee
    applicant = Applicant(application.contact_email)
    if target is Status.SUBMITTED:
        applying.submit_application(s, application, actor=applicant, settings=app_settings())
    elif target is Status.INFO_REQUESTED:
        reviewing.request_information(s, application, question="Who teaches?", actor=c[0], settings=app_settings())
    elif target is Status.IN_REVIEW:
        reviewing.start_review(s, application, actor=c[0], settings=app_settings())
    elif target is Status.APPROVED:
        for member in c[:2]:
            reviewing.cast_vote(s, application, vote="yes", actor=member)
        deciding.approve(s, application, amount=amount, actor=c[0], settings=app_settings())
    elif target is Status.REJECTED:
        for member in c[:2]:
            reviewing.cast_vote(s, application, vote="no", actor=member)
        deciding.reject(s, application, reason="Out of scope.", actor=c[0], settings=app_settings())
    elif target is Status.WITHDRAWN:
        applying.withdraw(s, application, actor=applicant, reason="Event moved.", settings=app_settings())
    elif target is Status.CANCELLED:
        deciding.cancel_grant(s, application, reason="Event cancelled.", actor=c[0], settings=app_settings())
    elif target is Status.PAID:
        payment = paying.create_disbursement(s, application, actor=grants.treasurer, organisation=app_settings().organisation.name)
        pay(payment, grants)
    elif target is Status.REPORT_DUE:
        reporting.run_reminders(s, today=application.event_end, settings=app_settings())
    elif target is Status.REPORT_OVERDUE:
        reporting.run_reminders(s, today=application.report_due_on + timedelta(days=1), settings=app_settings())
    elif target is Status.REPORT_RECEIVED:
        reporting.submit_report(s, application, narrative="It went well.", attendance=28,
                               amount_spent=amount, unused=eur(0), actor=applicant,
                               uploads=[applying.Upload("receipt.pdf", PDF)], settings=app_settings())
    elif target is Status.CLOSED:
        reporting.close_grant(s, application, returned=eur(0), actor=grants.treasurer, settings=app_settings())


PATHS = {
    Status.DRAFT: [],
    Status.SUBMITTED: [Status.SUBMITTED],
    Status.INFO_REQUESTED: [Status.SUBMITTED, Status.INFO_REQUESTED],
    Status.IN_REVIEW: [Status.SUBMITTED, Status.IN_REVIEW],
    Status.APPROVED: [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED],
    Status.REJECTED: [Status.SUBMITTED, Status.IN_REVIEW, Status.REJECTED],
    Status.WITHDRAWN: [Status.SUBMITTED, Status.WITHDRAWN],
    Status.CANCELLED: [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.CANCELLED],
    Status.PAID: [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.PAID],
    Status.REPORT_DUE: [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.PAID,
                        Status.REPORT_DUE],
    Status.REPORT_OVERDUE: [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.PAID,
                            Status.REPORT_DUE, Status.REPORT_OVERDUE],
    Status.REPORT_RECEIVED: [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.PAID,
                             Status.REPORT_DUE, Status.REPORT_RECEIVED],
    Status.CLOSED: [Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.PAID,
                    Status.REPORT_DUE, Status.REPORT_RECEIVED, Status.CLOSED],
}


def pay(payment, grants, reference="BATCH-1", paid_on=None):
    """Pay a grant payment the way this tree pays (a payout batch, or by hand)."""
    pay_at_once(db.session, [payment], reference=reference, paid_on=paid_on or clock.today(),
                actor=grants.treasurer, settings=app_settings())


def make_application(grants, status: Status = Status.DRAFT, amount=None, user=None,
                     **overrides):
    """An application brought to ``status`` through the services, one transaction a step
    (made by ``user`` when given, else through the public form)."""
    amount = amount or eur(800)
    overrides.setdefault("amount_requested", amount)
    overrides.setdefault("contact_email", f"orga{next(_numbers)}@pyladies.example")
    with transaction():
        application = applying.save_application(
            db.session, data=data(**overrides), programme=grants.programme,
            address="192.0.2.1", user=user, settings=app_settings())
    for step in PATHS[status]:
        with transaction():
            _step(grants, application, step, amount)
    db.session.refresh(application)
    assert application.status is status
    return application


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
