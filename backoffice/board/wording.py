"""The board's moments and days as a language writes them. Meetings and deadlines are typed and
kept in UTC and read in UTC (the invitation, the minutes and the page say the same time); the
words (weekday, month) and the order are the reader's language's. No Flask here: the pages pass
the request's locale, e-mails the recipient's, documents theirs."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date, format_datetime

from ..core import catalogs
from ..core.i18n import source
from . import rules

#: Per language (the locale's first part; "" for any other): how each form is written.
PATTERNS = {
    "de": {"short": "dd.MM.yyyy HH:mm 'UTC'", "medium": "d. MMMM yyyy, HH:mm 'UTC'",
           "long": "EEEE, d. MMMM yyyy, HH:mm 'UTC'", "day": "d. MMMM yyyy"},
    "": {"short": "yyyy-MM-dd HH:mm 'UTC'", "medium": "dd MMMM yyyy, HH:mm 'UTC'",
         "long": "EEEE dd MMMM yyyy, HH:mm 'UTC'", "day": "dd MMMM yyyy"},
}


def moment(value: datetime | date | None, locale: str, form: str = "short") -> str:
    """``value`` written in ``locale``'s way: ``short`` (2026-07-01 18:00 UTC), ``medium``
    (01 July 2026, 18:00 UTC), ``long`` (with the weekday) or ``day`` (01 July 2026)."""
    if value is None:
        return ""
    patterns = PATTERNS.get(locale.split("_")[0], PATTERNS[""])
    if form == "day" or not isinstance(value, datetime):
        return format_date(value if not isinstance(value, datetime) else value.date(),
                           patterns["day"], locale=locale)
    moment_utc = value if value.tzinfo else value.replace(tzinfo=UTC)
    return format_datetime(moment_utc, patterns[form], tzinfo=UTC, locale=locale)


def translator(locale: str) -> Callable[..., str]:
    """``gettext`` in ``locale``, whatever the request's language (for e-mails and documents,
    which are written in their reader's language), with named values as ``core.i18n``'s."""
    translations = catalogs.translations(locale)

    def say(message: str, **values: Any) -> str:
        text = translations.gettext(message)
        return text % values if values or "%%" in text else text
    return say


def label(member: Any, locale: str) -> str:
    """An enum member's label (a marked text) in ``locale``."""
    return translator(locale)(source(member.label))


def written(locale: str) -> dict:
    """What a document needs to write in ``locale`` beside its marked text (which its template
    translates itself): moments, labels, stored reasons and bases, a resolution's result."""
    say = translator(locale)
    translations = catalogs.translations(locale)
    return {"locale": locale,
            "when": lambda value, form="short": moment(value, locale, form),
            "label": lambda member: say(source(member.label)),
            "reason": lambda stored: rules.shown(stored, say),
            "basis": lambda stored: say(source(rules.BASIS_NAMES[rules.Basis(stored)]))
            if stored in set(rules.Basis) else (stored or ""),
            "result": lambda resolution: resolution.status.label_in(translations)}
