"""A treasurer turns on two-factor authentication, logs in with a code and with a recovery code,
loses the phone, and an admin resets it (recorded in the audit log)."""
from datetime import timedelta

import pyotp
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.core.audit import AuditEvent
from backoffice.core.db import utcnow

from ..helpers import PASSWORD, email_for
from .conftest import log_in


def _log_out(page):
    page.click("button:has-text('Log out')")
    expect(page.locator("h1")).to_have_text("Log in")


def test_enrol_log_in_with_code_and_recovery_code_then_admin_reset(page, users, session):
    log_in(page, email_for("treasurer"), PASSWORD)
    page.goto("/account")
    page.click("text=Set up")
    expect(page.locator("img[alt^='QR code']")).to_be_visible()
    secret = page.locator("[data-secret]").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.fill("#enrol-code", totp.at(utcnow() - timedelta(seconds=30)))
    page.click("#enrol-submit")
    expect(page.locator("h1")).to_have_text("Two-factor authentication is on")
    codes = page.locator("[data-recovery-codes] li").all_inner_texts()
    assert len(codes) == 10
    page.click("text=I have saved them")
    _log_out(page)

    # Password, then the code from the app.
    page.fill("#email", email_for("treasurer"))
    page.fill("#password", PASSWORD)
    page.click("#submit")
    expect(page.locator("h1")).to_have_text("Two-factor authentication")
    page.fill("#code", "000000" if totp.now() != "000000" else "111111")
    page.click("#submit")
    expect(page.locator(".invalid-feedback, .text-danger").first).to_contain_text("not valid")
    page.fill("#code", totp.now())
    page.click("#submit")
    expect(page.locator("text=Good to see you")).to_be_visible()
    _log_out(page)

    # The phone is at home: a recovery code.
    page.fill("#email", email_for("treasurer"))
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.fill("#code", codes[0])
    page.click("#submit")
    expect(page.locator(".alert-warning")).to_contain_text("recovery code")
    _log_out(page)

    # The phone is lost: the admin resets the second factor.
    log_in(page, email_for("admin"), PASSWORD)
    page.goto(f"/users/{users['treasurer'].id}/edit")
    page.click("text=Reset two-factor authentication")
    expect(page.locator(".alert-success")).to_contain_text("is reset")
    session.expire_all()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset"))
    assert event.actor_label == email_for("admin")
    _log_out(page)
    log_in(page, email_for("treasurer"), PASSWORD)  # the password alone again
    expect(page.locator("text=Good to see you")).to_be_visible()
