import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from backoffice import create_app
from backoffice.auth.models import UserToken
from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

from ..conftest import FreshContextClient, base_config
from ..helpers import PASSWORD, csrf_token, email_for, login, post_form

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


# --- links come from BASE_URL, never from the request ------------------------------------------

OFFICE = "https://backoffice.example.org"


@pytest.fixture
def proxied_app(database_url, smtp_server, users):
    """The app as deployed: behind one trusted proxy, with its public BASE_URL."""
    app = create_app(base_config(database_url, smtp_server[0])
                     | {"BASE_URL": OFFICE, "TRUSTED_PROXIES": 1})
    app.test_client_class = FreshContextClient
    yield app
    with app.app_context():
        db.engine.dispose()


def _forgot(client, email, **headers):
    token = csrf_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": email, "csrf_token": token},
                       headers=headers)


def test_a_forged_forwarded_host_does_not_reach_the_reset_link(proxied_app, mailbox):
    client = proxied_app.test_client()
    client.environ_base["HTTP_HOST"] = "backoffice.example.org"
    response = _forgot(client, email_for("admin"), **{"X-Forwarded-Host": "evil.example",
                                                       "X-Forwarded-For": "203.0.113.7"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    body = mailbox[-1].get_content()
    assert f"{OFFICE}/password/reset/" in body and "evil.example" not in body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:443", "backoffice.example.org.evil.example"])
def test_a_forged_host_is_refused_before_anything_is_sent(proxied_app, mailbox, host):
    client = proxied_app.test_client()
    client.environ_base["HTTP_HOST"] = "backoffice.example.org"
    token = csrf_token(client, "/password/forgot")
    response = client.post("/password/forgot", data={"email": email_for("admin"),
                                                     "csrf_token": token},
                           headers={"Host": host})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)
    assert mailbox == []


def test_invitation_links_come_from_the_base_url(proxied_app, mailbox):
    client = proxied_app.test_client()
    client.environ_base["HTTP_HOST"] = "backoffice.example.org"
    login(client, "admin")
    response = client.post("/users/new", data={
        "email": "new@test.example", "name": "New", "roles": ["board"],
        "csrf_token": csrf_token(client, "/users/new")}, headers={"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 302
    body = mailbox[-1].get_content()
    assert f"{OFFICE}/password/invite/" in body and "evil.example" not in body


# --- rate limits -----------------------------------------------------------------------------

def test_reset_requests_are_limited_per_recipient(app, client, users, mailbox):
    limit = app.config["PASSWORD_RESETS_PER_EMAIL_PER_HOUR"]
    for n in range(limit):
        other = app.test_client()  # each from another address
        other.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        assert _forgot(other, email_for("board")).status_code == 302
    refused = _forgot(client, email_for("board"))
    assert refused.status_code == 429
    assert "too many of these" in refused.get_data(as_text=True)
    assert len(mailbox) == limit
    # Unknown recipients count the same (the limit reveals nothing about who has an account).
    for _ in range(limit):
        assert _forgot(client, "nobody@test.example").status_code == 302
    assert _forgot(client, "nobody@test.example").status_code == 429


def test_reset_requests_are_limited_per_address(app, client, users, mailbox):
    limit = app.config["PASSWORD_RESETS_PER_ADDRESS_PER_HOUR"]
    for n in range(limit):
        assert _forgot(client, f"someone{n}@test.example").status_code == 302
    assert _forgot(client, email_for("board")).status_code == 429
    assert mailbox == []
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.99"
    assert _forgot(elsewhere, email_for("board")).status_code == 302
    assert [m["To"] for m in mailbox] == [email_for("board")]


def test_invitations_are_limited_per_recipient_and_per_address(app, users, session, mailbox):
    from backoffice.auth import services
    from backoffice.core.public_forms import RateLimited

    per_recipient = app.config["INVITATIONS_PER_RECIPIENT_PER_HOUR"]
    with transaction():
        newcomer = services.create_user(session, "newcomer@test.example", settings=app_settings(), roles=["board"])
    for _ in range(per_recipient):
        with transaction():
            services.send_invitation(session, newcomer, address="192.0.2.1", settings=app_settings())
    with pytest.raises(RateLimited), transaction():
        services.send_invitation(session, newcomer, address="192.0.2.2", settings=app_settings())
    assert len(mailbox) == per_recipient

    app.config["INVITATIONS_PER_ADDRESS_PER_HOUR"] = 2
    with transaction():
        people = [services.create_user(session, f"p{n}@test.example", settings=app_settings(), roles=["board"])
                  for n in range(3)]
    for person in people[:2]:
        with transaction():
            services.send_invitation(session, person, address="192.0.2.9", settings=app_settings())
    with pytest.raises(RateLimited), transaction():
        services.send_invitation(session, people[2], address="192.0.2.9", settings=app_settings())
    with transaction():  # the command line (no address) counts per recipient only
        services.send_invitation(session, people[2], settings=app_settings())


def test_organiser_invitations_from_the_groups_page_count_per_address(app, users, session, mailbox):
    from ..sponsorship import active_group, client_for

    group = active_group(session, "PyData Bonn", actor=users["admin"])
    app.config["INVITATIONS_PER_ADDRESS_PER_HOUR"] = 1
    client = client_for(app, email_for("admin"))
    mailbox.clear()
    first = post_form(client, f"/groups/{group.id}/organisers", {"email": "one@bonn.example"})
    assert first.status_code == 302 and [m["To"] for m in mailbox] == ["one@bonn.example"]
    second = post_form(client, f"/groups/{group.id}/organisers", {"email": "two@bonn.example"})
    assert "too many of these" in client.get(second.location).get_data(as_text=True)
    assert [m["To"] for m in mailbox] == ["one@bonn.example"]
