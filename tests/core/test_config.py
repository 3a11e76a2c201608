import re

import pytest

from backoffice import create_app
from backoffice.config import (
    DEFAULT_SECRET_KEY,
    ConfigurationError,
    from_environment,
    normalise_database_url,
)
from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings

#: A configuration production accepts: every demo value replaced.
PRODUCTION = {
    "ENV": "production", "SECRET_KEY": "s" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "BASE_URL": "https://backoffice.example.org", "SEPA_DEBTOR_IBAN": "DE75512108001245126199",
    "INVOICE_SELLER": {"street": "Hauptstraße 1", "postcode": "50667", "city": "Köln",
                       "tax_number": "214/5678/1234", "vat_id": "DE811907980",
                       "register": "Amtsgericht Köln, VR 1", "board": "A. Chair",
                       "email": "kasse@verein.example", "website": "https://verein.example",
                       "iban": "DE75512108001245126199",
                       "bic": "SOGEDEFFXXX"},
}


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_INSTANCE_PATH", str(tmp_path))
    return tmp_path


def test_production_starts_with_its_own_settings_and_answers_only_to_its_host(instance):
    app = create_app(PRODUCTION)
    assert app.config["TRUSTED_HOSTS"] == ["backoffice.example.org"]
    assert app.test_client().get("/login", base_url="https://backoffice.example.org").status_code == 200
    assert app.test_client().get("/login", base_url="http://127.0.0.1").status_code == 400


def test_production_tells_browsers_to_use_https_only(instance):
    production = "https://backoffice.example.org"
    response = create_app(PRODUCTION).test_client().get("/login", base_url=production)
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "; secure" in response.headers["Set-Cookie"].lower()
    left_to_the_proxy = create_app(PRODUCTION | {"HSTS": ""}).test_client()
    assert "Strict-Transport-Security" not in left_to_the_proxy.get("/login", base_url=production).headers
    development = create_app({**PRODUCTION, "ENV": "development"}).test_client()
    assert "Strict-Transport-Security" not in development.get("/login", base_url=production).headers


@pytest.mark.parametrize("change, message", [
    ({"SECRET_KEY": None}, "the default SECRET_KEY is used: set SECRET_KEY"),
    ({"SECRET_KEY": DEFAULT_SECRET_KEY}, "the default SECRET_KEY is used: set SECRET_KEY"),
    ({"SECRET_KEY": "s" * 31}, "SECRET_KEY has 31 characters: set one of at least 32"),
    ({"BASE_URL": "http://127.0.0.1:5000"}, "BASE_URL is 'http://127.0.0.1:5000': set BASE_URL"),
    ({"BASE_URL": "http://localhost"}, "set BASE_URL to the public address"),
    ({"BASE_URL": "http://[::1]:8000"}, "set BASE_URL to the public address"),
    ({"BASE_URL": "https://app.localhost"}, "set BASE_URL to the public address"),
])
def test_production_refuses_demo_and_weak_settings_and_says_what_to_set(instance, change, message):
    config = {**PRODUCTION, **change}
    with pytest.raises(ConfigurationError, match="^Refusing to start in production: .*"
                       + re.escape(message)):
        create_app(config)


