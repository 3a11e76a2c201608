"""Donations entered by hand: cash at a meetup, a cheque, a gift in kind."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..core import clock
from ..core.actors import Actor
from ..core.errors import NotFound, ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..ledger.services import account_by_code
from .booking import Gift, InKind, record
from .models import Channel, Donation, DonationKind, Donor

if TYPE_CHECKING:
    from ..ledger.chart import Fund

BY_HAND = (Channel.CASH, Channel.CHEQUE, Channel.BANK)
#: The accounts a gift in kind may be booked on: what it replaces (an expense) or what the
#: association now owns (an asset).
IN_KIND_ACCOUNT_TYPES = ("expense", "asset")


def record_by_hand(session: Session, *, donor: Donor, fund: Fund, amount: Money, day: date,
                   channel: Channel, actor: Actor, kind: DonationKind = DonationKind.MONEY,
                   receipt_wanted: bool = False, public_name: str | None = None,
                   note: str = "", goods_description: str = "",
                   goods_value: Money | None = None) -> Donation:
    """Money given by hand (cash, a cheque, or a transfer entered without its bank line);
    ``goods_*``: what the donor received in return (a dinner ticket), for the US
    acknowledgment."""
    channel = Channel(channel)
    if channel not in BY_HAND:
        raise ValidationError(_("By hand: cash, a cheque or a bank transfer."), field="channel")
    if kind not in (DonationKind.MONEY, DonationKind.MEMBERSHIP_FEE):
        raise ValidationError(_("Money given by hand is a donation or a membership fee."),
                              field="kind")
    if day > clock.today():
        raise ValidationError(_("The day of the gift is in the future."), field="day")
    donation, _created = record(session, Gift(
        donor=donor, fund=fund, amount=amount, day=day, channel=channel, kind=kind,
        receipt_wanted=receipt_wanted, public_name=public_name, note=note,
        goods_description=goods_description, goods_value=goods_value), actor=actor)
    return donation


def record_in_kind(session: Session, *, donor: Donor, fund: Fund, value: Money, day: date,
                   in_kind: InKind, actor: Actor, receipt_wanted: bool = True,
                   public_name: str | None = None, note: str = "") -> Donation:
    """A gift in kind (Sachzuwendung) at its value: Dr the account it is booked on (the expense
    it saves, or an asset), Cr donation income."""
    if day > clock.today():
        raise ValidationError(_("The day of the gift is in the future."), field="day")
    if not in_kind.account_code:
        raise ValidationError(_("Choose the account the gift is booked on."), field="account")
    try:
        account = account_by_code(session, in_kind.account_code)
    except NotFound as error:
        raise ValidationError(str(error), field="account") from None
    if account.type.value not in IN_KIND_ACCOUNT_TYPES or not account.active:
        raise ValidationError(_("A gift in kind is booked on an active expense or asset "
                                "account, not %(code)s %(name)s.", code=account.code,
                                name=account.name), field="account")
    donation, _created = record(session, Gift(
        donor=donor, fund=fund, amount=value, day=day, channel=Channel.IN_KIND,
        kind=DonationKind.IN_KIND, receipt_wanted=receipt_wanted, public_name=public_name,
        note=note, in_kind=in_kind), actor=actor, debit=account)
    return donation
