"""Who may decide, in the browser: a reviewer with a conflict of interest is offered no decision,
and an award above the board threshold waits for a passed board resolution naming it."""
from playwright.sync_api import expect

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.grants import reviewing
from backoffice.grants.models import Status

from ..grants.conftest import board_resolution, eur, grants, make_application  # noqa: F401
from ..helpers import PASSWORD
from .conftest import log_in


def _log_out(page):
    page.click("text=Log out")
    page.wait_for_url("**/login")


def test_a_conflicted_reviewer_sees_no_decision_and_the_award_waits_for_the_boards_resolution(
        page, grants):  # noqa: F811
    application = make_application(grants, Status.IN_REVIEW, amount=eur(1_800))
    reviewer, second, third = grants.committee
    with transaction():
        reviewing.cast_vote(db.session, application, vote="yes", actor=second)
        reviewing.cast_vote(db.session, application, vote="yes", actor=third)
        reviewing.declare_conflict(db.session, application, note="I chair the applying group.",
                                  actor=reviewer)
    address = f"/grants/applications/{application.id}"

    # The conflicted reviewer sees why, and no form to vote, approve or decline.
    log_in(page, reviewer.email, PASSWORD)
    page.goto(address)
    expect(page.locator("[data-testid=conflict-decision]")).to_contain_text(
        "I chair the applying group.")
    for button in ("#approve-submit", "#vote-submit", "#score-submit", "#board-submit"):
        expect(page.locator(button)).to_have_count(0)
    _log_out(page)

    # Above the board threshold the committee cannot approve until the board has decided.
    log_in(page, second.email, PASSWORD)
    page.goto(address)
    expect(page.locator("[data-testid=no-resolution]")).to_contain_text(
        f"names this application (number {application.id})")
    page.fill("#approve-amount", "1800")
    page.click("#approve-submit")
    expect(page.locator("[data-testid=decision]")).to_contain_text("need the board's resolution")
    expect(page.locator("[data-testid=status]")).to_have_text("In review")

    # The board decides in writing (both members vote yes); now the committee approves.
    resolution = board_resolution(grants, application, eur(1_800))
    page.goto(address)
    page.fill("#approve-amount", "1800")
    page.click("#approve-submit")
    expect(page.locator(".alert-success")).to_contain_text("approved")
    expect(page.locator("[data-testid=status]")).to_have_text("Approved")
    expect(page.locator("[data-testid=board]")).to_contain_text(
        f"Awarded under the board's resolution {resolution.number}")
