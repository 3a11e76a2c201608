"""A German visitor on the grants' public pages: the programme list and the application form in
German at desktop and phone width, the EN/DE switch in the public header, and the form's running
total reading German amounts (834,50) and writing the German total."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..grants.conftest import grants  # noqa: F401 (the fixture)
from .test_language_browser import english_words
from .test_setup_browser import _no_sideways_scrolling

pytestmark = pytest.mark.browser_locale("de-DE")

#: What the test's data says in English (names typed by people), not the page.
DATA = ("Community grants programme", "Small grants for meetups and workshops.")


def test_the_programme_list_and_the_form_in_german_at_both_widths(page, grants, tmp_path):  # noqa: F811
    for width in (1360, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/grants/")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.locator("h1")).to_have_text("Förderungen für lokale Gruppen und Projekte")
        assert english_words(page, except_for=DATA) == []
        _no_sideways_scrolling(page)
        page.screenshot(path=str(tmp_path / f"grants-{width}.png"), full_page=True)
        # The account's links and the EN/DE switch stay together, whatever wraps.
        login_box = page.locator("header.public-header a", has_text="Anmelden").bounding_box()
        switch_box = page.locator("header.public-header form.language-switch").bounding_box()
        assert abs(login_box["y"] + login_box["height"] / 2
                   - switch_box["y"] - switch_box["height"] / 2) < 8
        page.goto("/grants/p/community/apply")
        expect(page.locator("h1")).to_have_text("Förderung beantragen")
        assert english_words(page, except_for=DATA) == []
        _no_sideways_scrolling(page)
        page.screenshot(path=str(tmp_path / f"apply-{width}.png"), full_page=True)


def test_the_running_total_reads_and_writes_german_amounts(page, grants):  # noqa: F811
    page.goto("/grants/p/community/apply")
    page.fill("#budget-0-amount", "900")
    page.fill("#budget-1-amount", "834,50")
    expect(page.locator("#budget-total")).to_have_text(re.compile(r"^1\.734,50\s€$"))
    page.fill("#budget-2-amount", "1.000")
    expect(page.locator("#budget-total")).to_have_text(re.compile(r"^2\.734,50\s€$"))
    page.fill("#budget-2-amount", "12,3x")
    expect(page.locator("#budget-total")).to_have_text("?")


def test_the_public_header_switches_the_language(page, grants):  # noqa: F811
    page.goto("/grants/")
    page.click("header.public-header form.language-switch button[value='en_IE']")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Grants for local groups and projects")
    page.click("header.public-header form.language-switch button[value='de_DE']")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text("Förderungen für lokale Gruppen und Projekte")
