import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backoffice.auth import services
from backoffice.auth.models import LoginAttempt, User
from backoffice.core.db import transaction, utcnow
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..concurrency import at_once
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


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example/x", "/%5Cevil.example",
                                    "/%09/evil.example", "https://evil.example/"])
def test_next_parameter_stays_on_this_site(client, users, target):
    token = csrf_token(client, "/login")
    data = {"email": email_for("treasurer"), "password": PASSWORD, "csrf_token": token}
    assert client.post(f"/login?next={target}", data=data).headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    data["csrf_token"] = csrf_token(client, "/login")
    assert client.post("/login?next=/ledger/journal", data=data).headers["Location"] == "/ledger/journal"


def test_login_is_slowed_down_after_repeated_failures(client, users, session, app):
    free = app.config["LOGIN_FREE_FAILURES_PER_EMAIL"]
    for _ in range(free):
        assert "Email or password is wrong." in _try(client, email_for("treasurer"), "nope").get_data(as_text=True)
    # Now even the right password must wait, with a clear message, and is not even checked.
    attempts = session.scalar(select(func.count()).select_from(LoginAttempt))
    page = _try(client, email_for("treasurer"), PASSWORD).get_data(as_text=True)
    assert re.search(r"Too many failed attempts\. Try again in [12] seconds?, or reset your "
                     r"password\.", page)
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == attempts
    # Another account is not slowed by these failures.
    assert _try(client, email_for("board"), PASSWORD).status_code == 302


def _fail(email, address, at):
    with transaction():
        return services.authenticate(db.session, email, "wrong", settings=app_settings(), address=address, now=at)


def test_each_further_failure_doubles_the_delay_up_to_a_cap_and_nobody_is_locked_out(app, users):
    app.config.update(LOGIN_FIRST_DELAY_SECONDS=2, LOGIN_LONGEST_DELAY_SECONDS_PER_EMAIL=30)
    admin, now = email_for("admin"), utcnow()
    for _ in range(app.config["LOGIN_FREE_FAILURES_PER_EMAIL"]):
        assert _fail(admin, "10.0.0.1", now) is None
    waits = []
    for _ in range(6):
        with pytest.raises(services.LoginRefused) as refused:
            _fail(admin, "10.0.0.2", now)   # another address: the account itself is slowed
        waits.append(refused.value.wait.total_seconds())
        later = now + refused.value.wait
        with pytest.raises(services.LoginRefused):
            _fail(admin, "10.0.0.2", later - timedelta(milliseconds=1))
        assert _fail(admin, "10.0.0.2", later) is None  # checked (and wrong) once the wait is over
        now = later
    assert waits == [2, 4, 8, 16, 30, 30]
    with pytest.raises(services.LoginRefused, match="Try again in 30 seconds"):
        _fail(admin, "10.0.0.2", now)
    with transaction():  # the owner waits at most the cap, then gets in
        assert services.authenticate(db.session, admin, PASSWORD, settings=app_settings(), address="192.0.2.1",
                                     now=now + timedelta(seconds=30)) == users["admin"]


def test_failures_are_forgotten_after_a_quiet_hour(app, users):
    now = utcnow()
    for _ in range(app.config["LOGIN_FREE_FAILURES_PER_EMAIL"]):
        _fail(email_for("admin"), "10.0.0.1", now)
    with pytest.raises(services.LoginRefused):
        _fail(email_for("admin"), "10.0.0.1", now)
    quiet = timedelta(minutes=app.config["LOGIN_FAILURE_MEMORY_MINUTES"])
    for _ in range(app.config["LOGIN_FREE_FAILURES_PER_EMAIL"]):
        assert _fail(email_for("admin"), "10.0.0.1", now + quiet) is None


def test_one_address_trying_many_emails_is_slowed_down(app, users):
    now = utcnow()
    for n in range(app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"]):
        _fail(f"guess{n}@test.example", "203.0.113.9", now)
    with pytest.raises(services.LoginRefused):
        with transaction():
            services.authenticate(db.session, email_for("admin"), PASSWORD, settings=app_settings(), address="203.0.113.9",
                                  now=now)
    with transaction():
        assert services.authenticate(db.session, email_for("admin"), PASSWORD,
                                     settings=app_settings(), address="198.51.100.1", now=now) is not None


def test_a_valid_login_does_not_reset_its_addresses_failures(app, users):
    """An attacker with one account of their own cannot unlock guessing at the others."""
    now, free = utcnow(), app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"]
    for n in range(free - 1):
        _fail(f"guess{n}@test.example", "203.0.113.9", now)
    with transaction():
        assert services.authenticate(db.session, email_for("board"), PASSWORD,
                                     settings=app_settings(), address="203.0.113.9", now=now) is not None
    _fail("one-more@test.example", "203.0.113.9", now)
    with pytest.raises(services.LoginRefused):
        _fail("and-another@test.example", "203.0.113.9", now)


def test_a_valid_login_clears_its_accounts_failures(app, users):
    now, free = utcnow(), app.config["LOGIN_FREE_FAILURES_PER_EMAIL"]
    for _ in range(free - 1):
        _fail(email_for("admin"), "a", now)
    with transaction():
        assert services.authenticate(db.session, email_for("admin"), PASSWORD, settings=app_settings(), address="a", now=now)
    for _ in range(free):
        assert _fail(email_for("admin"), "a", now) is None


@pytest.mark.parametrize("same", ["email", "address"])
def test_forty_wrong_passwords_at_once_have_at_most_the_free_ones_checked(app, users, same):
    """Each attempt is counted (atomically) before its password is checked: attempts at the same
    moment see each other, on SQLite and PostgreSQL alike."""
    app.config["LOGIN_FIRST_DELAY_SECONDS"] = 600  # no wait runs out during the test
    free = app.config["LOGIN_FREE_FAILURES_PER_EMAIL" if same == "email" else
                      "LOGIN_FREE_FAILURES_PER_ADDRESS"]
    db.session.remove()

    def attempt(n):
        email = email_for("admin") if same == "email" else f"guess{n}@test.example"
        address = "203.0.113.5" if same == "address" else f"198.51.100.{n + 1}"

        def job(session):
            with transaction(session):
                return services.authenticate(session, email, "wrong", settings=app_settings(), address=address)
        return job

    outcomes = at_once(app, [attempt(n) for n in range(40)])
    checked = [o for o in outcomes if o is None]
    refused = [o for o in outcomes if isinstance(o, services.LoginRefused)]
    assert len(checked) + len(refused) == 40, [o for o in outcomes if o is not None and o not in refused]
    assert len(checked) == free
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == free


def test_changing_the_session_token_ends_existing_sessions(client, users, session):
    login(client, "treasurer")
    assert client.get("/").status_code == 200
    user = session.get(User, users["treasurer"].id)
    with transaction():
        services.set_password(session, user, "a brand new password", settings=app_settings())
    assert client.get("/").status_code == 302
