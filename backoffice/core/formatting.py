"""Display formatting: money with Babel in the user's locale, dates in ISO 8601."""
from __future__ import annotations

from datetime import date, datetime

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import current_app, g, has_request_context
from flask_login import current_user
from markupsafe import Markup, escape

from .money import Money


def current_locale() -> str:
    """The user's locale (or the configured default), looked up once per request."""
    if has_request_context() and "locale" in g:
        return g.locale
    locale = getattr(current_user, "locale", None) if current_user else None
    locale = locale or current_app.config["DEFAULT_LOCALE"]
    if has_request_context():
        g.locale = locale
    return locale


def format_money(amount: int | None, currency: str, locale: str | None = None) -> str:
    if amount is None:
        return ""
    return Money(int(amount), currency).format(locale or current_locale())


def money_html(amount: int | None, currency: str, *, blank_zero: bool = False) -> Markup:
    """A right-aligned, tabular-figures span; negative amounts marked for styling."""
    if amount is None or (blank_zero and amount == 0):
        return Markup("")
    css = "money negative" if amount < 0 else "money"
    return Markup(f'<span class="{css}">{escape(format_money(amount, currency))}</span>')


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def number_symbols(locale: str | None = None) -> dict[str, str]:
    """Decimal and grouping symbols, for scripts that read what a person types."""
    locale = locale or current_locale()
    return {"decimal": get_decimal_symbol(locale), "group": get_group_symbol(locale)}
