"""A board meeting in the browser, from the invitation to the approved minutes' PDF: the secretary
schedules it, sends the invitations, opens it, records who is there, puts the budget to the vote
and records each member's vote with one click, counts, writes the minutes and closes it; the
next meeting approves the minutes, and the PDF of the approved minutes shows the resolution, the
votes and who was present. Screenshots of the meeting page in use (docs/screenshots/)."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from backoffice.board.models import Meeting, MeetingStatus, Resolution
from backoffice.core import clock
from backoffice.core.permissions import Role
from backoffice.extensions import db

from ..board.conftest import board  # noqa: F401 (a fixture)
from ..helpers import PASSWORD, email_for
from .conftest import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _open(page, within, summary: str) -> None:
    """Opens the ``<details>`` of ``summary`` once the page has loaded: until then the browser
    may still scroll to the address's #anchor, and a click could land where the summary was
    (the minutes' textarea once stayed hidden)."""
    page.wait_for_load_state()
    within.locator("summary", has_text=summary).click()
    expect(within.locator("details", has_text=summary)).to_have_attribute("open", "")


def _run_meeting(page, body_id: int, title: str, agenda: str, resolution: str, votes: list[str],
                 minutes: str, shot: str | None = None) -> str:
    """Schedule, invite, open, attendance, a resolution voted member by member, minutes, close.
    Returns the meeting page's path."""
    page.goto(f"/board/bodies/{body_id}")
    page.get_by_role("link", name="Schedule a meeting").click()
    page.fill("#title", title)
    page.fill("#day", (clock.today() + timedelta(days=10)).isoformat())
    page.fill("#at", "18:30")
    page.fill("#place", "Office, Hauptstr. 1")
    page.fill("#agenda", agenda)
    page.get_by_role("button", name="Schedule the meeting").click()
    expect(page.locator("[data-testid=meeting-status]")).to_have_text("Planned")
    path = page.url.split("://", 1)[1].split("/", 1)[1]
    page.get_by_role("button", name="Send the invitations").click()
    expect(page.locator(".alert-success")).to_contain_text("The invitations are in the outbox")
    page.get_by_role("button", name="Open the meeting").click()
    expect(page.locator("[data-testid=meeting-status]")).to_have_text("In session")
    expect(page.locator("[data-testid=quorum]")).to_contain_text("Not quorate")
    for row in page.locator("#attendance tr").all():
        row.get_by_role("button", name="Present").click()
    expect(page.locator("[data-testid=quorum]")).to_contain_text("Quorate: 3 of 3")
    item = page.locator("section.item").first
    _open(page, item, "Put a resolution to the vote")
    item.locator("#title").fill(resolution)
    item.locator("#text").fill(f"{resolution}: approved as presented.")
    item.get_by_role("button", name="Put to the vote").click()
    for n, choice in enumerate(votes):
        buttons = page.locator("section.item").first.locator("table.votes tr").nth(n)
        buttons.get_by_role("button", name=choice.capitalize()).click()
        expect(page.locator("section.item").first.locator("table.votes tr").nth(n)
               .get_by_role("button", name=choice.capitalize())).to_have_attribute(
                   "aria-pressed", "true")
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True, caret="initial")
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SCREENSHOTS / f"{shot}-390.png"), full_page=True,
                        caret="initial")
        page.set_viewport_size({"width": 1360, "height": 900})
    page.get_by_role("button", name="Close the vote and count").click()
    expect(page.locator(".alert-success")).to_contain_text("passed")
    item = page.locator("section.item").first
    _open(page, item, "Write the minutes")
    item.locator("textarea[name=minutes]").fill(minutes)
    item.get_by_role("button", name="Save the minutes").click()
    expect(page.locator("section.item").first.locator(".minutes")).to_contain_text(
        re.sub(r"[*_]", "", minutes))
    page.get_by_role("button", name="Close the meeting").click()
    expect(page.locator("[data-testid=meeting-status]")).to_have_text(
        "Held (minutes to approve)")
    return "/" + path


def test_a_board_meeting_from_invitation_to_approved_minutes(page, board):  # noqa: F811
    log_in(page, email_for(Role.BOARD), PASSWORD)
    first = _run_meeting(page, board.body.id, "Spring board meeting",
                         "Budget 2027\nAny other business", "Budget 2027",
                         ["yes", "yes", "no"],
                         "The treasurer **presents** the budget; questions answered.",
                         shot="board-meeting")
    first_id = int(first.rsplit("/", 1)[1])
    # the next meeting approves the minutes of the first
    _run_meeting(page, board.body.id, "Summer board meeting", "Minutes of the spring meeting",
                 "Minutes approved", ["yes", "yes", "abstain"], "Approved without changes.")
    # its item was typed as a line of the agenda and names nothing: it cannot approve them
    db.session.remove()
    approval = db.session.query(Resolution).filter_by(title="Minutes approved").one()
    assert approval.subject_kind.value == "none"
    db.session.remove()
    page.goto(first)
    expect(page.locator("text=The minutes are approved by a resolution")).to_be_visible()

    # a third meeting with the item deciding on the minutes, added on the page before inviting
    page.goto(f"/board/bodies/{board.body.id}")
    page.get_by_role("link", name="Schedule a meeting").click()
    page.fill("#title", "Autumn board meeting")
    page.fill("#day", (clock.today() + timedelta(days=12)).isoformat())
    page.fill("#place", "Office")
    page.get_by_role("button", name="Schedule the meeting").click()
    expect(page.locator("[data-testid=meeting-status]")).to_have_text("Planned")
    _open(page, page, "Add an agenda item")
    page.fill("#title", "Minutes of the spring meeting")
    page.select_option("#subject_kind", "minutes")
    page.fill("#subject_id", str(first_id))
    page.get_by_role("button", name="Add the item").click()
    # each click waits for the page its last one loaded (a click on the page still leaving is lost)
    expect(page.locator("section.item")).to_contain_text("Minutes of the spring meeting")
    page.get_by_role("button", name="Send the invitations").click()
    expect(page.locator(".alert-success")).to_contain_text("The invitations are in the outbox")
    page.get_by_role("button", name="Open the meeting").click()
    for row in page.locator("#attendance tr").all():
        row.get_by_role("button", name="Present").click()
    item = page.locator("section.item").first
    _open(page, item, "Put a resolution to the vote")
    item.locator("#title").fill("Minutes of the spring meeting approved")
    item.locator("#text").fill("The minutes of the spring meeting are approved.")
    item.get_by_role("button", name="Put to the vote").click()
    for n in range(3):
        page.locator("section.item").first.locator("table.votes tr").nth(n) \
            .get_by_role("button", name="Yes").click()
    page.get_by_role("button", name="Close the vote and count").click()
    expect(page.locator(".alert-success")).to_contain_text("passed")

    page.goto(first)
    page.select_option("#resolution", index=0)
    page.get_by_role("button", name="Approve the minutes").click()
    expect(page.locator("[data-testid=meeting-status]")).to_have_text("Minutes approved")
    expect(page.locator(".minutes strong")).to_have_text("presents")

    response = page.request.get(f"{first}/minutes.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = re.sub(r"\s+", " ", " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages))
    assert "Minutes: Spring board meeting" in text and "Draft" not in text
    assert "Budget 2027" in text and "Passed: 2 yes, 1 no, 0 abstaining" in text
    assert "Present for this item: Ada Chair, Mia Member, Tom Treasurer" in text
    assert "Ada Chair Yes" in text and "Tom Treasurer No" in text
    db.session.remove()
    assert db.session.get(Meeting, first_id).status is MeetingStatus.APPROVED
