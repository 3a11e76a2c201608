"""Invoice arithmetic and VAT: pure functions, no database.

Rounding rule (the application's one rule, ``core.money``: exact Decimal arithmetic, rounded once,
half away from zero, to whole minor units), applied at exactly two points:

1. a line's net amount is ``quantity × unit price``, rounded once;
2. the VAT of each rate is computed on the **sum of the line nets of that rate**, rounded once
   (as EN 16931 does: VAT per category, not per line).

Everything else is addition: the invoice's net total is the sum of the line nets, its VAT total
the sum of the per-rate VAT amounts, and its gross total net plus VAT. So lines, VAT and totals
always agree, on the PDF, in the e-invoice XML and in the ledger.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from ..core.money import percent_of
from .models import TAX_RATE_BP, TaxTreatment, VatRegime

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())
HOME_COUNTRY = "DE"


def vat_regime(country: str, vat_id: str | None) -> VatRegime:
    """Which VAT rules apply to a sponsor (a business customer buying a service)."""
    country = (country or "").upper()
    if country == HOME_COUNTRY:
        return VatRegime.DOMESTIC
    if country in EU_COUNTRIES:
        # A business with a VAT ID of another member state: reverse charge. Without one the
        # buyer cannot be treated as a business there, and German VAT applies.
        return VatRegime.REVERSE_CHARGE if vat_id else VatRegime.DOMESTIC
    return VatRegime.NOT_TAXABLE


def line_net(quantity_milli: int, unit_price: int) -> int:
    """Rounding point 1: quantity (in thousandths) times unit price, rounded once."""
    exact = Decimal(quantity_milli) * Decimal(unit_price) / Decimal(1000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


#: EN 16931 / UNCL 5305 VAT category codes.
CATEGORY_STANDARD, CATEGORY_EXEMPT, CATEGORY_REVERSE, CATEGORY_OUTSIDE = "S", "E", "AE", "O"


@dataclass(frozen=True)
class LineTax:
    category: str
    rate_bp: int
    exempt_reason: str = ""


def line_tax(treatment: str, exempt_reason: str, regime: VatRegime) -> LineTax:
    """The VAT category and rate of one line under the invoice's regime."""
    regime = VatRegime(regime)
    if regime is VatRegime.REVERSE_CHARGE:
        return LineTax(CATEGORY_REVERSE, 0)
    if regime is VatRegime.NOT_TAXABLE:
        return LineTax(CATEGORY_OUTSIDE, 0)
    treatment = TaxTreatment(treatment)
    if treatment is TaxTreatment.EXEMPT:
        return LineTax(CATEGORY_EXEMPT, 0, exempt_reason)
    return LineTax(CATEGORY_STANDARD, TAX_RATE_BP[treatment])


@dataclass
class TaxGroup:
    category: str
    rate_bp: int
    exempt_reason: str
    net: int = 0
    tax: int = 0

    @property
    def rate(self) -> Decimal:
        return Decimal(self.rate_bp) / 100


@dataclass
class Totals:
    line_nets: list[int]
    groups: list[TaxGroup] = field(default_factory=list)

    @property
    def net(self) -> int:
        return sum(self.line_nets)

    @property
    def tax(self) -> int:
        return sum(g.tax for g in self.groups)

    @property
    def gross(self) -> int:
        return self.net + self.tax


def compute_totals(lines: Iterable[Any], regime: VatRegime) -> Totals:
    """``lines``: objects with ``quantity_milli``, ``unit_price``, ``tax_treatment``,
    ``exempt_reason``. Groups come out in a stable order (highest rate first)."""
    nets = [line_net(line.quantity_milli, line.unit_price) for line in lines]
    groups: dict[tuple, TaxGroup] = {}
    sums: dict[tuple, int] = defaultdict(int)
    for line, net in zip(lines, nets):
        tax = line_tax(line.tax_treatment, line.exempt_reason, regime)
        key = (tax.category, tax.rate_bp, tax.exempt_reason)
        groups.setdefault(key, TaxGroup(*key))
        sums[key] += net
    for key, group in groups.items():
        group.net = sums[key]
        group.tax = percent_of(group.net, group.rate)  # rounding point 2
    ordered = sorted(groups.values(), key=lambda g: (-g.rate_bp, g.category, g.exempt_reason))
    return Totals(nets, ordered)


# --- credit notes for part of an invoice ---------------------------------------------------------

