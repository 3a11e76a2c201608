"""Settings an admin edits in the browser, stored in the database over the configuration.

Each stored row is one configuration key (``ORGANISATION_NAME``, ``SEPA_DEBTOR_IBAN``) or one
detail of a mapping: the seller's (``INVOICE_SELLER.street``) or the tax-exemption notice's that
German donation receipts print (``RECEIPTS_NOTICE.tax_number``). :func:`overlay` merges the stored values
over the configuration before ``settings.build``, so everything below the edge keeps receiving
one frozen ``Settings``; the edge (``extensions.settings_of``) builds it again whenever the
stored rows change (:func:`load` reads them once per app context, in every process).

Only the keys in :data:`FIELDS` can be stored; :func:`save` refuses a value the settings could
not be built with (the same checks as a configured value), writes the changed rows and records
each change in the audit log, all in the caller's unit of work. Issued documents are not
affected: each keeps its own copy of what it printed (an invoice's ``seller``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..config import Defaults
from ..extensions import db
from . import audit
from .db import UTCDateTime, utcnow
from .errors import ValidationError
from .i18n import _, _l, source
from .iban import normalise_iban
from .settings import SettingsError, build, notice_fault

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from .actors import Actor

SELLER = "INVOICE_SELLER."
NOTICE = "RECEIPTS_NOTICE."
#: Configuration mappings stored one detail per row: the row key's prefix → the mapping's key.
MAPPINGS = {SELLER: "INVOICE_SELLER", NOTICE: "RECEIPTS_NOTICE"}


class StoredSetting(db.Model):
    """One setting changed in the browser; its value is JSON (a string, a number)."""

    __tablename__ = "stored_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


@dataclass(frozen=True)
class Field:
    key: str
    section: str
    label: str
    kind: str = "text"  # text | number | amount | month | locale | url | iban | textarea | date
    #                      | lines (a list, one item per line) | choice (one of ``choices``)
    help: str = ""
    choices: tuple[tuple[str, Any], ...] = ()


SECTIONS = {
    "association": _l("Association"),
    "bank": _l("Bank accounts"),
    "documents": _l("Documents and links"),
    "receipts": _l("Tax-exemption notice (donation receipts)"),
    "policies": _l("Fees and thresholds"),
}

FIELDS: tuple[Field, ...] = (
    Field("ORGANISATION_NAME", "association", _l("Name of the association")),
    Field(SELLER + "street", "association", _l("Street and number")),
    Field(SELLER + "postcode", "association", _l("Postcode")),
    Field(SELLER + "city", "association", _l("City")),
    Field(SELLER + "country", "association", _l("Country (two letters)"), help=_l("DE, AT, CH …")),
    Field(SELLER + "register", "association", _l("Register of associations"),
          help=_l("Court and number, e.g. Amtsgericht Berlin-Charlottenburg, VR 12345 B")),
    Field(SELLER + "board", "association", _l("Board (authorised representatives)")),
    Field(SELLER + "tax_number", "association", _l("Tax number")),
    Field(SELLER + "vat_id", "association", _l("VAT ID"), help=_l("Leave empty if the association has none.")),
    Field(SELLER + "email", "association", _l("E-mail printed on documents")),
    Field(SELLER + "website", "association", _l("Website")),
    Field(SELLER + "bank_name", "bank", _l("Bank printed on invoices")),
    Field(SELLER + "iban", "bank", _l("IBAN printed on invoices"), "iban"),
    Field(SELLER + "bic", "bank", _l("BIC printed on invoices")),
    Field("SEPA_DEBTOR_NAME", "bank", _l("Account holder that pays out"),
          help=_l("Empty: the name of the association.")),
    Field("SEPA_DEBTOR_IBAN", "bank", _l("IBAN that pays out (SEPA payout files)"), "iban"),
    Field("SEPA_DEBTOR_BIC", "bank", _l("BIC that pays out"), help=_l("Empty: derived from the IBAN.")),
    Field("BASE_URL", "documents", _l("Public address of the app"), "url",
          help=_l("Every link in mails, PDFs and pay links starts with it.")),
    Field("DEFAULT_LOCALE", "documents", _l("Default language"), "locale"),
    Field("TIMEZONE", "documents", _l("Time zone"),
          help=_l("Where times are shown and days are dated, e.g. Europe/Berlin.")),
    Field("FISCAL_YEAR_START_MONTH", "documents", _l("Fiscal year starts in month"), "month"),
    Field("INVOICE_NUMBER_PREFIX", "documents", _l("Invoice number prefix"),
          help=_l("Put before the year and number: PCA- gives PCA-2026-00042.")),
    Field("INVOICE_PAYMENT_DAYS", "documents", _l("Payment term of invoices (days)"), "number"),
    Field("GROUP_ADMIN_FEE_PERCENT", "policies", _l("Admin fee of a newly approved group (%%)"),
          "amount"),
    Field("EXPENSE_SECOND_APPROVAL_ABOVE", "policies",
          _l("Expense claims above this amount need a second approver"), "amount"),
    Field("BANK_SMALL_DIFFERENCE_LIMIT", "policies",
          _l("Small bank differences one treasurer may write off (up to)"), "amount"),
    Field("BOARD_PAYOUT_BATCH_LIMIT", "policies",
          _l("Payout batches above this amount need a board resolution"), "amount",
          help=_l("Empty: no limit. The limit in force when a batch is created stays with it.")),
    Field(NOTICE + "kind", "receipts", _l("Kind of notice"), "choice",
          choices=(("", _l("— no notice —")),
                   ("exemption", _l("Exemption notice (Freistellungsbescheid): receipts for 5 years")),
                   ("60a", _l("§ 60a AO notice, not yet followed by one: receipts for 3 years")))),
    Field(NOTICE + "date", "receipts", _l("Date of the notice"), "date"),
    Field(NOTICE + "tax_office", "receipts", _l("Tax office"),
          help=_l("e.g. Finanzamt für Körperschaften I Berlin")),
    Field(NOTICE + "tax_number", "receipts", _l("Tax number on the notice")),
    Field(NOTICE + "period", "receipts", _l("Assessment period"),
          help=_l("The years an exemption notice is for, e.g. 2021 bis 2023.")),
    Field(NOTICE + "purposes", "receipts", _l("Tax-privileged purposes"), "lines",
          help=_l("One per line, as the receipt continues \"… wegen Förderung\": "
                  "der Bildung (§ 52 Abs. 2 Satz 1 Nr. 7 AO)")),
)
#: The logo's SHA-256 (``core.logo``): stored and audited like the fields, set by its own upload.
LOGO = Field(SELLER + "logo", "association", "Logo", "logo")
BY_KEY = {field.key: field for field in (*FIELDS, LOGO)}


def _prefix(key: str) -> str | None:
    return next((prefix for prefix in MAPPINGS if key.startswith(prefix)), None)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not any(
        str(item).strip() for item in ([value] if isinstance(value, str) else value)))


def overlay(config: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with the stored values over it (a mapping's details merged one by one; a
    notice whose every detail is blank is no notice)."""
    merged = dict(config)
    mappings = {prefix: dict(config.get(name) or {}) for prefix, name in MAPPINGS.items()}
    for key, value in stored.items():
        if prefix := _prefix(key):
            mappings[prefix][key.removeprefix(prefix)] = value
        elif key in BY_KEY:
            merged[key] = value
    for prefix, name in MAPPINGS.items():
        merged[name] = mappings[prefix]
    if all(_blank(value) for value in mappings[NOTICE].values()):
        merged["RECEIPTS_NOTICE"] = {}
    return merged


