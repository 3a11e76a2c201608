"""Small helpers for tests that drive the app through HTTP."""
from __future__ import annotations

import re

from flask import g, has_app_context

from backoffice.core.permissions import Role

PASSWORD = "correct horse battery"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'name="csrf_token" value="([^"]+)"|'
                        r'value="([^"]+)" name="csrf_token"')


def email_for(role: Role | str) -> str:
    return f"{Role(role).value}@test.example"


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a rendered page."""
    if has_app_context():  # requests share the test's app context: drop the token cached in g
        g.pop("csrf_token", None)  # (from before a login, which starts a new session)
    html = client.get(path).get_data(as_text=True)
    match = CSRF_META.search(html)
    if not match:
        raise AssertionError(f"no CSRF token on {path}")
    return match.group(1)


def login(client, role: Role | str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email_for(role), "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def post_form(client, path: str, data: dict, *, token_from: str | None = None):
    """POST a form with the session's CSRF token added."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from or "/")})
