"""Who may decide, in the browser: a reviewer with a conflict of interest is offered no decision,
and an award above the board threshold waits for two board members' confirmations."""
from playwright.sync_api import expect

from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.grants import reviewing
from backoffice.grants.models import Status

from ..grants.conftest import eur, grants, make_application  # noqa: F401 (the fixture)
from ..helpers import PASSWORD, email_for
from .conftest import log_in


def _log_out(page):
    page.click("text=Log out")
    page.wait_for_url("**/login")


def test_a_conflicted_reviewer_sees_no_decision_and_two_board_members_confirm_the_resolution(
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

    # A board member confirms the resolution; one confirmation is not enough to approve.
    log_in(page, email_for("board"), PASSWORD)
    page.goto(address)
    expect(page.locator("[data-testid=no-confirmations]")).to_be_visible()
    page.fill("#board-reference", "B-2026-12")
    page.fill("#board-amount", "1800")
    page.click("#board-submit")
    expect(page.locator(".alert-success")).to_contain_text("confirmation")
    expect(page.locator("[data-testid=board]")).to_contain_text("B-2026-12")
    expect(page.locator("#approve-board_resolution_ref")).to_have_value("B-2026-12")
    page.fill("#approve-amount", "1800")
    page.click("#approve-submit")
    expect(page.locator("[data-testid=decision]")).to_contain_text("by 1 of the 2 board members")
    expect(page.locator("[data-testid=status]")).to_have_text("In review")
    _log_out(page)

    # The second board member confirms; the committee approves above the threshold.
    log_in(page, grants.board[1].email, PASSWORD)
    page.goto(address)
    page.fill("#board-reference", "B-2026-12")
    page.fill("#board-amount", "1800")
    page.click("#board-submit")
    expect(page.locator("[data-testid=board] tbody tr")).to_have_count(2)
    _log_out(page)

    log_in(page, second.email, PASSWORD)
    page.goto(address)
    page.fill("#approve-amount", "1800")
    page.click("#approve-submit")
    expect(page.locator(".alert-success")).to_contain_text("approved")
    expect(page.locator("[data-testid=status]")).to_have_text("Approved")
