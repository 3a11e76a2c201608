"""The application's settings: one frozen, typed value built once from the configuration.

Where a value comes from: the defaults in ``backoffice/config.py`` (``Defaults``, the only place
defaults are written), then ``instance/config.py``, then environment variables, then the mapping
given to ``create_app``. ``create_app`` calls :func:`build` on the result, which checks every value
(a bad one stops the start with a :class:`SettingsError` naming the key) and stores the
:class:`Settings` on the app. The web and command-line edge reads them (``extensions.settings()``)
and passes them, or the part a service needs, to the services: no service reads Flask's config.

Layers on top (settings edited in the browser and stored in the database, issue 18) are one more
mapping merged over the configuration before :func:`build`, or :func:`dataclasses.replace` on the
built value: callers only ever see a :class:`Settings`.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import clock
from .errors import ValidationError

if TYPE_CHECKING:
    from werkzeug.routing import Map


class SettingsError(RuntimeError):
    """A configured value that cannot be used; the message names the key and what it takes."""


class SetupIncomplete(ValidationError):
    """A document was to be issued before the association's details are complete."""


@dataclass(frozen=True)
class Organisation:
    name: str
    default_currency: str
    currencies: tuple[str, ...]
    default_locale: str
    locales: Mapping[str, str]  # locale: its name in the language picker
    fiscal_year_start_month: int
    timezone: str = "Europe/Berlin"  # an IANA zone: where times are shown


@dataclass(frozen=True)
class Security:
    """Passwords, login throttling, two-factor login, login sessions, reset and invitation mails."""

    argon2_parameters: Mapping[str, int]
    password_min_length: int
    password_reset_hours: int
    password_resets_per_address_per_hour: int
    password_resets_per_email_per_hour: int
    invitations_per_address_per_hour: int
    invitations_per_recipient_per_hour: int
    login_free_failures_per_email: int
    login_free_failures_per_address: int
    login_first_delay: timedelta
    login_longest_delay_per_email: timedelta
    login_longest_delay_per_address: timedelta
    login_failure_memory: timedelta
    two_factor_required: bool
    two_factor_remember_days: int
    session_lifetime: timedelta
    session_idle: timedelta


@dataclass(frozen=True)
class Mail:
    server: str | None  # None: messages are written to the log
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str  # the From header


