from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backoffice.auth import services
from backoffice.auth.models import LoginAttempt, User
from backoffice.core.db import transaction, utcnow

from ..helpers import PASSWORD, csrf_token, email_for, login


def _try(client, email, password, **extra):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client, "/login"), **extra})


def test_password_is_stored_as_argon2id(users):
    assert users["treasurer"].password_hash.startswith("$argon2id$")
    assert PASSWORD not in users["treasurer"].password_hash


def test_login_lands_on_the_overview_and_logout_needs_a_post(client, users):
    response = login(client, "treasurer")
    assert response.headers["Location"] == "/"
    assert "Good to see you, Test" in client.get("/").get_data(as_text=True)
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302


def test_session_cookie_is_http_only_and_same_site(client, users):
    response = login(client, "treasurer")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("email, password", [
    (email_for("treasurer"), "wrong password"),
    ("nobody@test.example", PASSWORD),
])
def test_wrong_credentials_get_one_message_that_reveals_nothing(client, users, email, password):
    response = _try(client, email, password)
    assert response.status_code == 200
    assert "Email or password is wrong." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_users_cannot_log_in(client, users, session):
    users["board"].active = False
    session.commit()
    assert "Email or password is wrong." in _try(client, email_for("board"), PASSWORD).get_data(as_text=True)


def test_next_parameter_stays_on_this_site(client, users):
    token = csrf_token(client, "/login")
    data = {"email": email_for("treasurer"), "password": PASSWORD, "csrf_token": token}
    assert client.post("/login?next=//evil.example/x", data=data).headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    data["csrf_token"] = csrf_token(client, "/login")
    assert client.post("/login?next=/ledger/journal", data=data).headers["Location"] == "/ledger/journal"


def test_login_is_throttled_after_repeated_failures(client, users, session, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_EMAIL"]
    for _ in range(limit):
        assert "Email or password is wrong." in _try(client, email_for("treasurer"), "nope").get_data(as_text=True)
    # Now even the right password is refused, with a clear message, and no attempt is recorded.
    attempts = session.scalar(select(func.count()).select_from(LoginAttempt))
    page = _try(client, email_for("treasurer"), PASSWORD).get_data(as_text=True)
    assert "Too many failed attempts. Try again in 15 minutes" in page
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == attempts
    # Another account is not locked by these failures.
    assert _try(client, email_for("board"), PASSWORD).status_code == 302


def test_lockout_ends_after_the_window(app, users, session):
    now = utcnow()
    for minute in range(5):
        with transaction():
            services.authenticate(session, email_for("admin"), "bad", address="10.0.0.1",
                                  now=now + timedelta(minutes=minute))
    with pytest.raises(services.LoginRefused, match="Try again in 10 minutes"):
        services.authenticate(session, email_for("admin"), PASSWORD, address="10.0.0.1",
                              now=now + timedelta(minutes=5))
    later = now + timedelta(minutes=app.config["LOGIN_FAILURE_WINDOW_MINUTES"] + 1)
    assert services.authenticate(session, email_for("admin"), PASSWORD, address="10.0.0.1",
                                 now=later) == users["admin"]


def test_one_address_trying_many_emails_is_throttled(app, users, session):
    now = utcnow()
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        with transaction():
            services.authenticate(session, f"guess{n}@test.example", "x", address="203.0.113.9", now=now)
    with pytest.raises(services.LoginRefused):
        services.authenticate(session, email_for("admin"), PASSWORD, address="203.0.113.9", now=now)
    assert services.authenticate(session, email_for("admin"), PASSWORD, address="198.51.100.1",
                                 now=now) is not None


def test_success_after_failures_starts_the_count_again(app, users, session):
    now = utcnow()
    for second in range(4):
        with transaction():
            services.authenticate(session, email_for("admin"), "bad", address="a",
                                  now=now + timedelta(seconds=second))
    with transaction():
        assert services.authenticate(session, email_for("admin"), PASSWORD, address="a",
                                     now=now + timedelta(seconds=5))
    for second in range(6, 10):
        with transaction():
            services.authenticate(session, email_for("admin"), "bad", address="a",
                                  now=now + timedelta(seconds=second))
    assert services.lockout_remaining(session, email_for("admin"), "a",
                                      now + timedelta(seconds=10)) is None


def test_changing_the_session_token_ends_existing_sessions(client, users, session):
    login(client, "treasurer")
    assert client.get("/").status_code == 200
    user = session.get(User, users["treasurer"].id)
    with transaction():
        services.set_password(session, user, "a brand new password")
    assert client.get("/").status_code == 302
