"""Display formatting: money with Babel in a given locale, dates in ISO 8601 (the request's
locale is ``core.forms.current_locale``; the template filters pass it)."""
from __future__ import annotations

from datetime import date, datetime

from babel.numbers import get_decimal_symbol, get_group_symbol
from markupsafe import Markup, escape

from .money import formatter


def format_money(amount: int | None, currency: str, locale: str) -> str:
    if amount is None:
        return ""
    return formatter(currency, locale)(int(amount))


def money_html(amount: int | None, currency: str, locale: str, *,
               blank_zero: bool = False) -> Markup:
    """A right-aligned, tabular-figures span; negative amounts marked for styling."""
    if amount is None or (blank_zero and amount == 0):
        return Markup("")
    css = "money negative" if amount < 0 else "money"
    return Markup(f'<span class="{css}">{escape(format_money(amount, currency, locale))}</span>')


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def number_symbols(locale: str) -> dict[str, str]:
    """Decimal and grouping symbols, for scripts that read what a person types."""
    return {"decimal": get_decimal_symbol(locale), "group": get_group_symbol(locale)}
