"""The donation pages funds opt into (``/donate/<fund code>``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import NotFound, ValidationError
from ..core.i18n import _
from ..core.money import Money, check_currency
from .models import DonationPage

if TYPE_CHECKING:
    from ..ledger.models import Fund


def save_page(session: Session, fund: Fund, *, title: str, purpose: str, currency: str,
              suggestions: list[Money], enabled: bool, allow_recurring: bool,
              public_donor_list: bool, actor: Actor) -> DonationPage:
    """Open (or change) the fund's donation page."""
    currency = check_currency(currency)
    if not fund.active:
        raise ValidationError(_("Fund %(code)s is closed.", code=fund.code), field="fund")
    if any(m.currency != currency or m.amount <= 0 for m in suggestions) or len(suggestions) > 6:
        raise ValidationError(_("Suggest up to six amounts above zero."), field="suggested")
    page = session.scalar(select(DonationPage).where(DonationPage.fund_id == fund.id))
    if page is None:
        page = DonationPage(fund_id=fund.id)
        session.add(page)
    page.title, page.purpose = (title or "").strip()[:200], (purpose or "").strip()
    page.currency, page.enabled, page.allow_recurring = currency, enabled, allow_recurring
    page.public_donor_list = public_donor_list
    page.suggested_amounts = ",".join(str(m.amount) for m in sorted(
        suggestions, key=lambda m: m.amount))
    page.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "donation.page_saved", "fund", fund.id,
                 summary=f"{fund.code}: donation page {'on' if enabled else 'off'}")
    return page


def open_page(session: Session, fund_code: str | None) -> DonationPage:
    """The enabled page of the fund with this code (the general fund's without one)."""
    from ..ledger.services import fund_by_code, general_fund  # noqa: PLC0415
    try:
        fund = fund_by_code(session, fund_code) if fund_code else general_fund(session)
    except NotFound:
        raise NotFound(_("There is no donation page here.")) from None
    page = session.scalar(select(DonationPage).where(DonationPage.fund_id == fund.id))
    if page is None or not page.enabled or not fund.active:
        raise NotFound(_("There is no donation page here."))
    return page
