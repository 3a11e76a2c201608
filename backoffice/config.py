"""Configuration: these defaults, then ``instance/config.py``, then the environment.

``Defaults`` is the one place a default is written. ``create_app`` builds the typed, checked
``core.settings.Settings`` from the result; the code reads those, not these keys.

Environment variables: ``SECRET_KEY``, ``DATABASE_URL``, ``LOG_FORMAT``, ``LOG_LEVEL``,
``REDIS_URL`` and ``BACKOFFICE_<KEY>`` for any other key (``BACKOFFICE_MAIL_SERVER=smtp.example.org``
sets ``MAIL_SERVER``). Values that parse as JSON
(numbers, ``true``/``false``) are taken as such, everything else as a string.
"""
from __future__ import annotations

import ipaddress
import json
import os
from datetime import timedelta
from urllib.parse import urlsplit

DEFAULT_SECRET_KEY = "development-only-insecure-secret-key"
MIN_SECRET_KEY_LENGTH = 32
LOOPBACK_NAMES = ("localhost", "127.0.0.1")


class Defaults:
    ENV = "development"  # development | testing | production
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # merged over the options made from the timeouts below
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # A database that is slow, locked or not answering must not hold a worker forever: past these
    # (seconds; 0 = no limit) the request answers "busy, try again" (503) and nothing is saved.
    DATABASE_CONNECT_TIMEOUT = 5  # PostgreSQL: to connect (also a server that accepts, then hangs)
    DATABASE_STATEMENT_TIMEOUT = 30  # PostgreSQL: one statement (statement_timeout)
    DATABASE_LOCK_TIMEOUT = 10  # waiting for a lock: PostgreSQL lock_timeout, SQLite busy timeout
    # PostgreSQL: a statement run often on a connection is prepared there, so the server neither
    # parses nor plans it again (core.db.KeptPreparedConnection). False behind a connection
    # pooler that cannot carry prepared statements (PgBouncer in transaction mode before 1.22).
    DATABASE_PREPARED_STATEMENTS = True

    # Organisation shown on pages and documents.
    ORGANISATION_NAME = "Python Community Association e.V."
    DEFAULT_CURRENCY = "EUR"
    CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
    DEFAULT_LOCALE = "en_IE"
    LOCALES = {"en_IE": "English", "de_DE": "Deutsch"}
    TIMEZONE = "Europe/Berlin"  # times are stored in UTC, shown and dated in this zone (IANA name)
    FISCAL_YEAR_START_MONTH = 1

    # Sessions and cookies.
    SESSION_COOKIE_NAME = "backoffice_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # forced on in production
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)  # a login session ends this long after it began
    SESSION_IDLE_MINUTES = 120  # ... or after this long without a request
    TRUSTED_PROXIES = 0  # reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe
    # Host names the app answers to (others get 400); None: the host of BASE_URL (and, outside
    # production, localhost and 127.0.0.1). X-Forwarded-Host is never believed.
    TRUSTED_HOSTS: list[str] | None = None
    # Strict-Transport-Security, sent in production only (the TLS proxy answers HTTPS); "" to
    # leave it to the proxy. Two years, subdomains included; add "; preload" once it is listed.
    HSTS = "max-age=63072000; includeSubDomains"
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Login throttling (auth/throttle.py): after this many failures per account or per client
    # address, each further attempt waits twice as long as the one before, from the first delay
    # up to the longest; nobody is locked out. Failures are forgotten after the memory without
    # attempts.
    LOGIN_FREE_FAILURES_PER_EMAIL = 5
    LOGIN_FREE_FAILURES_PER_ADDRESS = 20
    LOGIN_FIRST_DELAY_SECONDS = 2
    LOGIN_LONGEST_DELAY_SECONDS_PER_EMAIL = 300
    LOGIN_LONGEST_DELAY_SECONDS_PER_ADDRESS = 900
    LOGIN_FAILURE_MEMORY_MINUTES = 60
    # Two-factor authentication (TOTP): required for admins, treasurers and board members when on;
    # "remember this browser" for this many days (at most 30; 0 turns remembering off).
    TWO_FACTOR_REQUIRED = False
    TWO_FACTOR_REMEMBER_DAYS = 30
    PASSWORD_RESET_HOURS = 2
    # Reset and invitation mails per hour, counted per requesting address and per recipient.
    PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = 5
    PASSWORD_RESETS_PER_EMAIL_PER_HOUR = 3
    INVITATIONS_PER_ADDRESS_PER_HOUR = 30
    INVITATIONS_PER_RECIPIENT_PER_HOUR = 3
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
    # Every absolute URL that leaves the app (mails, PDFs, pay links) starts with this; never
    # with the request's Host. Production refuses a loopback address.
    BASE_URL = "http://127.0.0.1:5000"

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_STYLE = "primary"
    BOOTSTRAP_BTN_SIZE = "md"
    PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    # Stored files: a folder (default instance/uploads) or s3://bucket/prefix (core/storage.py).
    UPLOAD_FOLDER: str | None = None
    # Personal data kept without a legal duty, and for how long (docs/RETENTION.md; the daily
    # privacy.retention job anonymises or removes what is older).
    RETENTION_LOGIN_RECORDS_DAYS = 90
    RETENTION_SENT_MAIL_DAYS = 90
    RETENTION_DECLINED_APPLICATIONS_MONTHS = 12
    RETENTION_DONORS_WITHOUT_GIFTS_YEARS = 3
    # A request that leaves changes in the database session that no unit of work committed fails
    # (``web.py``): on in the tests, where it finds a view that changed something outside
    # ``transaction()``; off in production (the session is discarded after each request anyway).
    CHECK_UNSAVED_CHANGES = False

    # Invoices: the Factur-X XML is always checked against its schema; this also checks the
    # EN 16931 business rules (schematron, ~10 ms per invoice) before an invoice is issued.
    INVOICE_CHECK_EN16931 = False
    # The seller printed on every invoice: give any of these keys in INVOICE_SELLER (the others
    # keep these demo values, which production refuses); "name" None is ORGANISATION_NAME.
    INVOICE_SELLER: dict = {
        "name": None,
        "street": "Musterstraße 12",
        "postcode": "10115",
        "city": "Berlin",
        "country": "DE",
        "tax_number": "27/640/12345",
        "vat_id": "DE136695976",
        "register": "Amtsgericht Berlin-Charlottenburg, VR 12345 B",
        "board": "Anna Beispiel, Jonas Muster",
        "email": "treasurer@example.org",
        "website": "https://example.org",
        "bank_name": "Beispielbank Berlin",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "logo": "",  # SHA-256 of the uploaded logo (Settings → Logo), set in the browser
    }
    INVOICE_NUMBER_PREFIX = ""  # put before <year>-<number> (e.g. "PCA-": PCA-2026-00042)
    INVOICE_PAYMENT_DAYS = 30  # the default payment term
    INVOICE_REMINDER_DAYS = 14  # between reminders, and after the due date before the first

    # Donation receipts (donations/receipts). RECEIPTS_STYLE "de": Zuwendungsbestätigungen on the
    # Federal Ministry of Finance's model (§ 50 EStDV); "us": written acknowledgments (IRC §
    # 170(f)(8)); "none": no receipts. The tax-exemption notice the German receipts print: "kind"
    # "exemption" (Freistellungsbescheid or Anlage zum Körperschaftsteuerbescheid, valid 5 years)
    # or "60a" (§ 60a AO Feststellung not yet followed by one, valid 3 years), the tax office, the
    # tax number, the notice's date (ISO), the assessment period it is for (exemption only) and
    # the purposes (each as the receipt's "wegen Förderung ..." continues). Receipts are refused
    # once the notice is too old. Admins change it in the settings area, detail by detail; the
    # board's document register, once it keeps a notice, wins over both.
    RECEIPTS_STYLE = "de"
    RECEIPTS_NOTICE: dict = {
        "kind": "exemption",
        "tax_office": "Finanzamt für Körperschaften I Berlin",
        "tax_number": "27/640/12345",
        "date": "2025-05-12",
        "period": "2021 bis 2023",
        "purposes": ["der Bildung (§ 52 Abs. 2 Satz 1 Nr. 7 AO)",
                     "der Wissenschaft und Forschung (§ 52 Abs. 2 Satz 1 Nr. 1 AO)"],
    }
    # Receipts without a handwritten signature (a statement that they were produced by machine)
    # only once the association has told its tax office; never for gifts in kind or waivers.
    RECEIPTS_MACHINE_PRODUCED = False
    # Membership fees deductible (False for purposes of § 10b Abs. 1 Satz 8 EStG: then every
    # receipt confirms that it is not for such a fee).
    RECEIPTS_MEMBERSHIP_FEES_DEDUCTIBLE = True
    # Below this (EUR) a bank statement is proof enough (§ 50 Abs. 4 EStDV): no receipt unless asked.
    RECEIPTS_SIMPLIFIED_PROOF_LIMIT = "300.00"
    RECEIPTS_PLACE = "Berlin"  # "Ort" beside the date
    RECEIPTS_SIGNATORY = "Anna Beispiel, Schatzmeisterin"
    RECEIPTS_NUMBER_PREFIX = "ZB-"  # put before <year>-<number>: ZB-2026-00042
    # US acknowledgments: the association's EIN, and the amount from which one is required.
    RECEIPTS_US_EIN = ""
    RECEIPTS_US_THRESHOLD = "250.00"

    # Stripe: sk_... and whsec_...; online payment is offered only with a secret key. The API
    # base and the checkout origin point elsewhere in tests (a local server, never the internet).
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE = "https://api.stripe.com"
    STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"

    # Member groups, expense claims and payouts.
    GROUP_ADMIN_FEE_PERCENT = "7"  # the fee policy a newly approved group's fund starts with
    RECEIPT_MAX_BYTES = 10_000_000
    EXPENSE_SECOND_APPROVAL_ABOVE = 500  # claims above this (major units) need two approvers
    # Bank lines that pay a little less than their invoice (charges the payer's bank kept): a
    # difference up to this (major units of the line's currency) is offered as a write-off first
    # and one treasurer may write it off; above it a second approver is needed, as for claims.
    BANK_SMALL_DIFFERENCE_LIMIT = "10.00"
    SEPA_PAIN_VERSION = "pain.001.001.09"  # or pain.001.001.03 for banks that still want it
    SEPA_DEBTOR_NAME: str | None = None  # default: ORGANISATION_NAME
    SEPA_DEBTOR_IBAN = "DE89370400440532013000"  # the demo seller's account: set the association's own
    SEPA_DEBTOR_BIC: str | None = None  # derived from the IBAN where possible
    # A payout batch whose total is above this (major units, EUR) is paid only under a passed
    # board resolution naming it (its SEPA file and its execution wait for one); empty: no limit.
    BOARD_PAYOUT_BATCH_LIMIT = "10000.00"

    # Grant applications: uploads (bytes, files per application), the public form's limits,
    # and reminders for reports due (days before, then every so many days).
    GRANTS_MAX_FILE_BYTES = 10 * 1024 * 1024
    GRANTS_MAX_FILES = 5
    GRANTS_APPLICATIONS_PER_ADDRESS_PER_HOUR = 5
    GRANTS_APPLICATIONS_PER_EMAIL_PER_DAY = 5
    GRANTS_LINKS_PER_EMAIL_PER_HOUR = 3
    GRANTS_REMIND_DAYS_BEFORE = 14
    GRANTS_REMIND_EVERY_DAYS = 14

    # DATEV export (reports/datev.py): the numbers the tax adviser gives (Beraternummer,
    # Mandantennummer), the length of their ledger account numbers and their chart of accounts.
    # The default mapping targets SKR 49 (associations); DATEV replaced it by SKR 42 from the
    # fiscal year 2025, so set the chart and edit the mapping to what the adviser uses.
    DATEV_ADVISER_NUMBER = 1001
    DATEV_CLIENT_NUMBER = 1
    DATEV_ACCOUNT_LENGTH = 4
    DATEV_CHART = "49"

    # Tax spheres report (reports/spheres.py): the gross receipts (VAT included) of the taxable
    # business area above which it pays corporation and trade tax (§ 64 (3) AO: 45,000 EUR since
    # 2020), in minor units, and the share of it at which the report warns.
    REPORTS_TAXABLE_RECEIPTS_LIMIT = 4_500_000
    REPORTS_WARN_AT_PERCENT = 80
    # VAT summary (reports/vat.py): whether the association deducts the input VAT it books on the
    # input-VAT account (Kz 66 of the advance VAT return). False where it may not deduct it (a
    # small business, § 19 UStG): then Kz 66 shows nothing and Kz 83 is the output VAT alone.
    REPORTS_DEDUCTS_INPUT_VAT = True

    # Operations: log lines as text or one JSON object a line (``LOG_FORMAT=json``), each with
    # the request id; Redis, when configured, is checked by /readyz and `backoffice doctor`.
    LOG_FORMAT = "text"  # text | json
    LOG_LEVEL = "INFO"
    REDIS_URL: str | None = None
    # The job queue (core/queue.py): Celery on this broker (Redis, e.g. redis://127.0.0.1:6379/0)
    # with workers as separate processes; unset, every job runs at once in the process that
    # asked for it (development, tests). A message not acknowledged this many seconds after a
    # worker took it is delivered again (longer than the longest job).
    QUEUE_BROKER_URL: str | None = None
    QUEUE_NAME = "backoffice"
    QUEUE_VISIBILITY_TIMEOUT = 3600
    # A job (core/jobs.py) whose worker sent no heartbeat for this long is taken over by the
    # next delivery; its own commit is then refused.
    JOBS_LEASE_SECONDS = 300
    # Statement files larger than this are imported as a job (the page shows its progress).
    BANK_IMPORT_JOB_BYTES = 256 * 1024
    # The daily backup (scheduled job): how many archives to keep.
    BACKUP_KEEP = 14
    # The mail outbox (core/outbox.py): a failed send is tried again after the base doubled per
    # attempt, at most the longest wait, until the attempts are used up (then admins see it
    # failed); a message claimed this long ago by a worker that died is claimed again.
    OUTBOX_RETRY_BASE_SECONDS = 30
    OUTBOX_RETRY_MAX_SECONDS = 3600
    OUTBOX_MAX_ATTEMPTS = 10
    OUTBOX_CLAIM_SECONDS = 600
    # `backoffice backup` writes its archives here (default: instance/backups).
    BACKUP_FOLDER: str | None = None

    # Public forms (join the association, apply for a grant): refused when sent faster than this,
    # and limited per address and per email address.
    PUBLIC_FORM_MIN_FILL_SECONDS = 4
    JOIN_APPLICATIONS_PER_ADDRESS_PER_DAY = 3
    JOIN_APPLICATIONS_PER_EMAIL_PER_DAY = 2
    # Donation pages: Checkout Sessions started per client address and per email an hour (a
    # card tester tries many; a donor rarely more than a few).
    DONATIONS_PER_ADDRESS_PER_HOUR = 10
    DONATIONS_PER_EMAIL_PER_HOUR = 5


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
    for name in ("LOG_FORMAT", "LOG_LEVEL", "REDIS_URL"):
        if environ.get(name):
            values[name] = environ[name]
    return values


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(config) -> dict:
    """SQLAlchemy engine options: the timeouts for the configured database (on PostgreSQL also
    whether statements are prepared), with anything given in ``SQLALCHEMY_ENGINE_OPTIONS``
    taking precedence (``connect_args`` merged key by key)."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    connect_args: dict = {}
    if url.startswith("sqlite"):
        connect_args["timeout"] = float(config["DATABASE_LOCK_TIMEOUT"])  # the busy timeout
    elif url.startswith("postgresql"):
        if config["DATABASE_CONNECT_TIMEOUT"]:
            connect_args["connect_timeout"] = max(1, int(config["DATABASE_CONNECT_TIMEOUT"]))
        settings = {"statement_timeout": config["DATABASE_STATEMENT_TIMEOUT"],
                    "lock_timeout": config["DATABASE_LOCK_TIMEOUT"]}
        connect_args["options"] = " ".join(
            f"-c {name}={int(float(seconds) * 1000)}" for name, seconds in settings.items())
        if not config.get("DATABASE_PREPARED_STATEMENTS", True):
            connect_args["prepare_threshold"] = None  # psycopg prepares nothing
    given = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    return {**given, "connect_args": {**connect_args, **given.get("connect_args", {})}}


class ConfigurationError(RuntimeError):
    pass


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base_host(config) -> str:
    return (urlsplit(config.get("BASE_URL") or "").hostname or "").lower()


def trusted_hosts(config) -> list[str]:
    """The host names the app answers to: ``TRUSTED_HOSTS`` (a list, or names separated by
    commas), else the host of ``BASE_URL``; outside production also the loopback names."""
    hosts = config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [name.strip() for name in hosts.split(",") if name.strip()]
    hosts = [name.lower() for name in hosts] if hosts else [_base_host(config)]
    if config["ENV"] != "production" and not config.get("TRUSTED_HOSTS"):
        hosts += [name for name in LOOPBACK_NAMES if name not in hosts]
    return [name for name in hosts if name]


def production_problems(config) -> list[str]:
    """What stops this configuration from starting in production, each with what to set. (The
    association's details, its bank accounts and the public address are set in the browser by
    the setup wizard; until they are, nothing is issued: ``core.settings.setup_problems``.)"""
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if not secret or secret == DEFAULT_SECRET_KEY:
        problems.append("the default SECRET_KEY is used: set SECRET_KEY (at least "
                        f"{MIN_SECRET_KEY_LENGTH} random characters) in the environment or in "
                        "instance/config.py")
    elif len(secret) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY has {len(secret)} characters: set one of at least "
                        f"{MIN_SECRET_KEY_LENGTH} random characters")
    host = _base_host(config)
    if (not host or _is_loopback(host)) and not config.get("TRUSTED_HOSTS"):
        problems.append(f"BASE_URL is {config.get('BASE_URL')!r}: set BASE_URL to the public "
                        "address of the app (e.g. https://backoffice.example.org), or "
                        "TRUSTED_HOSTS to its host name and BASE_URL in the setup wizard; links "
                        "in mails and PDFs are built from it")
    return problems


def check(config) -> None:
    """Refuse configurations that must never run; derive the settings that follow from the
    rest (secure cookies in production, the trusted host names)."""
    if config["ENV"] == "production":
        problems = production_problems(config)
        if problems:
            raise ConfigurationError("Refusing to start in production: " + "; ".join(problems)
                                     + ".")
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    config["TRUSTED_HOSTS"] = trusted_hosts(config)
