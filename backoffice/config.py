"""Configuration: these defaults, then ``instance/config.py``, then the environment.

Environment variables: ``SECRET_KEY``, ``DATABASE_URL`` and ``BACKOFFICE_<KEY>`` for any other key
(``BACKOFFICE_MAIL_SERVER=smtp.example.org`` sets ``MAIL_SERVER``). Values that parse as JSON
(numbers, ``true``/``false``) are taken as such, everything else as a string.
"""
from __future__ import annotations

import json
import os
from datetime import timedelta

DEFAULT_SECRET_KEY = "development-only-insecure-secret-key"


class Defaults:
    ENV = "development"  # development | testing | production
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Organisation shown on pages and documents.
    ORGANISATION_NAME = "Python Community Association e.V."
    DEFAULT_CURRENCY = "EUR"
    CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
    DEFAULT_LOCALE = "en_IE"
    LOCALES = {"en_IE": "English", "de_DE": "Deutsch"}
    FISCAL_YEAR_START_MONTH = 1

    # Sessions and cookies.
    SESSION_COOKIE_NAME = "backoffice_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # forced on in production
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    TRUSTED_PROXIES = 0  # reverse proxies in front of the app whose X-Forwarded-* to believe
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Login throttling: this many failures within the window lock the email (or the address).
    LOGIN_MAX_FAILURES_PER_EMAIL = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    # Two-factor authentication (TOTP): required for admins, treasurers and board members when on;
    # "remember this browser" for this many days (at most 30; 0 turns remembering off).
    TWO_FACTOR_REQUIRED = False
    TWO_FACTOR_REMEMBER_DAYS = 30
    PASSWORD_RESET_HOURS = 2
    PASSWORD_MIN_LENGTH = 10
    ARGON2_PARAMETERS: dict = {}  # e.g. {"time_cost": 3, "memory_cost": 65536}; {} = library default

    # Mail: SMTP when MAIL_SERVER is set, otherwise messages are written to the log.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "Backoffice <backoffice@localhost>"
    BASE_URL = "http://127.0.0.1:5000"

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_STYLE = "primary"
    BOOTSTRAP_BTN_SIZE = "md"
    PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    UPLOAD_FOLDER: str | None = None  # default: instance/uploads

    # Invoices: the Factur-X XML is always checked against its schema; this also checks the
    # EN 16931 business rules (schematron, ~10 ms per invoice) before an invoice is issued.
    INVOICE_CHECK_EN16931 = False

    # Member groups, expense claims and payouts.
    GROUP_ADMIN_FEE_PERCENT = "7"  # the fee policy a newly approved group's fund starts with
    RECEIPT_MAX_BYTES = 10_000_000
    EXPENSE_SECOND_APPROVAL_ABOVE = 500  # claims above this (major units) need two approvers
    SEPA_PAIN_VERSION = "pain.001.001.09"  # or pain.001.001.03 for banks that still want it
    SEPA_DEBTOR_NAME: str | None = None  # default: ORGANISATION_NAME
    SEPA_DEBTOR_IBAN = "DE02120300000000202051"  # a demo account: set the association's own
    SEPA_DEBTOR_BIC: str | None = None  # derived from the IBAN where possible

    # Public forms (join the association, apply for a grant): refused when sent faster than this,
    # and limited per address and per email address.
    PUBLIC_FORM_MIN_FILL_SECONDS = 4
    JOIN_APPLICATIONS_PER_ADDRESS_PER_DAY = 3
    JOIN_APPLICATIONS_PER_EMAIL_PER_DAY = 2


def _coerce(value: str):
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return parsed if isinstance(parsed, (bool, int, float, list, dict)) else value


def from_environment(environ=os.environ) -> dict:
    """Configuration keys taken from environment variables."""
    values: dict = {}
    for name, value in environ.items():
        if name.startswith("BACKOFFICE_") and name != "BACKOFFICE_INSTANCE_PATH":
            values[name.removeprefix("BACKOFFICE_")] = _coerce(value)
    if environ.get("SECRET_KEY"):
        values["SECRET_KEY"] = environ["SECRET_KEY"]
    if environ.get("DATABASE_URL"):
        values["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    return values


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class ConfigurationError(RuntimeError):
    pass


def check(config) -> None:
    """Refuse configurations that must never run."""
    if config["ENV"] == "production":
        if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
            raise ConfigurationError(
                "Refusing to start in production with the default SECRET_KEY: "
                "set SECRET_KEY in the environment or in instance/config.py."
            )
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
