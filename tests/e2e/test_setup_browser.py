"""The first run and the settings area in the browser (desktop and 390 px phone width)."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from backoffice.extensions import settings as app_settings

from .conftest import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def test_the_first_visitor_sets_up_the_association(page):
    page.goto("/setup")
    page.keyboard.press("Tab")  # the first stop is the skip link
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.fill("#name", "Erika Kasse")
    page.fill("#email", "erika@verein.example")
    page.fill("#password", "lang genug 12345")
    page.fill("#confirm", "lang genug 12345")
    page.fill("#organisation", "Kölner Python e.V.")
    page.fill("#street", "Domkloster 4")
    page.fill("#postcode", "50667")
    page.fill("#city", "Köln")
    page.fill("#register", "Amtsgericht Köln, VR 1234")
    page.fill("#board", "Erika Kasse, Max Vorstand")
    page.fill("#tax_number", "214/5678/1234")
    page.fill("#contact", "kasse@verein.example")
    page.fill("#bank_name", "Sparkasse KölnBonn")
    page.fill("#iban", "DE00 1234")  # a typo first: the page says so, nothing is created
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "setup-wizard.png"), full_page=True)
    page.click("#submit")
    assert "IBAN is not valid" in page.inner_text("main form")
    expect(page.locator("#iban")).to_be_focused()  # the first field with an error
    page.fill("#password", "lang genug 12345")
    page.fill("#confirm", "lang genug 12345")
    page.fill("#iban", "DE75 5121 0800 1245 1261 99")
    page.click("#submit")
    page.wait_for_url("**/admin/settings*")  # (#main kept from the skip link)
    assert "The association is set up" in page.inner_text("main")
    assert page.input_value("#ORGANISATION_NAME") == "Kölner Python e.V."
    assert page.input_value("#SEPA_DEBTOR_IBAN") == "DE75512108001245126199"
    page.fill("#INVOICE_SELLER__website", "https://python-koeln.example")
    page.click("#submit")
    assert "Saved: Website." in page.inner_text("main")
    assert "Changed Website" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOTS / "settings.png"), full_page=True)
    assert app_settings().invoicing.seller.website == "https://python-koeln.example"


def test_settings_work_at_phone_width(page, users):
    from ..helpers import PASSWORD

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "admin@test.example", PASSWORD)
    page.goto("/admin/settings")
    _no_sideways_scrolling(page)
    page.fill("#ORGANISATION_NAME", "Phone e.V.")
    page.click("#submit")
    assert "Saved: Name of the association." in page.inner_text("main")
    _no_sideways_scrolling(page)