@dataclass(frozen=True)
class Seller:
    """The association as printed on every invoice (``INVOICE_SELLER``); each invoice keeps a
    frozen copy of these details from the moment it is issued."""

    name: str
    street: str
    postcode: str
    city: str
    country: str
    tax_number: str
    vat_id: str
    register: str
    board: str
    email: str
    website: str
    bank_name: str
    iban: str
    bic: str
    logo: str = ""  # SHA-256 of the kept logo (core.logo), empty without one

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)

    @classmethod
    def of(cls, details: Mapping[str, Any]) -> Seller:
        """The seller from details kept as a mapping (on an invoice); a missing field is empty."""
        return cls(**{name: details.get(name) or "" for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Invoicing:
    seller: Seller
    number_prefix: str
    payment_days: int
    reminder_days: int  # between reminders, and after the due date before the first
    check_en16931: bool


@dataclass(frozen=True)
class Stripe:
    secret_key: str | None
    webhook_secret: str | None
    api_base: str
    checkout_origin: str


@dataclass(frozen=True)
class Banking:
    small_difference_limit: Decimal  # major units of the line's currency
    sepa_pain_version: str
    sepa_debtor_name: str  # the organisation's name unless set
    sepa_debtor_iban: str
    sepa_debtor_bic: str | None
    #: A payout batch above this (major units) waits for a board resolution; None: no limit.
    payout_batch_limit: Decimal | None = None


@dataclass(frozen=True)
class Expenses:
    second_approval_above: Decimal  # major units
    receipt_max_bytes: int
    group_admin_fee_percent: Decimal


@dataclass(frozen=True)
class Grants:
    max_file_bytes: int
    max_files: int
    applications_per_address_per_hour: int
    applications_per_email_per_day: int
    links_per_email_per_hour: int
    remind_days_before: int
    remind_every_days: int


@dataclass(frozen=True)
class ExemptionNotice:
    """The tax office's notice that the association pursues tax-privileged purposes, as a German
    donation receipt prints it (``RECEIPTS_NOTICE``; later the board records' stored notice)."""

    kind: str  # EXEMPTION (Freistellungsbescheid, 5 years) or SECTION_60A (§ 60a AO, 3 years)
    tax_office: str
    tax_number: str
    date: date
    period: str  # the assessment period an exemption notice is for ("2021 bis 2023")
    purposes: tuple[str, ...]

    EXEMPTION = "exemption"
    SECTION_60A = "60a"
    KINDS = (EXEMPTION, SECTION_60A)


def notice_fault(*, kind: Any, day: Any, tax_office: Any, tax_number: Any, period: Any,
                 purposes: Any, today: date | None = None) -> str | None:
    """The first thing wrong with a tax-exemption notice's facts, or None: the one rule set for
    the configured notice, the settings page and the board's register, each of which phrases its
    own refusal. Answers "kind", "date" (missing or not a date), "date_in_future", "tax_office",
    "tax_number", "period" (an exemption notice names its assessment period) or "purposes"."""
    def blank(value: Any) -> bool:
        if isinstance(value, (list, tuple)):
            return not any(str(item).strip() for item in value)
        return not str(value or "").strip()

    if kind not in ExemptionNotice.KINDS:
        return "kind"
    issued = notice_date(day)
    if issued is None:
        return "date"
    if issued > (today or clock.today()):
        return "date_in_future"
    for fact, value in (("tax_office", tax_office), ("tax_number", tax_number)):
        if blank(value):
            return fact
    if kind == ExemptionNotice.EXEMPTION and blank(period):
        return "period"
    return "purposes" if blank(purposes) else None


def notice_date(value: Any) -> date | None:
    """A notice's date given as a date or in ISO form (None: neither)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


@dataclass(frozen=True)
class Receipts:
    """Donation receipts: German (``de``), US acknowledgments (``us``) or none."""

    style: str
    notice: ExemptionNotice | None
    machine_produced: bool
    membership_fees_deductible: bool
    simplified_proof_limit: Decimal  # EUR
    place: str
    signatory: str
    number_prefix: str
    us_ein: str
    us_threshold: Decimal  # USD


@dataclass(frozen=True)
class PublicForms:
    min_fill_seconds: float
    join_applications_per_address_per_day: int
    join_applications_per_email_per_day: int
    donations_per_address_per_hour: int
    donations_per_email_per_hour: int


@dataclass(frozen=True)
class Datev:
    """What the DATEV file's header says about the books it goes into (ask the tax adviser)."""

    adviser_number: int  # Beraternummer, 1001-9999999
    client_number: int   # Mandantennummer, 1-99999
    account_length: int  # Sachkontenlänge, 4-8 digits
    chart: str           # the adviser's chart of accounts (Sachkontenrahmen), e.g. "49"


@dataclass(frozen=True)
class Retention:
    """How long personal data without a duty to keep it stays (docs/RETENTION.md)."""

    login_records_days: int        # sign-in attempts and ended sessions (IP addresses)
    sent_mail_days: int            # the outbox's copy of a sent message
    declined_applications_months: int  # grant and group applications not taken up
    donors_without_gifts_years: int


@dataclass(frozen=True)
class Reports:
    """German tax spheres: the limit on the gross receipts (VAT included) of the taxable business
    area (wirtschaftlicher Geschäftsbetrieb, § 64 (3) AO) and the share of it at which the
    sphere report warns; whether the association deducts input VAT (§ 15 UStG) in its advance
    VAT return (False for a small business under § 19 UStG or one that deducts none: Kz 66 stays
    empty and the VAT summary says so)."""

    taxable_receipts_limit: int  # minor units of the default currency
    warn_at_percent: int
    deducts_input_vat: bool


@dataclass(frozen=True)
class Paths:
    instance: str
    uploads: str
    backups: str


@dataclass(frozen=True)
class Backups:
    """The daily backup (the scheduled job ``backup``; archives in ``paths.backups``)."""

    keep: int  # the newest archives kept (``BACKUP_KEEP``, at least 1); older ones are removed


@dataclass(frozen=True)
class Settings:
    env: str  # development | testing | production
    secret_key: str
    base_url: str  # every absolute URL starts with it (``core.urls.absolute_url``)
    page_size: int
    organisation: Organisation
    security: Security
    mail: Mail
    invoicing: Invoicing
    stripe: Stripe
    banking: Banking
    expenses: Expenses
    grants: Grants
    receipts: Receipts
    public_forms: PublicForms
    paths: Paths
    backups: Backups
    datev: Datev
    retention: Retention
    reports: Reports
    #: The app's URL map (a werkzeug ``Map``), for absolute URLs to its endpoints.
    url_map: Any = field(default=None, compare=False, repr=False)

    @property
    def production(self) -> bool:
        return self.env == "production"


# --- building and checking ---------------------------------------------------------------------

def _integer(config: Mapping, key: str, minimum: int = 0) -> int:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SettingsError(f"{key} must be a whole number, not {value!r}.")
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{key} must be a whole number, not {value!r}.") from None
    if number < minimum:
        raise SettingsError(f"{key} must be at least {minimum}, not {number}.")
    return number


def _number(config: Mapping, key: str) -> float:
    value = config[key]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key} must be a number, not {value!r}.") from None
    if number < 0:
        raise SettingsError(f"{key} must not be negative, not {value!r}.")
    return number


def _amount(config: Mapping, key: str) -> Decimal:
    value = config[key]
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise SettingsError(f"{key} {value!r} is not an amount.") from None
    if not amount.is_finite() or amount < 0:
        raise SettingsError(f"{key} {value!r} is not an amount.")
    return amount


def _flag(config: Mapping, key: str) -> bool:
    value = config[key]
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", ""):
        return value.strip().lower() in ("true", "1")
    if not isinstance(value, (bool, int)):
        raise SettingsError(f"{key} must be true or false, not {value!r}.")
    return bool(value)


def _text(config: Mapping, key: str, *, required: bool = False) -> str | None:
    value = config.get(key)
    if value is None or value == "":
        if required:
            raise SettingsError(f"{key} must be set.")
        return None
    return str(value)


def _names(value: str | list[str] | tuple[str, ...], key: str) -> list[str]:
    """A list, or one string of names separated by commas (as an environment variable gives it)."""
    if not value:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise SettingsError(f"{key} must be a list, not {value!r}.")
    return [str(name).strip() for name in value if name and str(name).strip()]


def _seller(config: Mapping, defaults: Mapping, organisation: str) -> Seller:
    given = config.get("INVOICE_SELLER") or {}
    if not isinstance(given, Mapping):
        raise SettingsError(f"INVOICE_SELLER must be a mapping of the seller's details, not {given!r}.")
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise SettingsError(f"INVOICE_SELLER has unknown keys: {', '.join(unknown)} "
                            f"(known: {', '.join(defaults)}).")
    details = {**defaults, **given}
    details["name"] = details["name"] or organisation
    return Seller(**{key: str(value or "") for key, value in details.items()})


def _notice(config: Mapping) -> ExemptionNotice | None:
    given = config.get("RECEIPTS_NOTICE")
    if not given:
        return None
    if not isinstance(given, Mapping):
        raise SettingsError(f"RECEIPTS_NOTICE must be a mapping, not {given!r}.")
    purposes = given.get("purposes") or []
    purposes = [str(p).strip() for p in ([purposes] if isinstance(purposes, str) else purposes)
                if str(p).strip()]
    fault = notice_fault(kind=given.get("kind"), day=given.get("date"),
                         tax_office=given.get("tax_office"), tax_number=given.get("tax_number"),
                         period=given.get("period"), purposes=purposes,
                         today=clock.today(_timezone(config)))
    if fault is not None:
        given_value = given.get(fault.removesuffix("_in_future"))
        raise SettingsError(f"RECEIPTS_NOTICE: {_NOTICE_FAULTS[fault]} (given: {given_value!r}).")
    return ExemptionNotice(kind=given["kind"], tax_office=str(given["tax_office"]).strip(),
                           tax_number=str(given["tax_number"]).strip(),
                           date=notice_date(given["date"]),
                           period=str(given.get("period") or "").strip(),
                           purposes=tuple(purposes))


_NOTICE_FAULTS = {
    "kind": f"kind must be {ExemptionNotice.EXEMPTION!r} or {ExemptionNotice.SECTION_60A!r}",
    "date": "date must be the notice's date (YYYY-MM-DD)",
    "date_in_future": "date lies in the future",
    "tax_office": "tax_office, the tax office that issued the notice, is missing",
    "tax_number": "tax_number, the tax number on the notice, is missing",
    "period": "period, the assessment period an exemption notice is for, is missing",
    "purposes": "purposes, the tax-privileged purposes, are missing"}


def _receipts(config: Mapping) -> Receipts:
    style = str(config["RECEIPTS_STYLE"] or "none")
    if style not in ("de", "us", "none"):
        raise SettingsError(f"RECEIPTS_STYLE must be de, us or none, not {style!r}.")
    return Receipts(
        style=style, notice=_notice(config),
        machine_produced=_flag(config, "RECEIPTS_MACHINE_PRODUCED"),
        membership_fees_deductible=_flag(config, "RECEIPTS_MEMBERSHIP_FEES_DEDUCTIBLE"),
        simplified_proof_limit=_amount(config, "RECEIPTS_SIMPLIFIED_PROOF_LIMIT"),
        place=str(config["RECEIPTS_PLACE"] or ""), signatory=str(config["RECEIPTS_SIGNATORY"] or ""),
        number_prefix=str(config["RECEIPTS_NUMBER_PREFIX"] or ""),
        us_ein=str(config["RECEIPTS_US_EIN"] or ""),
        us_threshold=_amount(config, "RECEIPTS_US_THRESHOLD"))


def _timezone(config: Mapping) -> str:
    name = str(config.get("TIMEZONE") or "")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"TIMEZONE must be a time zone's name such as Europe/Berlin, not "
                            f"{name!r}.") from None
    return name


