"""Every page without arguments, at 390 px (a phone), as an admin on the demo association: the
document is never wider than the screen (wide tables scroll inside their own box)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from backoffice.demo.seed import DEMO_PASSWORD

from .conftest import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Pages whose phone view the README and docs show.
SHOWN = {"/": "phone-start", "/invoices": "phone-invoices", "/ledger/journal": "phone-journal",
         "/ledger/trial-balance": "phone-trial-balance", "/expenses/claims/new": "phone-claim"}

PHONE = {"width": 390, "height": 844}
#: Not pages: downloads, redirects, machine answers.
SKIP = ("/static", "/bootstrap", "/healthz", "/readyz", "/logout", "/stripe/", ".xml", ".pdf",
        ".csv", ".xlsx", ".ics", "/setup", "/export", "/download")


def _pages(app) -> list[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()):
            continue
        if any(part in rule.rule for part in SKIP):
            continue
        found.add(rule.rule)
    return sorted(found)


def page_reached(page, path: str) -> str | None:
    """Where ``path`` leads this user, redirects followed, if that is a whole page: 200 and a
    document (htmx fragments, 404s and downloads are not visited; a 404 would be a console error
    in the browser); else None."""
    response = page.request.get(path)
    if response.status == 200 and "<html" in response.text()[:1000].lower():
        return urlsplit(response.url).path
    return None


@pytest.mark.demo_data
def test_every_page_fits_a_phone(page, app):
    page.set_viewport_size(PHONE)
    log_in(page, "admin@example.org", DEMO_PASSWORD)
    too_wide = {}
    for path in _pages(app):
        if not page_reached(page, path):
            continue
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if path in SHOWN:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{SHOWN[path]}.png"))
        if width > PHONE["width"]:
            too_wide[path] = width
    assert not too_wide, f"wider than {PHONE['width']} px: {too_wide}"
