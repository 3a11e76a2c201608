"""Invoice settings (``core.settings.Invoicing``; their defaults are in ``config.Defaults``)."""
from __future__ import annotations

from ..extensions import settings


def seller() -> dict:
    return settings().invoicing.seller.as_dict()


def number_prefix() -> str:
    return settings().invoicing.number_prefix


def payment_days() -> int:
    return settings().invoicing.payment_days


def reminder_grace_days() -> int:
    """Days between reminders (and after the due date before the first one)."""
    return settings().invoicing.reminder_days
