"""A resolution's page and a circular vote's signed-link page in Chromium: their text keeps its
line breaks from the stylesheet, and no inline style is refused by the Content-Security-Policy
(``style-src 'self'``): the page fixture fails on any console error."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from backoffice.board import circulars
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..board.conftest import board  # noqa: F401 (a fixture)
from ..board.test_web import _outbox
from ..helpers import PASSWORD, email_for
from .conftest import log_in


def test_a_resolution_and_its_vote_link_show_without_a_console_error(page, board):  # noqa: F811
    with transaction():
        resolution = circulars.propose(db.session, board.body, title="New laptop",
                                       text="We buy a laptop.\nThe treasurer chooses it.",
                                       deadline=datetime.now(UTC) + timedelta(days=3),
                                       settings=app_settings(), actor=board.secretary_user)
    link = re.search(r"http://localhost(/board/vote/\S+)", _outbox("Vote in writing")[0].body)
    resolution_id = resolution.id
    db.session.remove()

    log_in(page, email_for(Role.BOARD), PASSWORD)
    page.goto(f"/board/resolutions/{resolution_id}")
    text = page.locator(".resolution-text")
    expect(text).to_contain_text("We buy a laptop.")
    assert text.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert page.locator("[style]").count() == 0

    page.goto(link.group(1))
    text = page.locator(".resolution-text")
    expect(text).to_contain_text("The treasurer chooses it.")
    assert text.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert page.locator(".container.narrow").evaluate("e => getComputedStyle(e).maxWidth") != "none"
    assert page.locator("[style]").count() == 0
