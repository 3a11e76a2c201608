"""Settings an admin edits in the browser, stored in the database over the configuration.

Each stored row is one configuration key (``ORGANISATION_NAME``, ``SEPA_DEBTOR_IBAN``) or one
of the seller's details (``INVOICE_SELLER.street``). :func:`overlay` merges the stored values
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
from datetime import datetime
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
from .settings import SettingsError, build

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from .actors import Actor

SELLER = "INVOICE_SELLER."


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
    kind: str = "text"  # text | number | amount | month | locale | url | iban | textarea
    help: str = ""


SECTIONS = {
    "association": _l("Association"),
    "bank": _l("Bank accounts"),
    "documents": _l("Documents and links"),
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
    Field("TAX_EXEMPTION_NOTICE", "association", _l("Tax-exemption notice"), "textarea",
          help=_l("The notice of exemption (Freistellungsbescheid) as printed on donation receipts.")),
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
          help=_l("Where times are shown, e.g. Europe/Berlin.")),
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
)
#: The logo's SHA-256 (``core.logo``): stored and audited like the fields, set by its own upload.
LOGO = Field(SELLER + "logo", "association", "Logo", "logo")
BY_KEY = {field.key: field for field in (*FIELDS, LOGO)}


def overlay(config: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with the stored values over it (the seller's details merged one by one)."""
    merged = dict(config)
    seller = dict(config.get("INVOICE_SELLER") or {})
    for key, value in stored.items():
        if key.startswith(SELLER):
            seller[key.removeprefix(SELLER)] = value
        elif key in BY_KEY:
            merged[key] = value
    merged["INVOICE_SELLER"] = seller
    return merged


def value_in(config: Mapping[str, Any], key: str) -> Any:
    """The value ``key`` has in a configuration (a seller's detail, or a key)."""
    if key.startswith(SELLER):
        seller = {**Defaults.INVOICE_SELLER, **(config.get("INVOICE_SELLER") or {})}
        return seller.get(key.removeprefix(SELLER))
    return config.get(key)


def load(engine: Engine) -> dict[str, Any]:
    """The stored settings, read on a connection of their own (nothing stored yet, or no table
    before the first migration: an empty mapping)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(StoredSetting.key, StoredSetting.value)).all()
    except DBAPIError:
        return {}
    return {key: value for key, value in rows if key in BY_KEY}


def stored(session: Session) -> dict[str, StoredSetting]:
    return {row.key: row for row in session.scalars(select(StoredSetting))}


def _clean(field: Field, value: Any) -> Any:
    """A value as stored: text stripped, IBANs compact and checked."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
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
    if before in (None, "") and after in (None, ""):
        return True
    if field.kind in ("amount", "number", "month"):
        try:
            return Decimal(str(before)) == Decimal(str(after))
        except (InvalidOperation, ValueError):
            return False
    return before == after


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
