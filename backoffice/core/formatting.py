"""Display formatting: money with Babel in a given locale, dates in ISO 8601 (the request's
locale is ``core.forms.current_locale``; the template filters pass it)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache

from babel.numbers import get_decimal_symbol, get_group_symbol
from markupsafe import Markup, escape

from .money import formatter


def format_money(amount: int | None, currency: str, locale: str) -> str:
    if amount is None:
        return ""
    return formatter(currency, locale)(int(amount))


def money_spans(currency: str, locale: str) -> Callable[[int, bool], str]:
    """``money_html``'s writer for one currency and locale as a plain function of (minor units,
    negative): for helpers writing many amounts at once (the journal's rows)."""
    return _html_formatter(currency, locale)


def money_html(amount: int | None, currency: str, locale: str, *,
               blank_zero: bool = False) -> Markup:
    """A right-aligned, tabular-figures span; negative amounts marked for styling."""
    if amount is None or (blank_zero and amount == 0):
        return Markup("")
    return Markup(_html_formatter(currency, locale)(int(amount), amount < 0))


@cache
def _html_formatter(currency: str, locale: str) -> Callable[[int, bool], str]:
    """``money_html``'s span of minor units for this currency and locale. The text is escaped
    only where the locale's symbols may need it (issue 17: a page shows up to a few hundred
    amounts; Swiss grouping writes an apostrophe, which is escaped)."""
    plain = formatter(currency, locale)
    symbols = getattr(plain, "symbols", None)  # None: Babel's own path, which may write any
    safe = symbols is not None and str(escape(symbols)) == symbols
    text = plain if safe else lambda minor: escape(plain(minor))

    def html(minor: int, negative: bool) -> str:
        css = "money negative" if negative else "money"
        return f'<span class="{css}">{text(minor)}</span>'
    return html


_DAYS: dict[str, Callable[[date], str]] = {
    "de": lambda day: f"{day.day:02d}.{day.month:02d}.{day.year:04d}", "": date.isoformat}


def day_writer(locale: str) -> Callable[[date], str]:
    """How a day is written in ``locale`` (the ``date`` filter's days): German 31.12.2026, else
    ISO 8601."""
    return _DAYS.get(locale.split("_")[0], _DAYS[""])


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def number_symbols(locale: str) -> dict[str, str]:
    """Decimal and grouping symbols, for scripts that read what a person types."""
    return {"decimal": get_decimal_symbol(locale), "group": get_group_symbol(locale)}