@pytest.mark.parametrize("change, message", [
    ({"INVOICE_SELLER": None}, "still have the demo street, tax_number, vat_id, register, board, "
                               "email, website, iban, bic"),
    ({"INVOICE_SELLER": {**PRODUCTION["INVOICE_SELLER"], "iban": "de89 3704 0044 0532 0130 00"}},
     "still have the demo iban"),
    ({"INVOICE_SELLER": {**PRODUCTION["INVOICE_SELLER"], "vat_id": "DE136695976"}},
     "still have the demo vat_id"),
    ({"SEPA_DEBTOR_IBAN": "DE89 3704 0044 0532 0130 00"},
     "The account that pays out is still the demo account"),
    ({"BASE_URL": "http://127.0.0.1:5000", "TRUSTED_HOSTS": ["backoffice.example.org"]},
     "The public address is http://127.0.0.1:5000, which nobody else can open"),
])
def test_production_starts_with_demo_details_but_issues_nothing_until_they_are_set(
        instance, change, message):
    """The association's details are set in the browser (the setup wizard, the settings): the
    app starts, and says what is missing before any document is issued."""
    from backoffice.core.settings import setup_problems

    app = create_app({**PRODUCTION, **change})
    with app.app_context():
        problems = setup_problems(app_settings())
    assert any(message in problem for problem in problems), problems
    complete = create_app(PRODUCTION)
    with complete.app_context():
        assert setup_problems(app_settings()) == []


def test_production_refuses_a_database_with_the_demo_association(instance, app, database_url):
    from backoffice.auth.services import create_user
    from backoffice.demo.seed import DEMO_USERS

    create_app({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": database_url})  # migrated, no demo
    with transaction():
        create_user(db.session, DEMO_USERS[0][0], settings=app_settings(), roles=["admin"], password="backoffice-demo")
    db.session.remove()
    with pytest.raises(ConfigurationError, match="the database holds the demo association"):
        create_app({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": database_url})


def test_production_marks_cookies_secure(instance):
    app = create_app(PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("configured, trusted", [
    (None, ["localhost", "127.0.0.1"]),
    (["Office.Example.org", "backoffice.example.org"], ["office.example.org", "backoffice.example.org"]),
    ("a.example, b.example", ["a.example", "b.example"]),
])
def test_trusted_hosts_default_to_the_base_url(instance, configured, trusted):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": "http://localhost:5000",
                      "TRUSTED_HOSTS": configured})
    assert app.config["TRUSTED_HOSTS"] == trusted


def test_instance_config_then_environment_then_argument(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('ORGANISATION_NAME = "From instance"\n'
                                        'DEFAULT_LOCALE = "de_DE"\nPAGE_SIZE = 10\n')
    monkeypatch.setenv("BACKOFFICE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("BACKOFFICE_PAGE_SIZE", "25")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app({"DEFAULT_LOCALE": "en_IE"})
    assert app.config["ORGANISATION_NAME"] == "From instance"
    assert app.config["PAGE_SIZE"] == 25               # environment beats instance/config.py
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["DEFAULT_LOCALE"] == "en_IE"     # the argument beats everything
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'backoffice.db'}"


def test_environment_values_are_typed():
    values = from_environment({"BACKOFFICE_MAIL_PORT": "587", "BACKOFFICE_MAIL_USE_TLS": "true",
                               "BACKOFFICE_MAIL_SERVER": "smtp.example.org",
                               "DATABASE_URL": "postgres://u@h/db", "UNRELATED": "x"})
    assert values == {"MAIL_PORT": 587, "MAIL_USE_TLS": True, "MAIL_SERVER": "smtp.example.org",
                      "SQLALCHEMY_DATABASE_URI": "postgres://u@h/db"}


@pytest.mark.parametrize("url, expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_urls_use_psycopg(url, expected):
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize("proxies, seen", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_client_address_behind_trusted_proxies(tmp_path, monkeypatch, proxies, seen):
    """Only with TRUSTED_PROXIES does X-Forwarded-For name the client (else anybody could pick
    the address that login throttling and the public forms' limits count by)."""
    from flask import request

    from backoffice.core.permissions import public

    monkeypatch.setenv("BACKOFFICE_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TRUSTED_PROXIES": proxies})

    @app.get("/_address")
    @public
    def address():
        return f"{request.remote_addr} {request.scheme}"

    response = app.test_client().get("/_address", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                     headers={"X-Forwarded-For": "203.0.113.9",
                                              "X-Forwarded-Proto": "https"})
    assert response.get_data(as_text=True) == f"{seen} {'https' if proxies else 'http'}"
