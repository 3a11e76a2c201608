"""Absolute URLs leave the app (mails, PDFs, pay links) built from BASE_URL only."""
import re
from pathlib import Path

from backoffice.core.urls import absolute_url
from backoffice.extensions import settings_of

ROOT = Path(__file__).resolve().parents[2]
#: Ways to build a URL from the request's own Host header.
FROM_THE_REQUEST = re.compile(r"\b_external\s*=|request\.(host|host_url|url_root|root_url|base_url)\b")


def test_no_code_builds_a_url_from_the_request_host():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder, pattern in (("backoffice", "*.py"), ("templates", "*.html"))
        for path in sorted((ROOT / folder).rglob(pattern))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FROM_THE_REQUEST.search(line)
    ]
    assert offenders == [], "use backoffice.core.urls.absolute_url instead:\n" + "\n".join(offenders)


def test_absolute_urls_start_with_the_base_url_also_inside_a_request(app):
    app.config["BASE_URL"] = "https://office.example.org/books/"
    assert absolute_url(settings_of(app), "auth.login") == "https://office.example.org/books/login"
    with app.test_request_context("/", base_url="http://evil.example"):
        assert absolute_url(settings_of(app), "auth.set_password", purpose="reset", token="t") == \
            "https://office.example.org/books/password/reset/t"
