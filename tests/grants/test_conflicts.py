"""Who may decide: a person with a conflict of interest, or the applicant themself, takes no part
in reviewing, voting on or deciding an application, on any path (services and pages)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from backoffice.auth.services import create_user
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import PermissionDenied
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.grants import conflicts, deciding, reporting, reviewing
from backoffice.grants.conflicts import Reason, conflict_of
from backoffice.grants.models import Application, Event, Status
from backoffice.ledger.models import JournalEntry

from ..helpers import PASSWORD, email_for, login, post_form
from .conftest import eur, make_application

# --- the rule itself, without a database -----------------------------------------------------------


def _application(**values):
    defaults = dict(reviews=[], applicant_user_id=None, contact_email="orga@pyladies.example",
                    group_id=None, reference="G-00001")
    return SimpleNamespace(**(defaults | values))


def _person(id=7, email="member@test.example", groups=()):
    return SimpleNamespace(id=id, email=email, organised_group_ids=frozenset(groups))


def test_a_member_without_any_tie_to_the_application_is_not_conflicted():
    other_review = SimpleNamespace(reviewer_id=8, conflict=True, conflict_note="friend")
    application = _application(reviews=[other_review], applicant_user_id=9, group_id=3)
    assert conflict_of(application, _person(groups=[4])) is None
    assert conflict_of(application, None) is None


def test_a_declared_conflict_is_a_conflict_with_its_note():
    review = SimpleNamespace(reviewer_id=7, conflict=True, conflict_note="my employer")
    conflict = conflict_of(_application(reviews=[review]), _person())
    assert conflict.reason is Reason.DECLARED and conflict.note == "my employer"
    undeclared = SimpleNamespace(reviewer_id=7, conflict=False, conflict_note="")
    assert conflict_of(_application(reviews=[undeclared]), _person()) is None


def test_the_user_who_made_the_application_is_conflicted_on_it():
    assert conflict_of(_application(applicant_user_id=7), _person()).reason is Reason.APPLICANT


def test_the_contact_email_makes_its_owner_the_applicant_whatever_the_case():
    application = _application(contact_email="Ada.Lovelace@Example.ORG")
    assert conflict_of(application, _person(email="ada.lovelace@example.org")).reason \
        is Reason.CONTACT
    assert conflict_of(application, _person(email=" ADA.LOVELACE@example.org ")).reason \
        is Reason.CONTACT
    assert conflict_of(application, _person(email="ada@example.org")) is None
    # Someone acting through the secret link (no account) is the applicant too.
    assert conflict_of(application, SimpleNamespace(email="ada.lovelace@example.org")).reason \
        is Reason.CONTACT
    assert conflict_of(_application(contact_email=""), _person(email="")) is None


def test_organisers_of_the_applying_group_are_conflicted():
    assert conflict_of(_application(group_id=3), _person(groups=[3])).reason is Reason.ORGANISER


def test_the_refusal_names_the_reason_the_action_and_the_application():
    text = conflicts.refusal(_application(applicant_user_id=7), _person(), "reduce")
    assert text == "You made this application: you cannot change the amount of application " \
                   "G-00001."
    assert conflicts.refusal(_application(), _person(), "approve") is None


# --- every path refuses every kind of conflicted person, on both databases -------------------------

def _admin(email: str):
    """Conflicted people get every permission, so that only the conflict can refuse them."""
    return create_user(db.session, email, settings=app_settings(), roles=[Role.ADMIN], password=PASSWORD, name=email)


def _conflicted(kind: str, grants):
    """(the person, what the application needs to make them conflicted, what to do after)."""
    with transaction():
        if kind == "declared":
            person = _admin("member@test.example")
            return person, {}, lambda a: reviewing.declare_conflict(
                db.session, a, note="I am paid by the venue.", actor=person)
        if kind == "applicant":
            person = _admin("applicant@test.example")
            return person, {"user": person}, None
        if kind == "contact":
            person = _admin("ada.lovelace@example.org")
            return person, {"contact_email": "Ada.Lovelace@Example.ORG"}, None
        person = _admin("organiser2@test.example")
        grants.group.organisers.append(person)
        return person, {"group_id": grants.group.id}, None


def _in_review_with(votes: str):
    def prepare(grants, application):
        for member in grants.committee[:2]:
            reviewing.cast_vote(db.session, application, vote=votes, actor=member)
    return prepare


#: action -> (state the application is in, preparation, the attempt by ``person``)
ATTEMPTS = {
    "assign": (Status.IN_REVIEW, None, lambda g, a, p: reviewing.assign_reviewer(
        db.session, a, g.committee[2], actor=p, settings=app_settings())),
    "review": (Status.IN_REVIEW, None, lambda g, a, p: reviewing.volunteer(db.session, a, actor=p)),
    "score": (Status.IN_REVIEW, None, lambda g, a, p: reviewing.score(
        db.session, a, value=5, comment="Excellent.", actor=p)),
    "vote": (Status.IN_REVIEW, None, lambda g, a, p: reviewing.cast_vote(
        db.session, a, vote="yes", actor=p)),
    "approve": (Status.IN_REVIEW, _in_review_with("yes"), lambda g, a, p: deciding.approve(
        db.session, a, amount=eur(800), actor=p, settings=app_settings())),
    "reject": (Status.IN_REVIEW, _in_review_with("no"), lambda g, a, p: deciding.reject(
        db.session, a, reason="No.", actor=p, settings=app_settings())),
    "reduce": (Status.APPROVED, None, lambda g, a, p: deciding.reduce_grant(
        db.session, a, amount=eur(500), reason="Fewer people.", actor=p, settings=app_settings())),
    "cancel": (Status.APPROVED, None, lambda g, a, p: deciding.cancel_grant(
        db.session, a, reason="Called off.", actor=p, settings=app_settings())),
    "close": (Status.REPORT_RECEIVED, None, lambda g, a, p: reporting.close_grant(
        db.session, a, returned=eur(0), actor=p, settings=app_settings())),
}


def _snapshot(application_id: int):
    db.session.expire_all()
    a = db.session.get(Application, application_id)
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return (a.status, a.amount_awarded, a.commitment_entry_id, a.board_resolution_ref,
            sorted((r.reviewer_id, r.score, r.vote, r.conflict) for r in a.reviews),
            [(c.member_id, c.reference) for c in a.board_confirmations],
            count(Event), count(AuditEvent), count(JournalEntry))


def test_every_decision_the_rule_names_is_tried_here():
    assert set(ATTEMPTS) == set(conflicts.DECISIONS)


@pytest.mark.parametrize("action", list(ATTEMPTS))
@pytest.mark.parametrize("kind", ["declared", "applicant", "contact", "organiser"])
def test_a_conflicted_person_is_refused_and_nothing_changes(grants, kind, action):
    person, needs, after = _conflicted(kind, grants)
    state, prepare, attempt = ATTEMPTS[action]
    application = make_application(grants, state, **needs)
    with transaction():
        if prepare:
            prepare(grants, application)
        if after:
            after(application)
    assert reviewing.is_conflicted(application, person)
    before = _snapshot(application.id)
    with pytest.raises(PermissionDenied, match=f"you cannot {conflicts.DECISIONS[action]} "
                                               f"application {application.reference}"):
        with transaction():
            attempt(grants, db.session.get(Application, application.id), person)
    assert _snapshot(application.id) == before


def test_a_vote_cast_before_the_conflict_arose_no_longer_counts(grants):
    application = make_application(grants, Status.IN_REVIEW, group_id=grants.group.id)
    first, second, _ = grants.committee
    with transaction():
        reviewing.cast_vote(db.session, application, vote="yes", actor=first)
        reviewing.cast_vote(db.session, application, vote="yes", actor=second)
    assert reviewing.tally(application).yes == 2
    with transaction():  # the member becomes an organiser of the applying group
        grants.group.organisers.append(first)
    assert reviewing.tally(application).yes == 1 and not reviewing.tally(application).quorate


# --- the pages: the forms are hidden, and a forged post is refused with 403 ------------------------

def _page(application):
    return f"/grants/applications/{application.id}"


def test_a_conflicted_reviewer_sees_no_decision_and_cannot_approve_by_a_forged_post(
        client, grants, users):
    application = make_application(grants, Status.IN_REVIEW)
    reviewer = users[Role.REVIEWER]
    with transaction():
        reviewing.cast_vote(db.session, application, vote="yes", actor=grants.committee[1])
        reviewing.cast_vote(db.session, application, vote="yes", actor=grants.committee[2])
        reviewing.declare_conflict(db.session, application, note="I am paid by the venue.",
                                  actor=reviewer)
    login(client, Role.REVIEWER)
    html = client.get(_page(application)).get_data(as_text=True)
    assert 'data-testid="conflict-decision"' in html and "I am paid by the venue." in html
    for action in ("/approve", "/reject", "/vote", "/review", "/assign"):
        assert f'action="{_page(application)}{action}"' not in html
    before = _snapshot(application.id)
    response = post_form(client, _page(application) + "/approve", {"approve-amount": "800"},
                         token_from=_page(application))
    assert response.status_code == 403
    assert "you cannot approve application" in response.get_data(as_text=True)
    assert _snapshot(application.id) == before
    # Another member, without a conflict, sees the decision and may take it.
    login(client, Role.ADMIN)
    html = client.get(_page(application)).get_data(as_text=True)
    assert f'action="{_page(application)}/approve"' in html


def test_the_applicant_cannot_change_the_amount_of_their_own_grant_through_the_page(
        client, grants, users):
    application = make_application(grants, Status.APPROVED,
                                   contact_email=email_for(Role.BOARD).upper())
    login(client, Role.BOARD)
    html = client.get(_page(application)).get_data(as_text=True)
    assert "Your e-mail address is the application&#39;s contact address" in html
    assert f'action="{_page(application)}/reduce"' not in html
    before = _snapshot(application.id)
    response = post_form(client, _page(application) + "/reduce",
                         {"reduce-amount": "100", "reduce-reason": "Mine."},
                         token_from=_page(application))
    assert response.status_code == 403
    assert "you cannot change the amount of application" in response.get_data(as_text=True)
    assert _snapshot(application.id) == before
    assert before[1] == 80000


def test_a_committee_member_cannot_vote_on_their_own_application_through_the_page(
        client, grants, users):
    reviewer = users[Role.REVIEWER]
    application = make_application(grants, Status.IN_REVIEW, user=reviewer)
    login(client, Role.REVIEWER)
    html = client.get(_page(application)).get_data(as_text=True)
    assert "You made this application" in html
    assert f'action="{_page(application)}/vote"' not in html
    response = post_form(client, _page(application) + "/vote", {"vote-vote": "yes"},
                         token_from=_page(application))
    assert response.status_code == 403 and "you cannot vote on" in response.get_data(as_text=True)
    assert reviewing.tally(db.session.get(Application, application.id)).cast == 0
