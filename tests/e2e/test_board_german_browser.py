"""The board's pages in German in Chromium, at desktop and phone width: the dashboard, a meeting
in session with a counted vote, the register of resolutions and the rules. Each is German and
fits the phone (German words are longer: nothing may push the page sideways)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backoffice.board import services
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db

from ..board.conftest import board, meeting_in_session, vote_all  # noqa: F401 (a fixture)
from ..helpers import PASSWORD, email_for
from .conftest import log_in
from .test_setup_browser import _no_sideways_scrolling

pytestmark = pytest.mark.browser_locale("de-DE")
#: Where the screenshots go when somebody wants to look at them (else nowhere).
SHOTS = os.environ.get("BOARD_SCREENSHOTS")


def test_the_board_pages_read_german_and_fit_a_phone(page, board):  # noqa: F811
    actor = board.secretary_user
    meeting = meeting_in_session(board, actor=actor)
    with transaction():
        resolution = services.propose(db.session, meeting.items[0], title="Haushalt 2027",
                                      text="Der Haushalt wird beschlossen.", actor=actor)
    vote_all(resolution, board, ["yes", "yes", "abstain"], actor)
    with transaction():
        services.close_vote(db.session, resolution, actor)
    tally = f"[data-testid=tally-{resolution.id}]"
    pages = {"dashboard": "/board/", "meeting": f"/board/meetings/{meeting.id}",
             "register": "/board/resolutions", "rules": f"/board/bodies/{board.body.id}/rules"}
    db.session.remove()
    log_in(page, email_for(Role.BOARD), PASSWORD)
    for width in (1360, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == "de"
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(SHOTS, f"{name}-{width}.png")), full_page=True)
            _no_sideways_scrolling(page)
    page.goto(pages["meeting"])
    expect(page.locator("[data-testid=quorum]")).to_contain_text("Beschlussfähig: 3 von 3")
    expect(page.locator(tally)).to_contain_text(
        "2 Ja · 0 Nein · 1 Enthaltung")
    expect(page.get_by_role("button", name="Sitzung schließen")).to_be_visible()
