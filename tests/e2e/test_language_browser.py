"""A visitor switches the public pages to German; a treasurer logs in and reads their own pages in
German, with times in the association's time zone (Europe/Berlin), not UTC."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.auth.models import User, UserSession

from ..helpers import PASSWORD, email_for

#: Words that give English away on a German page (none of them is also a German word).
ENGLISH = frozenset("""
the and your you please with this of to is are for from not has have be or by which what here
there yet all new save back log out page pages password email account session sessions settings
overview groups funds expenses ledger invoices donations grants reports board users apply
register join group city country send application started last used end other
""".split())


def english_words(page, *, except_for: tuple[str, ...] = ()) -> list[str]:
    # the page's own words: a list of country names is the CLDR's ("Isle of Man" in German too)
    text = page.evaluate("""() => { const body = document.body.cloneNode(true);
        body.querySelectorAll('select, script, style').forEach(e => e.remove());
        return body.textContent; }""")
    for allowed in except_for:
        text = text.replace(allowed, " ")
    return sorted({word for word in re.findall(r"[A-Za-z]+", text) if word.lower() in ENGLISH})


def _switch_to_german(page):
    page.click("form.language-switch button[value='de_DE']")
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_the_public_pages_and_a_treasurers_page_in_german(page, users, session, app):
    organisation = app.config["ORGANISATION_NAME"]
    page.goto("/login")
    expect(page.locator("h1")).to_have_text("Log in")
    _switch_to_german(page)
    expect(page.locator("h1")).to_have_text("Anmelden")
    assert english_words(page, except_for=(organisation,)) == []

    page.goto("/join")  # the choice stays for the visit
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert english_words(page, except_for=(organisation,)) == []

    page.goto("/login")
    page.fill("#email", email_for("treasurer"))
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url("**/")
    page.goto("/account/sessions")
    treasurer = session.scalar(select(User).where(User.email == email_for("treasurer")))
    if treasurer.locale not in (None, "de_DE"):  # their own setting wins over the visit's choice
        expect(page.locator("h1")).to_have_text("Your sessions")
        _switch_to_german(page)  # ... until they switch: that is their setting now
    expect(page.locator("h1")).to_have_text("Ihre Sitzungen")
    name = treasurer.display_name
    assert english_words(page, except_for=(organisation, name)) == []

    started = session.scalars(select(UserSession.created_at)
                              .where(UserSession.user_id == treasurer.id)).all()[-1]
    berlin = started.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y %H:%M")
    expect(page.locator("table")).to_contain_text(berlin)
    if started.utcoffset() != started.astimezone(ZoneInfo("Europe/Berlin")).utcoffset():
        assert started.strftime("%d.%m.%Y %H:%M") not in page.locator("table").inner_text()

    page.click("form.language-switch button[value='en_IE']")  # back, and saved for the user
    expect(page.locator("h1")).to_have_text("Your sessions")
    session.expire_all()
    assert session.scalar(select(User.locale).where(User.id == treasurer.id)) == "en_IE"
