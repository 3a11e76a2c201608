"""axe-core (bundled by axe-playwright-python, no network) on every page without arguments, as an
admin on the demo association and anonymously: no serious or critical violation."""
from __future__ import annotations

import pytest

from backoffice.demo.seed import DEMO_PASSWORD

from .conftest import log_in
from .test_phone_width_browser import _pages, page_reached

SERIOUS = ("serious", "critical")


def _violations(page, axe, paths) -> dict[str, list[str]]:
    """The violations on each page reached, checked once (named by where it was reached): the
    anonymous visitor is sent to the login page from every page that needs one (63 of 71), and
    axe-core runs on it the first time only."""
    found, checked = {}, set()
    for path in paths:
        reached = page_reached(page, path)
        if reached is None or reached in checked:
            continue
        checked.add(reached)
        page.goto(path)
        bad = [f"{v['id']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
               for v in axe.run(page).response["violations"] if v["impact"] in SERIOUS]
        if bad:
            found[reached] = bad
    return found


@pytest.mark.demo_data
def test_no_serious_accessibility_problem_on_any_page(browser, live_server, app):
    """A page of its own (not the ``page`` fixture): axe-core sets inline styles while it
    measures contrast, which the app's CSP refuses with a console error that is axe's, not the
    app's (the phone-width test visits the same pages and fails on any console error)."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(base_url=live_server, viewport={"width": 1360, "height": 900},
                                  locale="en-GB")
    page = context.new_page()
    axe = Axe()
    paths = _pages(app)
    try:
        anonymous = _violations(page, axe, paths)  # the public pages (the others: the login)
        log_in(page, "admin@example.org", DEMO_PASSWORD)
        signed_in = _violations(page, axe, paths)
    finally:
        context.close()
    assert not anonymous and not signed_in, {"anonymous": anonymous, "admin": signed_in}
