import pytest

from backoffice import create_app
from backoffice.config import (
    DEFAULT_SECRET_KEY,
    ConfigurationError,
    from_environment,
    normalise_database_url,
)


def test_production_refuses_the_default_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="default SECRET_KEY"):
        create_app({"ENV": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(ConfigurationError):
        create_app({"ENV": "production", "SECRET_KEY": DEFAULT_SECRET_KEY,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_marks_cookies_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_INSTANCE_PATH", str(tmp_path))
    app = create_app({"ENV": "production", "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


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