@dataclass(frozen=True)
class CreditPart:
    tax_treatment: str
    exempt_reason: str
    net: int  # positive: what the credit note takes off, net, at this VAT rate


def _net_for_gross(gross: int, rate: Decimal) -> int:
    """The smallest net whose gross (net plus its VAT, rounding point 2) reaches ``gross``."""
    net = int(Decimal(gross) * 100 / (100 + rate)) - 1
    while net + percent_of(net, rate) < gross:
        net += 1
    return max(net, 0)


def credit_parts(lines: Iterable[Any], regime: VatRegime, gross: int) -> list[CreditPart]:
    """How a credit of ``gross`` (an amount paid back, VAT included) is split over the invoice's
    VAT rates, as net amounts per rate for the credit note's lines.

    Rounding rule: the credit is shared between the invoice's VAT groups in proportion to each
    group's gross, each share rounded once, half away from zero, the last group taking what
    is left (so shares add up to ``gross``). Each share's net is the smallest whose gross at
    that rate (net plus VAT as rounding point 2 computes it) reaches the share. Most shares are
    met exactly; a gross that no net produces at that rate (at 19 %, one amount in about six:
    the VAT of the next cent of net is rounded up) is met one minor unit above, so a credit note
    never credits less than was paid back: at most one minor unit more per VAT rate.
    """
    if gross <= 0:
        raise ValueError("a credit must be positive")
    groups: dict[tuple, list] = {}
    for line in lines:
        tax = line_tax(line.tax_treatment, line.exempt_reason, regime)
        key = (tax.category, tax.rate_bp, tax.exempt_reason)
        group = groups.setdefault(key, [line.tax_treatment, line.exempt_reason, 0])
        group[2] += line_net(line.quantity_milli, line.unit_price)
    ordered = sorted(groups.items(), key=lambda item: (-item[0][1], item[0][0], item[0][2]))
    grosses = [net + percent_of(net, Decimal(key[1]) / 100) for key, (_, _, net) in ordered]
    total = sum(grosses)
    if total <= 0:
        raise ValueError("the invoice has nothing to credit")
    parts, left = [], gross
    for index, ((_, rate_bp, _), (treatment, reason, _)) in enumerate(ordered):
        last = index == len(ordered) - 1
        share = left if last else int((Decimal(gross) * grosses[index] / total)
                                      .quantize(Decimal(1), rounding=ROUND_HALF_UP))
        left -= share
        net = _net_for_gross(share, Decimal(rate_bp) / 100) if share > 0 else 0
        if net:
            parts.append(CreditPart(treatment, reason, net))
    return parts


# --- printed wording -------------------------------------------------------------------------

WORDING = {
    "reverse_charge": {
        "en": "Reverse charge: the recipient of the service is liable for the VAT "
              "(Article 196 of Council Directive 2006/112/EC; § 13b UStG).",
        "de": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge) gemäß § 13b UStG "
              "und Art. 196 der Richtlinie 2006/112/EG.",
    },
    "not_taxable": {
        "en": "Not taxable in Germany: the place of supply is in the recipient's country "
              "(§ 3a (2) UStG).",
        "de": "Nicht im Inland steuerbare Leistung: Leistungsort im Land des "
              "Leistungsempfängers (§ 3a Abs. 2 UStG).",
    },
    "exempt": {
        "en": "VAT exempt: {reason}",
        "de": "Umsatzsteuerfrei: {reason}",
    },
}


def vat_notes(regime: VatRegime, groups: list[TaxGroup], language: str) -> list[str]:
    """The legal sentences the invoice must print for its VAT cases."""
    regime = VatRegime(regime)
    if regime is VatRegime.REVERSE_CHARGE:
        return [WORDING["reverse_charge"][language]]
    if regime is VatRegime.NOT_TAXABLE:
        return [WORDING["not_taxable"][language]]
    return [WORDING["exempt"][language].format(reason=g.exempt_reason)
            for g in groups if g.category == CATEGORY_EXEMPT]


def format_quantity(quantity_milli: int) -> str:
    value = (Decimal(quantity_milli) / 1000).normalize()
    return f"{value:f}"


def parse_quantity(text: str) -> int:
    """'1', '1.5', '2,25' -> thousandths; raises ValueError for anything else."""
    value = Decimal((text or "").strip().replace(",", "."))
    milli = value * 1000
    if not value.is_finite() or milli != milli.to_integral_value() or value == 0:
        raise ValueError(text)
    return int(milli)
