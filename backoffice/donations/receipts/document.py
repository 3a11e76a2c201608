"""A donation receipt as one computed value: everything its PDF shows, nothing it derives later.

``compose`` takes the gifts a receipt covers, the donor, the number and the day, and the
settings in force, and returns a frozen ``ReceiptDocument``: its kind (a single German receipt
for money or a membership fee, one for a gift in kind, the annual collective receipt, or a US
acknowledgment), the total, the amount in words, the exemption notice, whether the
machine-produced statement may stand on it, and the receipt it replaces. The renderer
(``render``) takes only this value: it decides no rule of law and does no arithmetic, so what a
receipt says is decided, and tested, here.

Rules kept here (the Federal Ministry of Finance's model texts, § 50 EStDV, § 63 Abs. 5 AO):
- a collective receipt covers money and membership fees only, each gift listed in its annex;
  a gift in kind always gets a receipt of its own;
- the statement that a receipt was produced by machine (no handwritten signature) only where
  the association told its tax office (``RECEIPTS_MACHINE_PRODUCED``), and never on a receipt
  for a gift in kind or a waived reimbursement;
- German receipts are in euros; the notice must allow a receipt on the day it is dated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ...core.i18n import _, _l
from ...core.money import Money
from ...core.settings import ExemptionNotice, Receipts
from .notice import ReceiptRefused, check_notice
from .words import amount_in_words


class GiftKind(StrEnum):
    MONEY = "money"            # Geldzuwendung
    MEMBERSHIP = "membership"  # Mitgliedsbeitrag
    IN_KIND = "in_kind"        # Sachzuwendung

    @property
    def label(self) -> str:
        return str(_GIFT_LABELS[self])


class ReceiptKind(StrEnum):
    MONEY = "money"            # Bestätigung über Geldzuwendungen/Mitgliedsbeitrag
    IN_KIND = "in_kind"        # Bestätigung über Sachzuwendungen
    COLLECTIVE = "collective"  # Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge
    US = "us"                  # written acknowledgment (IRC § 170(f)(8))

    @property
    def label(self) -> str:
        return str(_RECEIPT_LABELS[self])


_GIFT_LABELS = {GiftKind.MONEY: _l("Money"), GiftKind.MEMBERSHIP: _l("Membership fee"),
                GiftKind.IN_KIND: _l("Gift in kind")}
_RECEIPT_LABELS = {ReceiptKind.MONEY: _l("Single receipt"), ReceiptKind.IN_KIND:
                   _l("Receipt for a gift in kind"), ReceiptKind.COLLECTIVE: _l("Collective receipt"),
                   ReceiptKind.US: _l("US acknowledgment")}


class Origin(StrEnum):
    """Where a gift in kind came from, as the donor said."""

    BUSINESS = "business"  # Betriebsvermögen: valued at the withdrawal value
    PRIVATE = "private"    # Privatvermögen
    UNKNOWN = "unknown"    # the donor said nothing despite being asked


@dataclass(frozen=True)
class InKind:
    description: str       # exact: what, its age, condition, purchase price
    origin: Origin
    valuation_basis: str   # how its value was found
    documents: bool        # documents that served the valuation (invoice, appraisal) are kept


@dataclass(frozen=True)
class Gift:
    """One donation a receipt covers."""

    donation_id: int
    day: date
    amount: int            # minor units of ``currency``
    currency: str
    kind: GiftKind
    waiver: bool = False   # a waived reimbursement (Verzicht auf Erstattung von Aufwendungen)
    in_kind: InKind | None = None
    #: US: goods or services the donor received in return, and their good-faith value.
    goods_description: str = ""
    goods_value: int = 0

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("a gift is worth more than nothing")
        if (self.kind is GiftKind.IN_KIND) != (self.in_kind is not None):
            raise ValueError("a gift in kind, and only one, describes the thing given")
        if not 0 <= self.goods_value <= self.amount:
            raise ValueError("goods given in return are worth between nothing and the gift")

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


@dataclass(frozen=True)
class Party:
    name: str
    address: tuple[str, ...]  # the lines under the name


@dataclass(frozen=True)
class Replaces:
    number: str
    issue_date: date


@dataclass(frozen=True)
class ReceiptDocument:
    kind: ReceiptKind
    number: str
    issue_date: date
    place: str
    issuer: Party
    donor: Party
    currency: str
    gifts: tuple[Gift, ...]
    total: int
    period: tuple[date, date]          # the first and last gift's day (collective: the year)
    notice: ExemptionNotice | None     # German receipts
    machine_produced: bool
    membership_fees_deductible: bool
    signatory: str
    replaces: Replaces | None = None
    us_ein: str = ""

    def __post_init__(self) -> None:
        if not self.gifts:
            raise ValueError("a receipt covers at least one gift")
        if any(gift.currency != self.currency for gift in self.gifts):
            raise ValueError("a receipt's gifts are in its currency")
        if self.total != sum(gift.amount for gift in self.gifts):
            raise ValueError("the total is the sum of the gifts")
        in_kind = [gift for gift in self.gifts if gift.kind is GiftKind.IN_KIND]
        if self.kind is ReceiptKind.IN_KIND and (len(self.gifts) != 1 or not in_kind):
            raise ValueError("a receipt for a gift in kind covers that one gift")
        if self.kind in (ReceiptKind.MONEY, ReceiptKind.COLLECTIVE) and in_kind:
            raise ValueError("gifts in kind get receipts of their own")
        if self.kind is ReceiptKind.MONEY and len(self.gifts) != 1:
            raise ValueError("a single receipt covers one gift (several: a collective receipt)")
        if self.machine_produced and (in_kind or self.any_waiver):
            raise ValueError("no machine-produced receipt for gifts in kind or waivers")
        if self.german and (self.notice is None or self.currency != "EUR"):
            raise ValueError("a German receipt names its notice and states euros")

    @property
    def german(self) -> bool:
        return self.kind is not ReceiptKind.US

    @property
    def any_waiver(self) -> bool:
        return any(gift.waiver for gift in self.gifts)

    @property
    def amount(self) -> Decimal:
        return Money(self.total, self.currency).to_decimal()

    @property
    def words(self) -> str:
        """The total in German words (German receipts)."""
        return amount_in_words(self.amount)

    @property
    def gift(self) -> Gift:
        """The one gift of a single receipt."""
        return self.gifts[0]

    @property
    def goods_value(self) -> int:
        return sum(gift.goods_value for gift in self.gifts)

    @property
    def deductible(self) -> int:
        """US: what the donor may deduct (the gift less what they received in return)."""
        return self.total - self.goods_value


def kind_for(style: str, gifts: tuple[Gift, ...] | list[Gift]) -> ReceiptKind:
    """The receipt that covers ``gifts``: US acknowledgments, else one gift in kind, one gift of
    money, or a collective receipt."""
    if style == "us":
        return ReceiptKind.US
    if len(gifts) == 1:
        return ReceiptKind.IN_KIND if gifts[0].kind is GiftKind.IN_KIND else ReceiptKind.MONEY
    return ReceiptKind.COLLECTIVE


def compose(*, gifts: tuple[Gift, ...] | list[Gift], donor: Party, issuer: Party, number: str,
            issue_date: date, receipts: Receipts, notice: ExemptionNotice | None,
            period: tuple[date, date] | None = None,
            replaces: Replaces | None = None) -> ReceiptDocument:
    """The receipt for ``gifts`` (sorted by day), or ``ReceiptRefused`` saying why none may be
    issued."""
    if receipts.style not in ("de", "us"):
        raise ReceiptRefused(_("Receipts are switched off (RECEIPTS_STYLE is none)."))
    gifts = tuple(sorted(gifts, key=lambda gift: (gift.day, gift.donation_id)))
    if not gifts:
        raise ReceiptRefused(_("There is no gift to confirm."))
    kind = kind_for(receipts.style, gifts)
    if kind is ReceiptKind.COLLECTIVE and any(g.kind is GiftKind.IN_KIND for g in gifts):
        raise ReceiptRefused(_("A collective receipt confirms money and membership fees only; "
                               "a gift in kind gets a receipt of its own."))
    currencies = {gift.currency for gift in gifts}
    if len(currencies) > 1:
        raise ReceiptRefused(_("The gifts are in several currencies (%(currencies)s); a receipt "
                               "states one.", currencies=", ".join(sorted(currencies))))
    currency = currencies.pop()
    if kind is not ReceiptKind.US:
        if currency != "EUR":
            raise ReceiptRefused(_("A German receipt states euros; this gift was made in "
                                   "%(currency)s.", currency=currency))
        notice = check_notice(notice, issue_date)
        if not donor.address:
            raise ReceiptRefused(_("A German receipt names the donor's address; %(name)s has "
                                   "none on record.", name=donor.name))
    machine = receipts.machine_produced and kind is not ReceiptKind.IN_KIND and \
        not any(gift.waiver for gift in gifts)
    return ReceiptDocument(
        kind=kind, number=number, issue_date=issue_date, place=receipts.place, issuer=issuer,
        donor=donor, currency=currency, gifts=gifts, total=sum(g.amount for g in gifts),
        period=period or (gifts[0].day, gifts[-1].day),
        notice=notice if kind is not ReceiptKind.US else None, machine_produced=machine,
        membership_fees_deductible=receipts.membership_fees_deductible,
        signatory=receipts.signatory, replaces=replaces, us_ein=receipts.us_ein)
