"""Invoice settings, read from the app config with sensible defaults.

``INVOICE_SELLER`` (a dict) overrides any of the seller's details printed on every invoice;
``INVOICE_NUMBER_PREFIX`` is put before ``<year>-<number>`` (default: none, ``2026-00042``);
``INVOICE_PAYMENT_DAYS`` is the default payment term.
"""
from __future__ import annotations

from flask import current_app

SELLER_DEFAULTS = {
    "name": None,  # ORGANISATION_NAME
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
}

#: The demo details a production configuration must have replaced (``config.check``).
DEMO_SELLER_KEYS = ("street", "tax_number", "vat_id", "register", "board", "email", "website",
                    "iban", "bic")


def seller() -> dict:
    config = current_app.config
    details = {**SELLER_DEFAULTS, **(config.get("INVOICE_SELLER") or {})}
    details["name"] = details["name"] or config["ORGANISATION_NAME"]
    return details


def number_prefix() -> str:
    return current_app.config.get("INVOICE_NUMBER_PREFIX", "")


def payment_days() -> int:
    return int(current_app.config.get("INVOICE_PAYMENT_DAYS", 30))


def reminder_grace_days() -> int:
    """Days between reminders (and after the due date before the first one)."""
    return int(current_app.config.get("INVOICE_REMINDER_DAYS", 14))
