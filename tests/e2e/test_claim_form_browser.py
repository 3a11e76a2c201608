"""The claim form remembers the organiser's account and adds up the lines as they type, also at
phone width."""
from __future__ import annotations

from playwright.sync_api import expect

from backoffice.core.permissions import Role

from ..helpers import PASSWORD
from ..sponsorship import IBAN_DE, active_group, submit


def test_a_second_claim_needs_no_iban_typed_and_shows_its_total(page, session, users):
    group = active_group(session, "PyKöln", actor=users[Role.ADMIN], money="300.00")
    organiser = group.organisers[0]
    submit(session, organiser, group.fund, ("12.00",))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.fill("#email", organiser.email)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url("**/groups/**")
    page.goto("/expenses/claims/new")
    grouped = IBAN_DE  # shown in groups of four
    expect(page.locator("#iban")).to_have_value(grouped)  # remembered from the last claim
    expect(page.get_by_test_id("remembered")).to_be_visible()
    page.fill("#lines-0-amount", "86.40")
    page.fill("#lines-1-amount", "13,60")
    expect(page.get_by_test_id("claim-total")).to_have_text("€100.00")
    page.fill("#lines-1-amount", "oops")
    expect(page.get_by_test_id("claim-total")).to_have_text("?")
    page.fill("#payee_name", "Someone new")
    page.dispatch_event("#payee_name", "change")
    expect(page.locator("#iban")).to_have_value(grouped)  # nothing known for them: left alone
