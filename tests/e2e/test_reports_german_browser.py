"""The Reports menu in German in a browser that asks for German: the index, the balance sheet,
the statement of activities and the budget read German and fit a desktop and a phone (long
German words such as "Zweckgebundenes Reinvermögen" must not widen the page)."""
from __future__ import annotations

import pytest

from backoffice.demo.seed import DEMO_PASSWORD

from .conftest import log_in
from .test_phone_width_browser import PHONE
from .test_setup_browser import _no_sideways_scrolling

pytestmark = pytest.mark.browser_locale("de-DE")

PAGES = {"/reports": "Abschlüsse und Auswertungen", "/reports/balance-sheet": "Summe Passiva",
         "/reports/activities": "Summe Aufwendungen", "/reports/budget": "Fassungen des Haushalts",
         "/reports/spheres": "Ergebnis aller Sphären"}


@pytest.mark.demo_data
@pytest.mark.parametrize("width", [1360, PHONE["width"]])
def test_the_reports_read_german_and_fit_the_screen(page, width, tmp_path):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "admin@example.org", DEMO_PASSWORD)
    for path, german in PAGES.items():
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "de", path
        assert german in page.locator("main").inner_text(), path
        _no_sideways_scrolling(page)
        page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '-')}-{width}.png"),
                        full_page=True)