def build(config: Mapping, *, instance_path: str = "instance", url_map: Map | None = None) -> Settings:
    """The settings for ``config`` (every key of ``config.Defaults`` present); raises
    ``SettingsError`` naming the first value that cannot be used."""
    from ..config import Defaults

    month = _integer(config, "FISCAL_YEAR_START_MONTH", 1)
    if month > 12:
        raise SettingsError(f"FISCAL_YEAR_START_MONTH must be 1 to 12, not {month}.")
    currencies = tuple(_names(config["CURRENCIES"], "CURRENCIES"))
    if config["DEFAULT_CURRENCY"] not in currencies:
        raise SettingsError(f"DEFAULT_CURRENCY {config['DEFAULT_CURRENCY']!r} is not one of "
                            f"CURRENCIES ({', '.join(currencies)}).")
    locales = dict(config["LOCALES"])
    if config["DEFAULT_LOCALE"] not in locales:
        raise SettingsError(f"DEFAULT_LOCALE {config['DEFAULT_LOCALE']!r} is not one of LOCALES "
                            f"({', '.join(locales)}).")
    lifetime = config["PERMANENT_SESSION_LIFETIME"]
    if not isinstance(lifetime, timedelta):
        lifetime = timedelta(seconds=_integer(config, "PERMANENT_SESSION_LIFETIME", 1))
    argon2 = config["ARGON2_PARAMETERS"] or {}
    if not isinstance(argon2, Mapping):
        raise SettingsError(f"ARGON2_PARAMETERS must be a mapping, not {argon2!r}.")
    name = str(config["ORGANISATION_NAME"])
    base_url = _text(config, "BASE_URL", required=True)
    instance = str(instance_path)
    seconds = lambda key: timedelta(seconds=_number(config, key))  # noqa: E731
    return Settings(
        env=str(config["ENV"]),
        secret_key=str(config.get("SECRET_KEY") or ""),
        base_url=base_url,
        page_size=_integer(config, "PAGE_SIZE", 1),
        organisation=Organisation(
            name=name, default_currency=config["DEFAULT_CURRENCY"], currencies=currencies,
            default_locale=config["DEFAULT_LOCALE"], locales=locales,
            fiscal_year_start_month=month,
            timezone=_timezone(config)),
        security=Security(
            argon2_parameters=dict(argon2),
            password_min_length=_integer(config, "PASSWORD_MIN_LENGTH", 1),
            password_reset_hours=_integer(config, "PASSWORD_RESET_HOURS", 1),
            password_resets_per_address_per_hour=_integer(
                config, "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR"),
            password_resets_per_email_per_hour=_integer(config, "PASSWORD_RESETS_PER_EMAIL_PER_HOUR"),
            invitations_per_address_per_hour=_integer(config, "INVITATIONS_PER_ADDRESS_PER_HOUR"),
            invitations_per_recipient_per_hour=_integer(config,
                                                        "INVITATIONS_PER_RECIPIENT_PER_HOUR"),
            login_free_failures_per_email=_integer(config, "LOGIN_FREE_FAILURES_PER_EMAIL"),
            login_free_failures_per_address=_integer(config, "LOGIN_FREE_FAILURES_PER_ADDRESS"),
            login_first_delay=seconds("LOGIN_FIRST_DELAY_SECONDS"),
            login_longest_delay_per_email=seconds("LOGIN_LONGEST_DELAY_SECONDS_PER_EMAIL"),
            login_longest_delay_per_address=seconds("LOGIN_LONGEST_DELAY_SECONDS_PER_ADDRESS"),
            login_failure_memory=timedelta(minutes=_number(config, "LOGIN_FAILURE_MEMORY_MINUTES")),
            two_factor_required=_flag(config, "TWO_FACTOR_REQUIRED"),
            two_factor_remember_days=_integer(config, "TWO_FACTOR_REMEMBER_DAYS"),
            session_lifetime=lifetime,
            session_idle=timedelta(minutes=_number(config, "SESSION_IDLE_MINUTES"))),
        mail=Mail(
            server=_text(config, "MAIL_SERVER"), port=_integer(config, "MAIL_PORT", 1),
            use_tls=_flag(config, "MAIL_USE_TLS"), use_ssl=_flag(config, "MAIL_USE_SSL"),
            username=_text(config, "MAIL_USERNAME"), password=_text(config, "MAIL_PASSWORD"),
            sender=_text(config, "MAIL_FROM", required=True)),
        invoicing=Invoicing(
            seller=_seller(config, Defaults.INVOICE_SELLER, name),
            number_prefix=str(config["INVOICE_NUMBER_PREFIX"] or ""),
            payment_days=_integer(config, "INVOICE_PAYMENT_DAYS"),
            reminder_days=_integer(config, "INVOICE_REMINDER_DAYS", 1),
            check_en16931=_flag(config, "INVOICE_CHECK_EN16931")),
        stripe=Stripe(
            secret_key=_text(config, "STRIPE_SECRET_KEY"),
            webhook_secret=_text(config, "STRIPE_WEBHOOK_SECRET"),
            api_base=_text(config, "STRIPE_API_BASE") or Defaults.STRIPE_API_BASE,
            checkout_origin=_text(config, "STRIPE_CHECKOUT_ORIGIN", required=True)),
        banking=Banking(
            small_difference_limit=_amount(config, "BANK_SMALL_DIFFERENCE_LIMIT"),
            sepa_pain_version=_text(config, "SEPA_PAIN_VERSION", required=True),
            sepa_debtor_name=_text(config, "SEPA_DEBTOR_NAME") or name,
            sepa_debtor_iban=str(config.get("SEPA_DEBTOR_IBAN") or ""),
            sepa_debtor_bic=_text(config, "SEPA_DEBTOR_BIC"),
            payout_batch_limit=_amount(config, "BOARD_PAYOUT_BATCH_LIMIT")
            if str(config.get("BOARD_PAYOUT_BATCH_LIMIT") or "").strip() else None),
        expenses=Expenses(
            second_approval_above=_amount(config, "EXPENSE_SECOND_APPROVAL_ABOVE"),
            receipt_max_bytes=_integer(config, "RECEIPT_MAX_BYTES", 1),
            group_admin_fee_percent=_amount(config, "GROUP_ADMIN_FEE_PERCENT")),
        grants=Grants(
            max_file_bytes=_integer(config, "GRANTS_MAX_FILE_BYTES", 1),
            max_files=_integer(config, "GRANTS_MAX_FILES"),
            applications_per_address_per_hour=_integer(
                config, "GRANTS_APPLICATIONS_PER_ADDRESS_PER_HOUR"),
            applications_per_email_per_day=_integer(config, "GRANTS_APPLICATIONS_PER_EMAIL_PER_DAY"),
            links_per_email_per_hour=_integer(config, "GRANTS_LINKS_PER_EMAIL_PER_HOUR"),
            remind_days_before=_integer(config, "GRANTS_REMIND_DAYS_BEFORE"),
            remind_every_days=_integer(config, "GRANTS_REMIND_EVERY_DAYS", 1)),
        receipts=_receipts(config),
        public_forms=PublicForms(
            min_fill_seconds=_number(config, "PUBLIC_FORM_MIN_FILL_SECONDS"),
            join_applications_per_address_per_day=_integer(
                config, "JOIN_APPLICATIONS_PER_ADDRESS_PER_DAY"),
            join_applications_per_email_per_day=_integer(
                config, "JOIN_APPLICATIONS_PER_EMAIL_PER_DAY"),
            donations_per_address_per_hour=_integer(config, "DONATIONS_PER_ADDRESS_PER_HOUR"),
            donations_per_email_per_hour=_integer(config, "DONATIONS_PER_EMAIL_PER_HOUR")),
        paths=Paths(
            instance=instance,
            uploads=str(config.get("UPLOAD_FOLDER") or os.path.join(instance, "uploads")),
            backups=str(config.get("BACKUP_FOLDER") or os.path.join(instance, "backups"))),
        backups=Backups(keep=_integer(config, "BACKUP_KEEP", 1)),
        datev=_datev(config),
        retention=Retention(
            login_records_days=_integer(config, "RETENTION_LOGIN_RECORDS_DAYS", 1),
            sent_mail_days=_integer(config, "RETENTION_SENT_MAIL_DAYS", 1),
            declined_applications_months=_integer(config, "RETENTION_DECLINED_APPLICATIONS_MONTHS", 1),
            donors_without_gifts_years=_integer(config, "RETENTION_DONORS_WITHOUT_GIFTS_YEARS", 1)),
        reports=Reports(taxable_receipts_limit=_integer(config, "REPORTS_TAXABLE_RECEIPTS_LIMIT"),
                        warn_at_percent=_integer(config, "REPORTS_WARN_AT_PERCENT", 1),
                        deducts_input_vat=_flag(config, "REPORTS_DEDUCTS_INPUT_VAT")),
        url_map=url_map,
    )


