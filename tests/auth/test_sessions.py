"""Login sessions live in the database: ending one voids every copy of its cookie."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from backoffice.auth import services
from backoffice.auth.models import User, UserSession
from backoffice.core.db import transaction
from backoffice.extensions import settings as app_settings

from ..helpers import PASSWORD, csrf_token, email_for, login, logout

COOKIE = "backoffice_session"


def _copy(app, client):
    """Another browser holding a copy of ``client``'s login cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_copy_of_the_cookie_stops_working_at_logout(app, client, users):
    login(client, "treasurer")
    thief = _copy(app, client)
    assert _logged_in(thief)
    logout(client)
    assert not _logged_in(client)
    assert not _logged_in(thief)
    assert thief.get("/").headers["Location"].startswith("/login")


def test_logging_out_ends_every_session_of_that_user(app, client, users):
    login(client, "treasurer")
    laptop, colleague = app.test_client(), app.test_client()
    login(laptop, "treasurer")
    login(colleague, "board")
    logout(client)
    assert not _logged_in(laptop)
    assert _logged_in(colleague)  # another user's session stays


def test_changing_ones_password_ends_every_other_session(app, client, users):
    login(client, "treasurer")
    thief, laptop = _copy(app, client), app.test_client()
    login(laptop, "treasurer")
    response = client.post("/account", data={
        "password-current": PASSWORD, "password-password": "a new long password",
        "password-confirm": "a new long password", "password-change": "Change",
        "password-csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert _logged_in(client)  # this browser got a new session
    assert not _logged_in(thief) and not _logged_in(laptop)


@pytest.mark.parametrize("change", [{"roles": ["board", "treasurer"]}, {"active": ""}])
def test_a_role_change_or_deactivation_ends_every_session_of_that_user(app, client, users, change):
    treasurer = app.test_client()
    login(treasurer, "treasurer")
    thief = _copy(app, treasurer)
    login(client, "admin")
    path = f"/users/{users['treasurer'].id}/edit"
    data = {"name": "Test Treasurer", "roles": ["treasurer"], "active": "y",
            "csrf_token": csrf_token(client, path)} | change
    data = {key: value for key, value in data.items() if value != ""}
    assert client.post(path, data=data).status_code == 302
    assert not _logged_in(treasurer) and not _logged_in(thief)
    assert _logged_in(client)  # the admin who made the change is not affected


def test_a_name_change_ends_no_session(app, client, users):
    treasurer = app.test_client()
    login(treasurer, "treasurer")
    login(client, "admin")
    path = f"/users/{users['treasurer'].id}/edit"
    client.post(path, data={"name": "Tomas T.", "roles": ["treasurer"], "active": "y",
                            "csrf_token": csrf_token(client, path)})
    assert _logged_in(treasurer)


def test_an_admin_changing_their_own_roles_keeps_the_session_they_do_it_in(app, client, users):
    login(client, "admin")
    other = app.test_client()
    login(other, "admin")
    path = f"/users/{users['admin'].id}/edit"
    assert client.post(path, data={"name": "Test Admin", "roles": ["admin", "board"], "active": "y",
                                   "csrf_token": csrf_token(client, path)}).status_code == 302
    assert _logged_in(client) and not _logged_in(other)


def test_users_see_their_sessions_and_end_the_others(app, client, users, session):
    client.environ_base["HTTP_USER_AGENT"] = "Firefox on the office PC"
    login(client, "board")
    phone = app.test_client()
    phone.environ_base.update(HTTP_USER_AGENT="Safari on a phone", REMOTE_ADDR="198.51.100.4")
    login(phone, "board")
    page = client.get("/account/sessions").get_data(as_text=True)
    assert "Firefox on the office PC" in page and "Safari on a phone" in page
    assert "198.51.100.4" in page and "this browser" in page
    phone_session = session.scalars(select(UserSession).where(
        UserSession.user_agent == "Safari on a phone")).one()
    response = client.post(f"/account/sessions/{phone_session.id}/end",
                           data={"csrf_token": csrf_token(client, "/account/sessions")})
    assert response.status_code == 302
    assert not _logged_in(phone) and _logged_in(client)
    assert "Safari on a phone" not in client.get("/account/sessions").get_data(as_text=True)


def test_nobody_ends_another_users_session(app, client, users, session):
    other = app.test_client()
    login(other, "treasurer")
    login(client, "board")
    theirs = session.scalars(select(UserSession).where(
        UserSession.user_id == users["treasurer"].id)).one()
    response = client.post(f"/account/sessions/{theirs.id}/end",
                           data={"csrf_token": csrf_token(client, "/account/sessions")})
    assert response.status_code == 404
    assert _logged_in(other)


def test_ending_all_other_sessions_keeps_this_one(app, client, users):
    login(client, "board")
    others = [app.test_client() for _ in range(2)]
    for other in others:
        login(other, "board")
    response = client.post("/account/sessions/end-others",
                           data={"csrf_token": csrf_token(client, "/account/sessions")})
    assert response.status_code == 302
    assert _logged_in(client)
    assert not any(_logged_in(other) for other in others)


def test_sessions_end_after_their_lifetime_and_when_idle(app, client, users, session):
    login(client, "board")
    record = session.scalars(select(UserSession)).one()
    with transaction():
        record.last_seen_at -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    assert not _logged_in(client)
    login(client, "board")
    record = session.scalars(select(UserSession)).one()  # the idle one was deleted at login
    with transaction():
        record.created_at -= app.config["PERMANENT_SESSION_LIFETIME"]
    assert not _logged_in(client)


def test_a_used_session_records_when_it_was_last_seen(app, client, users, session):
    login(client, "board")
    record = session.scalars(select(UserSession)).one()
    with transaction():
        record.last_seen_at -= timedelta(minutes=5)
    before = record.last_seen_at
    assert _logged_in(client)
    session.expire_all()
    assert session.get(UserSession, record.id).last_seen_at > before


def test_the_database_holds_only_a_hash_of_the_cookies_secret(app, client, users, session):
    from flask import current_app

    login(client, "board")
    with app.test_request_context():
        data = current_app.session_interface.get_signing_serializer(current_app).loads(
            client.get_cookie(COOKIE).value)
    secret = data["_user_id"]
    record = session.scalars(select(UserSession)).one()
    assert record.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in record.token_hash


def test_a_password_reset_ends_every_session(app, client, users, session):
    login(client, "treasurer")
    thief = _copy(app, client)
    with transaction():
        services.set_password(session, session.get(User, users["treasurer"].id),
                              "another long password", settings=app_settings())
    assert not _logged_in(client) and not _logged_in(thief)
    assert email_for("treasurer")  # (the login works again with the new password)
    login(client, "treasurer", "another long password")


def test_a_page_reads_the_login_and_the_settings_once(app, client, users):
    """What every page pays before its own work (issue 17): one query for the login session with
    its user, roles and organised groups, one for the stored settings, in one transaction; no
    query per role or group, no connection of their own for the settings."""
    from sqlalchemy import event

    from backoffice.extensions import db

    login(client, "organiser")  # an organiser: roles and organised groups both there
    client.get("/account")
    statements, connections = [], []
    listeners = [(db.engine, "before_cursor_execute",
                  lambda conn, cursor, statement, *_: statements.append(statement)),
                 (db.engine, "engine_connect", lambda conn: connections.append(conn))]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        assert client.get("/account").status_code == 200
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)
    assert sum("FROM user_sessions" in s for s in statements) == 1
    assert sum("FROM stored_settings" in s for s in statements) == 1
    assert not [s for s in statements if "FROM user_roles" in s or "FROM group_organisers" in s]
    assert len(connections) == 1, connections