def value_in(config: Mapping[str, Any], key: str) -> Any:
    """The value ``key`` has in a configuration (a mapping's detail, or a key)."""
    if key.startswith(SELLER):
        seller = {**Defaults.INVOICE_SELLER, **(config.get("INVOICE_SELLER") or {})}
        return seller.get(key.removeprefix(SELLER))
    if key.startswith(NOTICE):
        value = (config.get("RECEIPTS_NOTICE") or {}).get(key.removeprefix(NOTICE))
        return value.isoformat() if isinstance(value, date) else value
    return config.get(key)


def load(engine: Engine) -> dict[str, Any] | None:
    """The stored settings, read on a connection of their own (nothing stored yet: an empty
    mapping; no table before the first migration: None)."""
    try:
        with engine.connect() as connection:
            return read(connection)
    except DBAPIError:
        return None


#: Every request reads them (issue 17): the table's columns, not the model's, so that the
#: statement skips the ORM's compilation and loading (~0.1 ms a request).
_READ = select(StoredSetting.__table__.c.key, StoredSetting.__table__.c.value)


def read(session: Session | Connection) -> dict[str, Any]:
    """The stored settings, read in the transaction ``session`` has (the table must exist)."""
    rows = session.execute(_READ).all()
    return {key: value for key, value in rows if key in BY_KEY}


def stored(session: Session) -> dict[str, StoredSetting]:
    return {row.key: row for row in session.scalars(select(StoredSetting))}


