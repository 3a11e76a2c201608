"""The tax-exemption notice a German receipt rests on, and whether it still allows a receipt.

§ 63 Abs. 5 AO: a receipt may be issued only while the exemption notice (Freistellungsbescheid,
or the annex to the corporation tax assessment) is at most five years old, or, before the first
such notice, the § 60a AO notice (Feststellung der satzungsmäßigen Voraussetzungen) is at most
three years old. The age is counted to the day from the notice's date to the receipt's date: the
last allowed day is the anniversary (a notice of 29 February: the 28th, § 188 Abs. 3 BGB).

Where the notice comes from is one function, ``exemption_notice``: the latest notice the board's
document register keeps (``board.documents.exemption_notice``, answering the
``exemption_notices`` signal) when there is one, else the configured one (``RECEIPTS_NOTICE``).
The register wins even when its notice is too old: it is the association's record of the newest
notice, and a receipt refused for its age says so (enter the newer notice there).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ...core import clock
from ...core.errors import DomainError
from ...core.i18n import _, _l
from ...core.settings import ExemptionNotice, Settings
from ...core.signals import answers, exemption_notices

#: Years a notice allows receipts for, by kind.
VALID_YEARS = {ExemptionNotice.EXEMPTION: 5, ExemptionNotice.SECTION_60A: 3}
NAMES = {ExemptionNotice.EXEMPTION: _l("exemption notice (Freistellungsbescheid)"),
         ExemptionNotice.SECTION_60A: _l("§ 60a AO notice (Feststellungsbescheid)")}


class ReceiptRefused(DomainError):
    """A receipt that may not be issued (the notice is missing or too old, the donor's address is
    missing, ...); the message says why."""


def exemption_notice(session: Session, settings: Settings,
                     on: date | None = None) -> ExemptionNotice | None:
    """The notice a receipt dated ``on`` (default today) prints: the latest stored one in force
    that day (a receiver of ``exemption_notices``: the board's register), else the configured
    one."""
    stored = [notice for notice in answers(exemption_notices, session=session,
                                           on=on or clock.today()) if notice]
    return max(stored, key=lambda notice: notice.date) if stored else settings.receipts.notice


def anniversary(day: date, years: int) -> date:
    """``day`` moved ``years`` on; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def last_day(notice: ExemptionNotice) -> date:
    """The last day on which ``notice`` allows a receipt."""
    return anniversary(notice.date, VALID_YEARS[notice.kind])


def check_notice(notice: ExemptionNotice | None, on: date) -> ExemptionNotice:
    """The notice, if it allows a receipt dated ``on``; else ``ReceiptRefused`` saying why."""
    if notice is None:
        raise ReceiptRefused(_("No tax-exemption notice is kept (Board → Documents) or "
                               "configured (RECEIPTS_NOTICE): a German receipt must name the "
                               "notice, so none is issued."))
    if on < notice.date:
        raise ReceiptRefused(_("The %(notice)s is dated %(date)s, after the receipt's date "
                               "%(on)s.", notice=NAMES[notice.kind], date=notice.date.strftime("%d.%m.%Y"),
                               on=on.strftime("%d.%m.%Y")))
    if notice.kind == ExemptionNotice.EXEMPTION and not notice.period.strip():
        raise ReceiptRefused(_("The exemption notice does not state the assessment period it "
                               "is for (Veranlagungszeitraum), which the receipt names: add it "
                               "to the notice before issuing receipts."))
    end = last_day(notice)
    if on > end:
        raise ReceiptRefused(_(
            "The %(notice)s of %(date)s allowed receipts until %(end)s (%(years)s years, § 63 "
            "Abs. 5 AO); on %(on)s it is too old. Enter the newer notice before issuing "
            "receipts.", notice=NAMES[notice.kind], date=notice.date.strftime("%d.%m.%Y"),
            end=end.strftime("%d.%m.%Y"), years=VALID_YEARS[notice.kind], on=on.strftime("%d.%m.%Y")))
    return notice
