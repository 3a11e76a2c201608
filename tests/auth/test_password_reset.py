import re
from datetime import timedelta

from sqlalchemy import select

from backoffice.auth.models import UserToken
from backoffice.core.db import transaction

from ..helpers import PASSWORD, csrf_token, email_for, login

LINK = re.compile(r"http://localhost(/password/(reset|invite)/[\w-]+)")


def _request_reset(client, email):
    return client.post("/password/forgot", data={"email": email,
                                                 "csrf_token": csrf_token(client, "/password/forgot")})


def _set(client, path, password, confirm=None):
    return client.post(path, data={"password": password, "confirm": confirm or password,
                                   "csrf_token": csrf_token(client, path)})


def test_reset_link_is_emailed_works_once_and_ends_other_sessions(app, client, users, mailbox):
    other_device = app.test_client()
    login(other_device, "treasurer")
    response = _request_reset(client, email_for("treasurer").upper())
    assert response.status_code == 302
    assert len(mailbox) == 1 and mailbox[0]["To"] == email_for("treasurer")
    path = LINK.search(mailbox[0].get_content()).group(1)

    assert "Choose a new password" in client.get(path).get_data(as_text=True)
    assert "at least 10 characters" in _set(client, path, "short").get_data(as_text=True)
    assert "The two passwords differ" in _set(client, path, "long enough 1", "long enough 2").get_data(as_text=True)
    assert _set(client, path, "my new long password").status_code == 302

    assert other_device.get("/").status_code == 302          # logged out everywhere else
    assert client.get(path).status_code == 404               # single use
    assert "cannot be used" in client.get(path).get_data(as_text=True)
    login(client, "treasurer", "my new long password")


def test_unknown_addresses_get_the_same_answer_and_no_mail(client, users, mailbox):
    known = _request_reset(client, email_for("board"))
    unknown = _request_reset(client, "nobody@test.example")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert [m["To"] for m in mailbox] == [email_for("board")]


def test_expired_and_tampered_links_are_refused(client, users, mailbox, session):
    _request_reset(client, email_for("board"))
    path = LINK.search(mailbox[0].get_content()).group(1)
    assert client.get(path + "x").status_code == 404
    assert client.get(path.replace("/reset/", "/invite/")).status_code == 404
    token = session.scalar(select(UserToken))
    with transaction():
        token.expires_at = token.created_at - timedelta(seconds=1)
    assert _set(client, path, "a fresh long password").status_code == 404
    login(client, "board", PASSWORD)  # the old password still works


def test_invited_user_chooses_a_password(client, users, mailbox):
    login(client, "admin")
    response = client.post("/users/new", data={
        "email": "New.Person@Test.Example", "name": "New Person", "roles": ["board", "reviewer"],
        "csrf_token": csrf_token(client, "/users/new")})
    assert response.status_code == 302
    assert "new.person@test.example" in client.get("/users").get_data(as_text=True)
    path = LINK.search(mailbox[-1].get_content()).group(1)
    assert "/password/invite/" in path
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert _set(client, path, "welcome aboard friend").status_code == 302
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": "new.person@test.example",
                                       "password": "welcome aboard friend",
                                       "csrf_token": token}).status_code == 302
