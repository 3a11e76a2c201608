"""Small helpers for tests that drive the app through HTTP."""
from __future__ import annotations

import re

from backoffice.core.permissions import Role

PASSWORD = "correct horse battery"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def email_for(role: Role | str) -> str:
    return f"{Role(role).value}@test.example"


STARTED = re.compile(r'name="started"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="started"')


def form_tokens(client, path: str = "/login") -> dict[str, str]:
    """The hidden tokens a rendered page gives its forms: the session's CSRF token and, on
    public forms, the signed start time of the spam guard."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_META.search(html)
    if not match:
        raise AssertionError(f"no CSRF token on {path}")
    tokens = {"csrf_token": match.group(1)}
    started = STARTED.search(html)
    if started:
        tokens["started"] = started.group(1) or started.group(2)
    return tokens


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a rendered page."""
    return form_tokens(client, path)["csrf_token"]


def logout(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def login(client, role: Role | str, password: str = PASSWORD):
    if client.get("/login").status_code == 302:  # somebody is logged in already
        logout(client)
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email_for(role), "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def post_form(client, path: str, data: dict, *, token_from: str | None = None):
    """POST a form with the tokens of the page ``token_from`` added (CSRF, spam guard)."""
    return client.post(path, data={**form_tokens(client, token_from or "/"), **data})