def _datev(config: Mapping) -> Datev:
    datev = Datev(adviser_number=_integer(config, "DATEV_ADVISER_NUMBER", 1001),
                  client_number=_integer(config, "DATEV_CLIENT_NUMBER", 1),
                  account_length=_integer(config, "DATEV_ACCOUNT_LENGTH", 4),
                  chart=str(config["DATEV_CHART"] or ""))
    if datev.adviser_number > 9_999_999:
        raise SettingsError("DATEV_ADVISER_NUMBER must be at most 9999999.")
    if datev.client_number > 99_999:
        raise SettingsError("DATEV_CLIENT_NUMBER must be at most 99999.")
    if datev.account_length > 8:
        raise SettingsError("DATEV_ACCOUNT_LENGTH must be 4 to 8 digits.")
    if not (datev.chart.isdigit() and len(datev.chart) in (2, 4)) and datev.chart:
        raise SettingsError("DATEV_CHART must be the chart's number, such as 49 or 42.")
    return datev


#: The seller's details a document cannot go out without.
REQUIRED_SELLER = {"name": "name", "street": "street", "postcode": "postcode", "city": "city",
                   "country": "country", "iban": "IBAN", "email": "e-mail address"}
#: The demo details that production must have replaced (compared without spaces, upper case).
DEMO_SELLER_KEYS = ("street", "tax_number", "vat_id", "register", "board", "email", "website",
                    "iban", "bic")


