"""Hostile input never breaks a page: every route, every URL variable and query parameter.

The walk runs on the demo association, as an anonymous visitor and as an administrator. URL
variables get ids beyond 32 and 64 bits, negative numbers and strings; every query parameter the
views read (the names ``core.query`` has seen) gets unknown enum values, huge and negative numbers,
far dates and junk. Nothing may answer 5xx.
"""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode, urlsplit

import pytest

from backoffice.core import query
from backoffice.demo.seed import DEMO_PASSWORD, DEMO_USERS

from .helpers import csrf_token, login

HUGE = str(2**64)
HOSTILE_URL_VALUES = [HUGE, str(2**63 - 1), str(2**31), str(2**31 - 1), "-1", "0", "x",
                      "9999-12-31", "%3Cscript%3E", "1e309"]
HOSTILE_QUERY_VALUES = [
    "x", "-1", "0", HUGE, "-" + HUGE, str(2**63 - 1), str(2**31), str(2**31 - 1), "9999-12-31", "0001-01-01", "2026-02-30",
    "10000-01-01", "1e309", "NaN", "\x00", "a\r\nb", "<script>alert(1)</script>", "y" * 3000,
    "2026-01-01.99999999999999999999", "9999-12-31.1",
]
HOSTILE_FORM_VALUES = [HUGE, str(2**31), "-1", "9999-12-31", "x\r\nBcc: all@example.org", "=1+2",
                       "", "\x00", "1e309", "a" * 5000]
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
FIELD = re.compile(r"<(?:input|select|textarea)\b([^>]*)>", re.I)
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
LINK = re.compile(r'href="(/[^"#]*)"')


def _login_demo_admin(client) -> None:
    email = next(email for email, _, roles in DEMO_USERS if "admin" in [r.value for r in roles])
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302


def _get_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static"
            and not rule.rule.startswith("/bootstrap")]


def _fill(rule, value: str) -> str:
    return VARIABLE.sub(lambda _: value, rule.rule)


def _get(client, url: str, seen: list) -> int:
    with client.get(url) as response:
        seen.append(url)
        assert response.status_code < 500, (url, response.status_code,
                                            response.get_data(as_text=True)[:500])
        return response.status_code


def _crawl(client, start: str, limit: int) -> dict[str, str]:
    """One real URL per endpoint reachable by links from ``start`` (ids that exist)."""
    adapter = client.application.url_map.bind("localhost")
    found: dict[str, str] = {}
    queue, visited = [start], set()
    while queue and len(visited) < limit:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        with client.get(url) as response:
            assert response.status_code < 500, (url, response.status_code)
            html = response.get_data(as_text=True) \
                if response.content_type.startswith("text/html") else ""
        for link in LINK.findall(html):
            path = urlsplit(link.replace("&amp;", "&")).path
            try:
                endpoint, _ = adapter.match(path, method="GET")
            except Exception:  # noqa: BLE001 (not a route of ours, or not GET)
                continue
            if endpoint not in found and endpoint != "static":
                found[endpoint] = path
                queue.append(path)
    return found


@pytest.mark.demo_data
@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_no_route_answers_5xx_to_hostile_urls_and_query_parameters(app, who):
    client = app.test_client()
    if who == "admin":
        _login_demo_admin(client)
    seen: list = []
    rules = _get_rules(app)
    for rule in rules:
        if rule.arguments:
            for value in HOSTILE_URL_VALUES:
                _get(client, _fill(rule, value), seen)
    real = _crawl(client, "/" if who == "admin" else "/grants", limit=400)
    for rule in rules:
        if rule.endpoint not in real and not rule.arguments:
            real[rule.endpoint] = rule.rule
        elif rule.endpoint not in real:
            real[rule.endpoint] = _fill(rule, "1")
    for url in real.values():
        assert _get(client, url, seen) != 400, url  # no parameters: nothing to refuse
    walked = 0
    for endpoint, url in sorted(real.items()):
        for name in sorted(query.reads_parameters(endpoint)):
            walked += 1
            for value in HOSTILE_QUERY_VALUES:
                _get(client, f"{url}?{urlencode({name: value})}", seen)
    assert walked > (1 if who == "anonymous" else 30)


def _post_forms(client, urls) -> dict[str, set[str]]:
    """The forms that post, on the pages at ``urls``: action -> the names of their fields."""
    forms: dict[str, set[str]] = {}
    for url in urls:
        with client.get(url) as response:
            html = response.get_data(as_text=True) \
                if response.content_type.startswith("text/html") else ""
        for attributes, body in FORM.findall(html):
            form = dict(ATTRIBUTE.findall(attributes))
            action = unescape(form.get("action") or url)
            if form.get("method", "get").lower() == "post" and "logout" not in action:
                names = {dict(ATTRIBUTE.findall(field)).get("name") for field in FIELD.findall(body)}
                forms.setdefault(action, set()).update(names - {None, "csrf_token"})
    return forms


@pytest.mark.demo_data
def test_every_form_answers_hostile_values_in_every_field_without_5xx(app):
    """Each form found on the administrator's pages, with every field at once set to a number
    beyond 64 or 32 bits, a far date, a line break, a formula, nothing, NUL or 5000 characters."""
    client = app.test_client()
    _login_demo_admin(client)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the forms' own checks
    forms = _post_forms(client, _crawl(client, "/", limit=400).values())
    assert len(forms) > 60
    for action, names in sorted(forms.items()):
        for value in HOSTILE_FORM_VALUES:
            with client.post(action, data={name: value for name in names}) as response:
                assert response.status_code < 500, (action, value[:30], response.status_code)


def test_a_bad_query_value_answers_400_and_names_the_parameter(client, users):
    login(client, "treasurer")
    for url, name in [("/ledger/journal?end=9999-12-31", "end"),
                      ("/ledger/journal?fund=" + HUGE, "fund"),
                      ("/expenses/?status=x", "status"),
                      ("/invoices?page=0", "page"),
                      ("/ledger/journal?before=2026-01-01.x", "before"),
                      ("/audit?before=-" + HUGE, "before")]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert f"bad value for “{name}”" in response.get_data(as_text=True), url
    far = client.get("/ledger/journal?end=9999-12-31").get_data(as_text=True)
    assert "bad value for “end”. Give a date from 1900 to 2199." in far
    assert "Give one of approved, paid, rejected, submitted, waived." in \
        client.get("/expenses/?status=x").get_data(as_text=True)
    german = client.get("/invoices?page=0", headers={"Accept-Language": "de"})
    assert german.status_code == 400
    assert "ungültigen Wert für „page“. Geben Sie eine Zahl von 1 bis 1000000 an." in \
        german.get_data(as_text=True)
    assert client.get("/ledger/journal?end=2199-12-31").status_code == 200
    assert client.get(f"/ledger/accounts/{HUGE}").status_code == 404
    assert client.get(f"/ledger/accounts/{2**31}").status_code == 404
    assert client.get(f"/ledger/accounts/{2**31 - 1}").status_code == 404
    assert client.get(f"/ledger/journal?fund={2**31}").status_code == 400
    assert client.get(f"/ledger/journal?q=%23{2**31}").status_code == 200
