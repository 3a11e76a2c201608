"""The state machine, the committee's rules and the money, through the services."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.errors import InvalidTransition, PermissionDenied, ValidationError
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import applying, deciding, lifecycle, paying, reporting, reviewing
from backoffice.grants.access import Applicant
from backoffice.grants.models import APPLICATION_STATES, Application, Event, Status
from backoffice.ledger.models import JournalEntry

from .conftest import PATHS, PDF, board_resolution, eur, make_application, pay

# Reminders move every paid grant, so the states built with them come first.
BUILD_ORDER = [Status.REPORT_OVERDUE, Status.REPORT_DUE, Status.REPORT_RECEIVED, Status.CLOSED,
               *[s for s in PATHS if s not in (Status.REPORT_OVERDUE, Status.REPORT_DUE,
                                              Status.REPORT_RECEIVED, Status.CLOSED)]]


def _attempts(grants):
    """Every transition an outsider can ask for, as (action, call(application))."""
    s, c, t = db.session, grants.committee, grants.treasurer

    def applicant(a):
        return Applicant(a.contact_email)
    return {
        "submit": lambda a: applying.submit_application(s, a, actor=applicant(a), settings=app_settings()),
        "request_information": lambda a: reviewing.request_information(
            s, a, question="More?", actor=c[0], settings=app_settings()),
        "answer": lambda a: applying.answer_information(s, a, answer="Here.",
                                                        actor=applicant(a), settings=app_settings()),
        "start_review": lambda a: reviewing.start_review(s, a, actor=c[0], settings=app_settings()),
        "approve": lambda a: deciding.approve(s, a, amount=eur(100), actor=c[0], settings=app_settings()),
        "reject": lambda a: deciding.reject(s, a, reason="No.", actor=c[0], settings=app_settings()),
        "withdraw": lambda a: applying.withdraw(s, a, actor=applicant(a), settings=app_settings()),
        "cancel": lambda a: deciding.cancel_grant(s, a, reason="Stop.", actor=c[0], settings=app_settings()),
        "paid": lambda a: lifecycle.transition(s, a, "paid", t, settings=app_settings()),
        "report_due": lambda a: lifecycle.transition(s, a, "report_due", None, settings=app_settings()),
        "report_overdue": lambda a: lifecycle.transition(s, a, "report_overdue", None, settings=app_settings()),
        "report": lambda a: reporting.submit_report(
            s, a, narrative="x", attendance=1, amount_spent=eur(1), unused=eur(0),
            uploads=[applying.Upload("r.pdf", PDF)], actor=applicant(a), settings=app_settings()),
        "close": lambda a: reporting.close_grant(s, a, returned=eur(0), actor=t, settings=app_settings()),
        "edit draft": lambda a: applying.save_application(
            s, data=applying.ApplicationInput(contact_email=a.contact_email), application=a, settings=app_settings()),
        "reduce": lambda a: deciding.reduce_grant(s, a, amount=eur(1), reason="x", actor=c[0], settings=app_settings()),
        "pay": lambda a: paying.create_disbursement(s, a, actor=t, organisation=app_settings().organisation.name),
        "vote": lambda a: reviewing.cast_vote(s, a, vote="yes", actor=c[2]),
    }


#: The extra operations and the states they work in.
EXTRA = {"edit draft": {Status.DRAFT}, "reduce": {Status.APPROVED}, "pay": {Status.APPROVED},
         "vote": {Status.IN_REVIEW}}


def test_every_refused_transition_is_refused_and_changes_nothing(grants, mailbox):
    applications = {status: make_application(grants, status) for status in BUILD_ORDER}
    for status, application in applications.items():
        db.session.refresh(application)
        assert application.status is status, (status, application.status)
    attempts = _attempts(grants)
    refused = 0
    for status, application in applications.items():
        for action, attempt in attempts.items():
            allowed = EXTRA[action] if action in EXTRA else APPLICATION_STATES.sources(action)
            if status in allowed:
                continue
            events = db.session.scalar(select(func.count()).select_from(Event))
            entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
            sent = len(mailbox)
            with pytest.raises(InvalidTransition):
                with transaction():
                    attempt(application)
            db.session.refresh(application)
            assert application.status is status, (action, status)
            assert db.session.scalar(select(func.count()).select_from(Event)) == events
            assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
            assert len(mailbox) == sent
            refused += 1
    assert refused > 150


def test_the_whole_way_with_the_money(grants, mailbox):
    before = grants.fund_balance()
    application = make_application(grants, Status.IN_REVIEW, amount=eur(800))
    with transaction():
        for member in grants.committee[:2]:
            reviewing.cast_vote(db.session, application, vote="yes", actor=member)
        deciding.approve(db.session, application, amount=eur(600), conditions="Send photos.",
                         actor=grants.committee[0], settings=app_settings())
    assert application.status is Status.APPROVED and application.amount_awarded == 60000
    assert application.report_due_on == application.event_end + timedelta(days=30)
    commitment = db.session.get(JournalEntry, application.commitment_entry_id)
    lines = {(p.account.role, p.fund.code): p.amount for p in commitment.postings}
    assert lines == {("grants_expense", "GRANTS"): 60000, ("grants_payable", "GRANTS"): -60000}
    assert grants.fund_balance() == before - 60000  # the available balance drops at once
    approval = mailbox[-1].get_body().get_content()
    assert "€600.00" in approval and "award letter" in approval

    # Paid in two parts through payables that wait for a payout batch.
    with transaction():
        first = paying.create_disbursement(db.session, application, amount=eur(200),
                                             actor=grants.treasurer, organisation=app_settings().organisation.name)
    assert (first.payee_name, first.iban, first.amount) == ("PyLadies Bremen",
                                                            "DE89370400440532013000", 20000)
    with transaction():
        pay(first, grants, "B-1")
    db.session.refresh(application)
    db.session.refresh(first)
    assert application.status is Status.APPROVED and application.amount_paid == 20000
    paid_entry = db.session.get(JournalEntry, first.entry_id)
    assert {(p.account.role, p.amount) for p in paid_entry.postings} == {
        ("grants_payable", 20000), ("bank", -20000)}
    with transaction():
        second = paying.create_disbursement(db.session, application, actor=grants.treasurer, organisation=app_settings().organisation.name)
        pay(second, grants, "B-2")
    db.session.refresh(application)
    assert second.amount == 40000 and application.status is Status.PAID
    assert grants.fund_balance() == before - 60000  # paying moves no more of the fund's money
    with pytest.raises((InvalidTransition, ValidationError)):  # paid once only
        with transaction():
            pay(second, grants, "B-2")

    # After the event: report due, reminder, report with an unused amount, closed.
    with transaction():
        assert reporting.run_reminders(db.session, today=application.event_end, settings=app_settings())["due"] == 1
    assert application.status is Status.REPORT_DUE
    with transaction():
        again = reporting.run_reminders(db.session, today=application.event_end, settings=app_settings())
    assert not any(again.values())
    with transaction():
        reporting.submit_report(db.session, application, narrative="28 people came.",
                               attendance=28, amount_spent=eur(550), unused=eur(50),
                               uploads=[applying.Upload("receipts.pdf", PDF)],
                               actor=Applicant(application.contact_email), settings=app_settings())
    assert application.status is Status.REPORT_RECEIVED
    with transaction():
        reporting.close_grant(db.session, application, returned=eur(50), actor=grants.treasurer, settings=app_settings())
    assert application.status is Status.CLOSED
    assert grants.fund_balance() == before - 55000
    subjects = [m["Subject"] for m in mailbox]
    for words in ("draft", "received your grant application", "is in review", "approved",
                  "Payment of your grant", "paid in full", "due by", "Thank you for your report",
                  "is closed"):
        assert any(words in subject for subject in subjects), words
    history = [(e.action, e.actor_label) for e in application.events]
    assert ("approve", "reviewer@test.example") in history
    assert ("submit", application.contact_email) in history


def test_reduction_and_cancellation_release_the_commitment_with_reversals(grants):
    before = grants.fund_balance()
    application = make_application(grants, Status.APPROVED, amount=eur(1000))
    assert grants.fund_balance() == before - 100000
    first_commitment = application.commitment_entry_id
    with transaction():
        deciding.reduce_grant(db.session, application, amount=eur(700), reason="Smaller venue.",
                              actor=grants.committee[0], settings=app_settings())
    assert application.amount_awarded == 70000
    assert grants.fund_balance() == before - 70000
    reversal = db.session.scalar(select(JournalEntry).where(
        JournalEntry.reverses_id == first_commitment))
    assert reversal is not None and {p.amount for p in reversal.postings} == {-100000, 100000}
    with transaction():
        deciding.cancel_grant(db.session, application, reason="Event cancelled.",
                              actor=grants.committee[0], settings=app_settings())
    assert application.status is Status.CANCELLED and application.amount_awarded == 0
    assert application.commitment_entry_id is None
    assert grants.fund_balance() == before

    # A grant paid in part is reduced to what was paid, and is then paid in full.
    partly = make_application(grants, Status.APPROVED, amount=eur(500))
    with transaction():
        payment = paying.create_disbursement(db.session, partly, amount=eur(300),
                                               actor=grants.treasurer, organisation=app_settings().organisation.name)
        pay(payment, grants, "B-9")
    db.session.refresh(partly)
    with pytest.raises(ValidationError, match="reduce it"):
        with transaction():
            deciding.cancel_grant(db.session, partly, reason="x", actor=grants.committee[0], settings=app_settings())
    with pytest.raises(ValidationError):
        with transaction():
            deciding.reduce_grant(db.session, partly, amount=eur(200), reason="x",
                                  actor=grants.committee[0], settings=app_settings())
    with transaction():
        deciding.reduce_grant(db.session, partly, amount=eur(300), reason="Fewer people.",
                              actor=grants.committee[0], settings=app_settings())
    assert partly.status is Status.PAID and partly.outstanding == 0
    assert grants.fund_balance() == before - 30000


def test_conflict_of_interest_excludes_from_scoring_and_voting(grants):
    application = make_application(grants, Status.IN_REVIEW)
    first, second, third = grants.committee
    with transaction():
        reviewing.score(db.session, application, value=4, comment="Good plan.", actor=first)
        reviewing.cast_vote(db.session, application, vote="yes", actor=first)
        reviewing.cast_vote(db.session, application, vote="yes", actor=second)
    assert reviewing.tally(application).yes == 2
    with transaction():
        reviewing.declare_conflict(db.session, application, note="I co-organise it.",
                                  actor=first)
    review = reviewing.review_of(application, first)
    assert review.conflict and review.score is None and review.vote is None
    assert reviewing.tally(application).yes == 1 and not reviewing.tally(application).quorate
    for attempt in (lambda: reviewing.score(db.session, application, value=5, comment="",
                                           actor=first),
                    lambda: reviewing.cast_vote(db.session, application, vote="yes", actor=first)):
        with pytest.raises(PermissionDenied):
            with transaction():
                attempt()
    with pytest.raises(ValidationError):
        with transaction():
            reviewing.assign_reviewer(db.session, application, first, actor=second, settings=app_settings())
    with pytest.raises(ValidationError, match="quorum"):
        with transaction():
            deciding.approve(db.session, application, amount=eur(500), actor=second, settings=app_settings())
    with transaction():
        reviewing.cast_vote(db.session, application, vote="yes", actor=third)
        deciding.approve(db.session, application, amount=eur(500), actor=second, settings=app_settings())
    assert application.status is Status.APPROVED


def test_organisers_of_the_applying_group_are_conflicted(grants, users):
    from backoffice.auth.services import update_user
    from backoffice.core.permissions import Role
    organiser = grants.organiser
    with transaction():
        update_user(db.session, organiser, actor=None, name=organiser.name,
                    roles=[Role.ORGANISER, Role.REVIEWER], active=True)
    application = make_application(grants, Status.IN_REVIEW, group_id=grants.group.id)
    assert reviewing.is_conflicted(application, organiser)
    with pytest.raises(PermissionDenied):
        with transaction():
            reviewing.cast_vote(db.session, application, vote="yes", actor=organiser)


def test_quorum_and_majority(grants):
    first, second, third = grants.committee
    application = make_application(grants, Status.IN_REVIEW)
    with transaction():
        reviewing.cast_vote(db.session, application, vote="yes", actor=first)
    with pytest.raises(ValidationError, match="quorum: 1 of 2"):
        with transaction():
            deciding.approve(db.session, application, amount=eur(500), actor=first, settings=app_settings())
    with pytest.raises(ValidationError, match="quorum"):
        with transaction():
            deciding.reject(db.session, application, reason="No.", actor=first, settings=app_settings())
    with transaction():
        reviewing.cast_vote(db.session, application, vote="no", actor=second)
    assert reviewing.tally(application).quorate and not reviewing.tally(application).carried
    with pytest.raises(ValidationError, match="did not vote for it"):
        with transaction():
            deciding.approve(db.session, application, amount=eur(500), actor=first, settings=app_settings())
    with transaction():  # a member changes their vote; an abstention counts for the quorum only
        reviewing.cast_vote(db.session, application, vote="abstain", actor=second)
    assert reviewing.tally(application).carried
    with pytest.raises(ValidationError, match="voted for the grant"):
        with transaction():
            deciding.reject(db.session, application, reason="No.", actor=first, settings=app_settings())
    with transaction():
        reviewing.cast_vote(db.session, application, vote="no", actor=third)
        reviewing.cast_vote(db.session, application, vote="no", actor=second)
        deciding.reject(db.session, application, reason="Not this time.", actor=first, settings=app_settings())
    assert application.status is Status.REJECTED


def _in_review_with_votes(grants, **overrides):
    application = make_application(grants, Status.IN_REVIEW, **overrides)
    with transaction():
        for member in grants.committee[:2]:
            reviewing.cast_vote(db.session, application, vote="yes", actor=member)
    return application


def test_board_resolution_needed_above_the_threshold(grants):
    application = _in_review_with_votes(grants, amount_requested=eur(1_800))
    with pytest.raises(ValidationError) as refused:
        with transaction():
            deciding.approve(db.session, application, amount=eur(1_600), actor=grants.committee[0], settings=app_settings())
    assert refused.value.field == "board_resolution_ref"
    with transaction():  # at the threshold the committee decides alone
        deciding.approve(db.session, application, amount=eur(1_500), actor=grants.committee[0], settings=app_settings())
    other = _in_review_with_votes(grants, amount_requested=eur(1_800))
    resolution = board_resolution(grants, other, eur(1_800))
    with transaction():
        deciding.approve(db.session, other, amount=eur(1_800), actor=grants.committee[0],
                         settings=app_settings())
    assert other.board_resolution_ref == resolution.number


def test_amount_budget_and_fund_balance_refusals(grants):
    application = _in_review_with_votes(grants, amount_requested=eur(1_000))
    cases = [(eur(1_200), "more than the"), (eur(0), "must be positive")]
    for amount, message in cases:
        with pytest.raises(ValidationError, match=message):
            with transaction():
                deciding.approve(db.session, application, amount=amount,
                                 actor=grants.committee[0], settings=app_settings())
    # The year's budget: 5,000 EUR; 4,500 are awarded already.
    for _ in range(3):
        make_application(grants, Status.APPROVED, amount=eur(1_500))
    with pytest.raises(ValidationError, match="”: €500.00 is left"):
        with transaction():
            deciding.approve(db.session, application, amount=eur(1_000),
                             actor=grants.committee[0], settings=app_settings())
    # A budget big enough, but the fund holds less than the award.
    with transaction():
        from backoffice.grants.programmes import set_budget
        set_budget(db.session, grants.programme, year=clock.today().year, amount=eur(50_000),
                   actor=grants.treasurer)
        grants.programme.max_per_grant = 2_000_000
        application.amount_requested = 1_000_000
    application = db.session.get(Application, application.id)
    board_resolution(grants, application, eur(6_000))
    with pytest.raises(ValidationError, match="has only €5,500.00 available"):
        with transaction():
            deciding.approve(db.session, application, amount=eur(6_000),
                             actor=grants.committee[0], settings=app_settings())
    with transaction():
        deciding.approve(db.session, application, amount=eur(5_500),
                         actor=grants.committee[0], settings=app_settings())
    assert grants.fund_balance() == 0


def test_no_budget_for_the_year_refuses(grants):
    application = _in_review_with_votes(grants)
    with transaction():
        grants.programme.budgets.clear()
    with pytest.raises(ValidationError, match="no budget"):
        with transaction():
            deciding.approve(db.session, application, amount=eur(500), actor=grants.committee[0], settings=app_settings())


def test_a_group_with_an_overdue_report_gets_no_new_grant(grants, mailbox):
    late = make_application(grants, Status.REPORT_OVERDUE, group_id=grants.group.id)
    assert any("overdue" in m["Subject"] for m in mailbox)
    application = _in_review_with_votes(grants, group_id=grants.group.id,
                                        title="Second workshop")
    with pytest.raises(ValidationError, match=f"{late.reference} is overdue"):
        with transaction():
            deciding.approve(db.session, application, amount=eur(500), actor=grants.committee[0], settings=app_settings())
    with transaction():
        reporting.submit_report(db.session, late, narrative="Sorry, late.", attendance=20,
                               amount_spent=eur(800), unused=eur(0),
                               uploads=[applying.Upload("r.pdf", PDF)],
                               actor=Applicant(late.contact_email), settings=app_settings())
    with transaction():
        deciding.approve(db.session, application, amount=eur(500), actor=grants.committee[0], settings=app_settings())
    assert application.status is Status.APPROVED


def test_reminders_before_and_after_the_due_date(grants, mailbox):
    application = make_application(grants, Status.REPORT_DUE)
    due = application.report_due_on
    runs = [(due - timedelta(days=20), 0), (due - timedelta(days=14), 1),
            (due - timedelta(days=10), 0), (due + timedelta(days=1), "overdue"),
            (due + timedelta(days=5), 0), (due + timedelta(days=15), 1)]
    for day, expected in runs:
        mailbox.clear()
        with transaction():
            counts = reporting.run_reminders(db.session, today=day, settings=app_settings())
        if expected == "overdue":
            assert counts["overdue"] == 1 and application.status is Status.REPORT_OVERDUE
        else:
            assert counts["reminded"] + counts["overdue_reminded"] == expected, day
        assert len(mailbox) == (1 if expected else 0)


def test_submitting_checks_completeness_lead_time_and_limits(grants):
    from backoffice.grants import programmes
    with transaction():
        grants.programme.min_lead_days = 42
    incomplete = applying.ApplicationInput(contact_email="x@example.org", amount_requested=eur(3_000),
                                           event_start=clock.today() + timedelta(days=10))
    with pytest.raises(applying.IncompleteApplication) as refused:
        with transaction():
            applying.save_application(db.session, data=incomplete, programme=grants.programme,
                                      submit=True, settings=app_settings())
    errors = refused.value.errors
    assert {"applicant_name", "contact_name", "title", "description", "iban", "budget_lines",
            "expected_attendance"} <= set(errors)
    assert "at least 42 days" in errors["event_start"]
    assert "at most €2,000.00" in errors["amount_requested"]
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    with transaction():
        programmes.add_question(db.session, grants.programme, label="Venue?", kind="choice",
                                choices="Library\nUniversity", actor=grants.treasurer)
    with pytest.raises(applying.IncompleteApplication) as refused:
        with transaction():
            applying.save_application(db.session, data=_data_with(answers={}),
                                      programme=grants.programme, submit=True, settings=app_settings())
    assert list(refused.value.errors) == [grants.programme.questions[0].key]


def _data_with(**overrides):
    from .conftest import data
    return data(**overrides)


def test_assigning_and_volunteering_reviewers(grants, mailbox):
    first, second, third = grants.committee
    application = make_application(grants, Status.SUBMITTED)
    with transaction():
        reviewing.assign_reviewer(db.session, application, second, actor=first, settings=app_settings())
    assert mailbox[-1]["To"] == second.email and application.reference in mailbox[-1]["Subject"]
    with pytest.raises(ValidationError, match="already reviews"):
        with transaction():
            reviewing.assign_reviewer(db.session, application, second, actor=first, settings=app_settings())
    with pytest.raises(PermissionDenied):
        with transaction():
            reviewing.assign_reviewer(db.session, application, grants.treasurer, actor=first, settings=app_settings())
    with transaction():
        reviewing.volunteer(db.session, application, actor=third)
    assert [(r.reviewer_id, r.assigned_by_id) for r in application.reviews] == [
        (second.id, first.id), (third.id, None)]


def test_programmes_in_rounds_take_applications_only_while_a_round_is_open(grants):
    from backoffice.grants import programmes
    today = clock.today()
    with transaction():
        grants.programme.uses_rounds = True
    with pytest.raises(ValidationError, match="No round of “Community grants programme” is open"):
        with transaction():
            applying.save_application(db.session, data=_data_with(), programme=grants.programme, settings=app_settings())
    with transaction():
        programmes.add_round(db.session, grants.programme, name="Spring", actor=grants.treasurer,
                             opens_on=today - timedelta(days=5), deadline=today + timedelta(days=5))
    with transaction():
        application = applying.save_application(db.session, data=_data_with(),
                                                programme=grants.programme, settings=app_settings())
    assert application.round.name == "Spring"
    with pytest.raises(applying.IncompleteApplication) as late:
        with transaction():
            applying.submit_application(db.session, application, actor=None,
                                        today=today + timedelta(days=6), settings=app_settings())
    assert "deadline of Spring" in late.value.errors["_form"]


def test_budget_view_figures(grants):
    from backoffice.grants.queries import budget_view
    make_application(grants, Status.APPROVED, amount=eur(1_000))
    make_application(grants, Status.PAID, amount=eur(500))
    make_application(grants, Status.CANCELLED, amount=eur(700))
    make_application(grants, Status.SUBMITTED, amount=eur(300))
    row = budget_view(db.session, clock.today().year).rows[0]
    assert (row.budget, row.awarded, row.paid, row.committed, row.remaining) == (
        500_000, 150_000, 50_000, 100_000, 350_000)
    assert (row.grants, row.pending, row.requested_pending) == (2, 1, 30_000)


def test_the_reminder_command(app, grants):
    application = make_application(grants, Status.PAID)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["grants", "remind", "--today",
                                 application.event_end.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 report(s) now due" in result.output
    db.session.expire_all()
    assert db.session.get(Application, application.id).status is Status.REPORT_DUE
