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


def post_twice(client, path: str, data: dict, *, page: str) -> str:
    """POST the same form from ``page`` twice, as a double click does: the first changes the
    state (302), the second answers calmly (303 back to ``page``, nothing done again). Returns the
    note that ``page`` shows then."""
    tokens = form_tokens(client, page)
    first = client.post(path, data={**tokens, **data}, headers={"Referer": f"http://localhost{page}"})
    assert first.status_code == 302, first.get_data(as_text=True)[:3000]
    client.get(first.location)  # the first answer's page (and its note)
    second = client.post(path, data={**tokens, **data})
    assert second.status_code == 303, second.get_data(as_text=True)[:3000]
    assert second.location == page
    html = client.get(second.location).get_data(as_text=True)
    note = re.search(r'<div class="alert alert-info" role="status">([^<]*)</div>', html)
    assert note and "already" in note.group(1), html[:3000]
    return note.group(1)


def counted_get(client, url: str):
    """GET ``url``: (the response, how many statements it sent to the database)."""
    from backoffice.core.db import counting_statements
    from backoffice.extensions import db

    with counting_statements(db.engine) as sent:
        response = client.get(url)
    return response, sent[0]


def own_queries(client, url: str) -> int:
    """How many statements the page ``url`` sends beyond what every request sends (the login
    session, its user, the settings): those of the account search with nothing typed, which
    asks nothing of its own (issue 17: a page's own queries, guarded by count, not time)."""
    response, sent = counted_get(client, url)
    assert response.status_code == 200, url
    _, every = counted_get(client, "/ledger/accounts/search?account_label=")
    return sent - every
