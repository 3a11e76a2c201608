"""The board's moments and days as a language writes them. Meetings and deadlines are kept in
UTC, typed and read in the association's time zone (``TIMEZONE``, e.g. Europe/Berlin), which
every moment names (18:00 MEZ): the invitation, the minutes and the page say the same time; the
words (weekday, month) and the order are the reader's language's. No Flask here: the pages pass
the request's locale, e-mails the recipient's, documents theirs."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from ..core import catalogs, clock
from ..core.i18n import source
from . import rules

#: Per language (the locale's first part; "" for any other): how each form is written.
PATTERNS = {
    "de": {"short": "dd.MM.yyyy HH:mm z", "medium": "d. MMMM yyyy, HH:mm z",
           "long": "EEEE, d. MMMM yyyy, HH:mm z", "day": "d. MMMM yyyy"},
    "": {"short": "yyyy-MM-dd HH:mm z", "medium": "dd MMMM yyyy, HH:mm z",
         "long": "EEEE dd MMMM yyyy, HH:mm z", "day": "dd MMMM yyyy"},
}


def moment(value: datetime | date | None, locale: str, form: str = "short",
           zone: str = "UTC") -> str:
    """``value`` written in ``locale``'s way in the time zone ``zone``: ``short`` (2026-07-01
    18:00 CEST), ``medium`` (01 July 2026, 18:00 CEST), ``long`` (with the weekday) or ``day``
    (01 July 2026, the day in ``zone``)."""
    if value is None:
        return ""
    patterns = PATTERNS.get(locale.split("_")[0], PATTERNS[""])
    if not isinstance(value, datetime):
        return format_date(value, patterns["day"], locale=locale)
    moment_utc = value if value.tzinfo else value.replace(tzinfo=UTC)
    if form == "day":
        return format_date(clock.day_of(moment_utc, zone), patterns["day"], locale=locale)
    return format_datetime(moment_utc, patterns[form], tzinfo=ZoneInfo(zone), locale=locale)


def typed(day: date, at: time, zone: str) -> datetime:
    """The moment a person means by ``day`` and ``at`` on the association's clock, in UTC (as
    it is kept). A time the clock skips when summer time begins is read as the hour after."""
    local = datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


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


def written(locale: str, zone: str = "UTC") -> dict:
    """What a document needs to write in ``locale`` beside its marked text (which its template
    translates itself): moments, labels, stored reasons and bases, a resolution's result."""
    say = translator(locale)
    translations = catalogs.translations(locale)
    return {"locale": locale,
            "when": lambda value, form="short": moment(value, locale, form, zone),
            "label": lambda member: say(source(member.label)),
            "reason": lambda stored: rules.shown(stored, say),
            "basis": lambda stored: say(source(rules.BASIS_NAMES[rules.Basis(stored)]))
            if stored in set(rules.Basis) else (stored or ""),
            "result": lambda resolution: resolution.status.label_in(translations)}