def _compact(value: object) -> str:
    return "".join(str(value or "").split()).upper()


def _loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def setup_problems(settings: Settings) -> list[str]:
    """What is missing before the association may issue documents (invoices, receipts, payout
    files), each a sentence naming where to set it. Outside production the demo details count as
    set; in production the demo seller, the demo IBANs and a loopback base URL do not."""
    from ..config import Defaults

    seller = settings.invoicing.seller
    problems = [f"The association's {label} is not set (Settings → Association)."
                for key, label in REQUIRED_SELLER.items()
                if key != "iban" and not getattr(seller, key).strip()]
    if not seller.iban.strip():
        problems.append("The bank account printed on invoices is not set (Settings → Bank "
                        "accounts).")
    if not settings.banking.sepa_debtor_iban.strip():
        problems.append("The bank account that pays out is not set (Settings → Bank accounts).")
    if settings.production:
        demo = [key for key in DEMO_SELLER_KEYS
                if getattr(seller, key) and _compact(getattr(seller, key))
                == _compact(Defaults.INVOICE_SELLER[key])]
        if demo:
            problems.append(f"The association's details still have the demo {', '.join(demo)} "
                            "(Settings → Association, Bank accounts).")
        if _compact(settings.banking.sepa_debtor_iban) == Defaults.SEPA_DEBTOR_IBAN:
            problems.append("The account that pays out is still the demo account (Settings → "
                            "Bank accounts).")
        if _loopback(settings.base_url):
            problems.append(f"The public address is {settings.base_url}, which nobody else can "
                            "open (Settings → Documents and links).")
    return problems


def refuse_unless_set_up(settings: Settings, what: str = "a document") -> None:
    """Raise ``SetupIncomplete`` naming the first thing missing before ``what`` may be issued."""
    problems = setup_problems(settings)
    if problems:
        raise SetupIncomplete(f"The association is not set up yet, so {what} cannot be issued: "
                              f"{problems[0]}" + (f" ({len(problems) - 1} more on the start page.)"
                                                  if len(problems) > 1 else ""))


def defaults(**overrides: object) -> Settings:
    """The settings from the defaults alone (with ``overrides`` by config key): for code and
    tests that run without an app."""
    from ..config import Defaults

    config = {key: getattr(Defaults, key) for key in dir(Defaults) if key.isupper()}
    return build({**config, **overrides})
