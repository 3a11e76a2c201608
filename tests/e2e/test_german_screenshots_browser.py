"""The screenshots in docs/screenshots/ that the README shows, taken in German (a browser that
asks for German gets the whole page in German): the setup wizard, the settings and five pages at
phone width. Each page is checked to be German and to fit the phone."""
from __future__ import annotations

import pytest

from backoffice.demo.seed import DEMO_PASSWORD

from .conftest import log_in
from .test_phone_width_browser import PHONE, SCREENSHOTS, SHOWN
from .test_setup_browser import _no_sideways_scrolling

pytestmark = pytest.mark.browser_locale("de-DE")


def _german(page) -> None:
    assert page.locator("html").get_attribute("lang") == "de", page.url


def _shoot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def test_the_setup_wizard_and_the_settings_in_german(page):
    page.goto("/setup")
    _german(page)
    for field, value in (("#name", "Erika Kasse"), ("#email", "erika@verein.example"),
                         ("#password", "lang genug 12345"), ("#confirm", "lang genug 12345"),
                         ("#organisation", "Kölner Python e.V."), ("#street", "Domkloster 4"),
                         ("#postcode", "50667"), ("#city", "Köln"),
                         ("#register", "Amtsgericht Köln, VR 1234"),
                         ("#board", "Erika Kasse, Max Vorstand"), ("#tax_number", "214/5678/1234"),
                         ("#contact", "kasse@verein.example"), ("#bank_name", "Sparkasse KölnBonn"),
                         ("#iban", "DE75 5121 0800 1245 1261 99")):
        page.fill(field, value)
    _shoot(page, "de-setup-wizard")
    page.click("#submit")
    page.wait_for_url("**/admin/settings*")
    _german(page)
    assert page.input_value("#ORGANISATION_NAME") == "Kölner Python e.V."
    _shoot(page, "de-settings")


@pytest.mark.demo_data
def test_five_pages_at_phone_width_in_german(page):
    page.set_viewport_size(PHONE)
    log_in(page, "admin@example.org", DEMO_PASSWORD)
    for path, name in SHOWN.items():
        page.goto(path)
        _german(page)
        _no_sideways_scrolling(page)
        _shoot(page, f"de-{name}", full_page=False)


@pytest.mark.demo_data
def test_an_admins_german_menu_stays_within_a_desktop_page(page):
    """The admin's menu is the longest, and German words are longer: it wraps inside the bar."""
    log_in(page, "admin@example.org", DEMO_PASSWORD)
    for width in (1360, 1024, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/admin/settings")
        _german(page)
        _no_sideways_scrolling(page)
        bar = page.locator("nav.navbar").bounding_box()
        last = page.locator("#mainnav .nav-link").last.bounding_box()
        assert last["y"] + last["height"] <= bar["y"] + bar["height"]  # inside the bar