def _clean(field: Field, value: Any) -> Any:
    """A value as stored: text stripped, IBANs compact and checked."""
    if field.kind == "lines":
        items = value.splitlines() if isinstance(value, str) else list(value or [])
        return [str(item).strip() for item in items if str(item).strip()]
    if value is None:
        return ""
    if isinstance(value, date):
        value = value.isoformat()
    if isinstance(value, str):
        value = value.strip()
    if field.kind == "choice" and value not in {key for key, _label in field.choices}:
        raise ValidationError(_("Choose one of the options."), field=field.key)
    if field.kind == "date" and value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("Give a date (YYYY-MM-DD)."), field=field.key) from None
    if field.kind == "iban" and value:
        try:
            value, _kind = normalise_iban(str(value))
        except ValidationError as error:
            raise ValidationError(error.message, field=field.key) from None
    if field.kind == "url" and value:
        value = str(value).rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValidationError(_("The address must start with https://."), field=field.key)
    if field.key == SELLER + "country":
        value = str(value).upper()
        if len(value) != 2 or not value.isalpha():
            raise ValidationError(_("The country is two letters (DE, AT, CH …)."), field=field.key)
    return value


def _same(field: Field, before: Any, after: Any) -> bool:
    """Whether a value sent is the one in force (500 and "500.00" are one amount; "" is None)."""
    if _blank(before) and _blank(after):
        return True
    if field.kind == "lines":
        return list(before or []) == list(after or [])
    if field.kind in ("amount", "number", "month"):
        try:
            return Decimal(str(before)) == Decimal(str(after))
        except (InvalidOperation, ValueError):
            return False
    return before == after


def check_notice(notice: Mapping[str, Any], today: date | None = None) -> None:
    """Refuse an incomplete tax-exemption notice, saying on which field what is missing (no
    notice at all is allowed: then German receipts are refused until there is one). The rules
    are ``core.settings.notice_fault``'s."""
    if not notice:
        return
    fault = notice_fault(kind=notice.get("kind"), day=notice.get("date"),
                         tax_office=notice.get("tax_office"), tax_number=notice.get("tax_number"),
                         period=notice.get("period"), purposes=notice.get("purposes"), today=today)
    if fault is not None:
        raise ValidationError(str(NOTICE_REFUSALS[fault]),
                              field=NOTICE + fault.removesuffix("_in_future"))


#: What ``notice_fault``'s answers mean to whoever typed the notice (the register's form too).
NOTICE_REFUSALS = {
    "kind": _l("Choose the kind of notice."),
    "date": _l("Give the notice's date."),
    "date_in_future": _l("The notice's date lies in the future."),
    "tax_office": _l("Name the tax office that issued the notice."),
    "tax_number": _l("Give the tax number on the notice."),
    "period": _l("An exemption notice is for an assessment period (e.g. 2021 bis 2023), which "
                 "the receipt names."),
    "purposes": _l("Name at least one tax-privileged purpose.")}


def save(session: Session, config: Mapping[str, Any], changes: Mapping[str, Any], *,
         actor: Actor | None, instance_path: str = "instance") -> dict[str, tuple[Any, Any]]:
    """Store ``changes`` (key: value) over ``config``; returns {key: (before, after)} of what
    changed. Refuses an unknown key or a value the settings cannot be built with; each change is
    in the audit log."""
    rows = stored(session)
    current = overlay(config, {key: row.value for key, row in rows.items()})
    cleaned: dict[str, Any] = {}
    for key, value in changes.items():
        field = BY_KEY.get(key)
        if field is None:
            raise ValidationError(_("%(key)s cannot be changed here.", key=key))
        cleaned[key] = _clean(field, value)
    changed = {key: (value_in(current, key), value) for key, value in cleaned.items()
               if not _same(BY_KEY[key], value_in(current, key), value)}
    if not changed:
        return {}
    check_notice(value_in(overlay(current, {key: after for key, (_, after) in changed.items()}),
                          "RECEIPTS_NOTICE"))
    try:
        build(overlay(current, {key: after for key, (_, after) in changed.items()}),
              instance_path=instance_path)
    except SettingsError as error:
        key = next((key for key in changed if key.split(".")[0] in str(error)), None)
        raise ValidationError(str(error), field=key) from None
    now = utcnow()
    for key, (_before, after) in changed.items():
        row = rows.get(key)
        if row is None:
            session.add(StoredSetting(key=key, value=after, changed_at=now,
                                      changed_by_id=getattr(actor, "id", None)))
        else:
            row.value, row.changed_at, row.changed_by_id = after, now, getattr(actor, "id", None)
    audit.record(session, actor, "settings.change", "settings", None,
                 summary="Changed " + ", ".join(source(BY_KEY[key].label) for key in changed),
                 before={key: before for key, (before, _) in changed.items()},
                 after={key: after for key, (_, after) in changed.items()})
    return changed
