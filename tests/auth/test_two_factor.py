"""Two-factor authentication: an authenticator app's code after the password, recovery codes,
remembered browsers, throttling, the requirement for privileged roles and an admin's reset."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from backoffice.auth import services, twofactor
from backoffice.auth.models import RecoveryCode, TrustedDevice, TwoFactor
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction, utcnow
from backoffice.extensions import settings as app_settings

from ..concurrency import at_once
from ..helpers import PASSWORD, csrf_token, email_for, logout

STEP = twofactor.STEP_SECONDS


def _enrol(session, user) -> tuple[str, list[str]]:
    with transaction():
        record = twofactor.start_enrolment(session, user)
        secret = record.secret
        # A code of the previous step: the test may log in with the current one right away.
        codes = twofactor.confirm_enrolment(
            session, user, pyotp.TOTP(secret).at(utcnow() - timedelta(seconds=STEP)))
    return secret, codes


def _password(client, role="treasurer", **extra):
    return client.post("/login", data={"email": email_for(role), "password": PASSWORD,
                                       "csrf_token": csrf_token(client, "/login"), **extra})


def _code(client, code, **extra):
    return client.post("/login/second-factor", data={
        "code": code, "csrf_token": csrf_token(client, "/login"), **extra})


def test_enrolment_needs_a_matching_first_code_and_gives_ten_recovery_codes(session, users):
    user = users["treasurer"]
    with transaction():
        record = twofactor.start_enrolment(session, user)
    with pytest.raises(twofactor.ValidationError, match="does not match"):
        with transaction():
            twofactor.confirm_enrolment(session, user, "000000" if pyotp.TOTP(
                record.secret).now() != "000000" else "111111")
    assert not twofactor.is_enabled(session, user)
    with transaction():
        codes = twofactor.confirm_enrolment(session, user, pyotp.TOTP(record.secret).now())
    assert twofactor.is_enabled(session, user)
    assert len(set(codes)) == 10
    stored = session.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
    assert session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "user.two_factor_enabled")) is not None


def test_the_password_alone_does_not_log_in_once_two_factor_is_on(client, session, users):
    secret, _codes = _enrol(session, users["treasurer"])
    response = _password(client)
    assert response.headers["Location"] == "/login/second-factor"
    assert client.get("/").status_code == 302  # not logged in yet
    assert _code(client, "123 456" if pyotp.TOTP(secret).now() != "123456" else "654321") \
        .status_code == 400
    response = _code(client, pyotp.TOTP(secret).now())
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_code_works_once(client, session, users):
    secret, _codes = _enrol(session, users["treasurer"])
    code = pyotp.TOTP(secret).now()
    _password(client)
    assert _code(client, code).status_code == 302
    logout(client)
    _password(client)
    assert "not valid" in _code(client, code).get_data(as_text=True)


def test_a_recovery_code_works_once_and_is_audited(client, session, users):
    _secret, codes = _enrol(session, users["treasurer"])
    _password(client)
    assert _code(client, codes[3].upper()).status_code == 302
    logout(client)
    _password(client)
    assert _code(client, codes[3]).status_code == 400
    assert twofactor.remaining_recovery_codes(session, users["treasurer"]) == 9
    assert session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "user.recovery_code_used")) is not None


def test_one_code_sent_twice_at_the_same_moment_is_accepted_once(app, session, users):
    user = users["treasurer"]
    secret, codes = _enrol(session, user)
    code = pyotp.TOTP(secret).now()
    user_id = user.id
    session.remove()

    def attempt(code):
        def job(session):
            with transaction():
                return twofactor.verify(session, session.get(type(user), user_id), code)
        return job

    assert sorted(map(str, at_once(app, [attempt(code)] * 4))) == ["None", "None", "None", "totp"]
    assert sorted(map(str, at_once(app, [attempt(codes[0])] * 4))) == \
        ["None", "None", "None", "recovery"]


def test_the_second_step_is_throttled_like_the_password(client, session, users, app):
    secret, _codes = _enrol(session, users["treasurer"])
    _password(client)
    for _ in range(app.config["LOGIN_FREE_FAILURES_PER_EMAIL"]):
        _code(client, "abcdef")
    page = _code(client, pyotp.TOTP(secret).now()).get_data(as_text=True)
    assert "Too many failed attempts" in page
    assert client.get("/").status_code == 302


def test_the_second_step_expires_and_ends_with_the_password(client, session, users):
    secret, _codes = _enrol(session, users["treasurer"])
    _password(client)
    with client.session_transaction() as cookie:
        cookie["second_factor_pending"] = {**cookie["second_factor_pending"],
                                           "until": (utcnow() - timedelta(seconds=1)).timestamp()}
    assert _code(client, pyotp.TOTP(secret).now()).headers["Location"] == "/login"
    _password(client)
    with transaction():
        services.set_password(session, users["treasurer"], "a completely new password", settings=app_settings())
    assert _code(client, pyotp.TOTP(secret).now()).headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_a_remembered_browser_skips_the_code_for_at_most_thirty_days(client, session, users, app):
    app.config["TWO_FACTOR_REMEMBER_DAYS"] = 90
    secret, _codes = _enrol(session, users["treasurer"])
    _password(client)
    response = _code(client, pyotp.TOTP(secret).now(), remember="y")
    assert "backoffice_device=" in response.headers["Set-Cookie"]
    device = session.scalar(select(TrustedDevice))
    assert device.expires_at - device.created_at == timedelta(days=30)
    logout(client)
    assert _password(client).headers["Location"] == "/"  # no second step on this browser
    logout(client)
    with transaction():
        session.get(TrustedDevice, device.id).expires_at = utcnow() - timedelta(seconds=1)
    assert _password(client).headers["Location"] == "/login/second-factor"


def test_ending_a_users_sessions_forgets_their_remembered_browsers(client, session, users):
    secret, _codes = _enrol(session, users["treasurer"])
    _password(client)
    _code(client, pyotp.TOTP(secret).now(), remember="y")
    logout(client)
    with transaction():
        services.end_sessions(session, users["treasurer"])
    assert session.scalar(select(TrustedDevice)) is None
    assert _password(client).headers["Location"] == "/login/second-factor"


def test_privileged_roles_must_enrol_when_required(client, session, users, app):
    app.config["TWO_FACTOR_REQUIRED"] = True
    _password(client)
    assert client.get("/ledger/journal").headers["Location"] == "/account/two-factor"
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Your role requires a second factor" in page and 'alt="QR code' in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/two-factor")})
    _password(client, "organiser")
    assert client.get("/").status_code == 200  # organisers are not required to


def test_setting_up_in_the_browser_shows_the_secret_once_and_the_codes(client, session, users):
    _password(client)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = session.scalar(select(TwoFactor.secret))
    assert secret in page
    response = client.post("/account/two-factor", data={
        "enrol-code": pyotp.TOTP(secret).now(), "enrol-submit": "y",
        "enrol-csrf_token": csrf_token(client, "/account/two-factor")})
    assert response.status_code == 200
    assert "data-recovery-codes" in response.get_data(as_text=True)
    assert twofactor.is_enabled(session, users["treasurer"])


def test_an_admin_resets_a_lost_second_factor_with_an_audit_entry(client, session, users):
    user = users["treasurer"]
    _enrol(session, user)
    token = user.session_token
    _password(client, "admin")
    page = client.get(f"/users/{user.id}/edit").get_data(as_text=True)
    assert "Reset two-factor authentication" in page
    response = client.post(f"/users/{user.id}/two-factor/reset",
                           data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    session.expire_all()
    assert not twofactor.is_enabled(session, user)
    assert session.get(type(user), user.id).session_token != token  # logged out everywhere
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset"))
    assert event.actor_label == email_for("admin") and event.object_id == str(user.id)


def test_only_admins_may_reset_another_users_second_factor(client, session, users):
    _enrol(session, users["board"])
    _password(client, "treasurer")
    response = client.post(f"/users/{users['board'].id}/two-factor/reset",
                           data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    assert twofactor.is_enabled(session, users["board"])
