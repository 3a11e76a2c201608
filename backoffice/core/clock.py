"""Today, on the association's clock.

Times are stored in UTC; a *day* — a booking date, an invoice's or a receipt's issue date, a
report's "as of today", whether a payment is due — is the day it is where the association is
(``TIMEZONE``, e.g. Europe/Berlin), not where the server is. A server on UTC would book what a
treasurer enters in Berlin at 00:30 on 1 January in the year before, and number an invoice
issued then in the old year's series.

No Flask here: the app installs the function that names the zone of the moment (its settings,
which may change while it runs: :func:`install`); without it (a test of a service outside an
app) the zone is the default ``TIMEZONE``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ..config import Defaults

DEFAULT_ZONE = Defaults.TIMEZONE
_zone_name: Callable[[], str] = lambda: DEFAULT_ZONE  # noqa: E731


def install(zone_name: Callable[[], str]) -> None:
    """Use ``zone_name()`` as the association's time zone (an IANA name) from now on."""
    global _zone_name
    _zone_name = zone_name


def now() -> datetime:
    """The moment, in UTC (the one place the clock is read; a test may set it)."""
    return datetime.now(UTC)


def today(zone: str | None = None) -> date:
    """The association's date now (in ``zone`` when given: the settings being built name it)."""
    return day_of(now(), zone)


def day_of(moment: datetime, zone: str | None = None) -> date:
    """The association's date at ``moment`` (aware; e.g. a payment's UTC time)."""
    return moment.astimezone(ZoneInfo(zone or _zone_name())).date()


def day_of_timestamp(seconds: int | None) -> date:
    """The association's date at a Unix time (Stripe's ``created``); today without one."""
    return today() if not seconds else day_of(datetime.fromtimestamp(seconds, UTC))
