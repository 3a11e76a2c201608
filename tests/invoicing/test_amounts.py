"""The rounding rule: lines, VAT and totals always agree."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from backoffice.invoicing.amounts import compute_totals, line_net, vat_regime
from backoffice.invoicing.models import VatRegime


@dataclass
class L:
    quantity_milli: int
    unit_price: int
    tax_treatment: str
    exempt_reason: str = ""


lines = st.lists(st.builds(
    L, quantity_milli=st.integers(1, 100_000), unit_price=st.integers(-1_000_000, 10_000_000),
    tax_treatment=st.sampled_from(["standard", "reduced", "exempt"]),
    exempt_reason=st.just("§ 4 Nr. 22 UStG")), min_size=1, max_size=12)


@given(lines, st.sampled_from(list(VatRegime)))
def test_lines_tax_and_totals_always_agree(items, regime):
    totals = compute_totals(items, regime)
    assert totals.net == sum(totals.line_nets) == sum(g.net for g in totals.groups)
    assert totals.gross == totals.net + totals.tax
    for item, net in zip(items, totals.line_nets):
        exact = Decimal(item.quantity_milli) * item.unit_price / 1000
        assert abs(net - exact) <= Decimal("0.5")
    for group in totals.groups:
        exact = Decimal(group.net) * group.rate_bp / 10000
        assert abs(group.tax - exact) <= Decimal("0.5")  # rounded once, per rate
    if regime is not VatRegime.DOMESTIC:
        assert totals.tax == 0


def test_half_away_from_zero():
    assert line_net(1500, 1) == 2 and line_net(1500, -1) == -2
    assert compute_totals([L(1000, 50, "reduced")], VatRegime.DOMESTIC).tax == 4  # 3.5 -> 4
    assert compute_totals([L(1000, -50, "reduced")], VatRegime.DOMESTIC).tax == -4


def test_vat_regime_by_buyer():
    assert vat_regime("DE", "DE136695976") is VatRegime.DOMESTIC
    assert vat_regime("NL", "NL004495445B01") is VatRegime.REVERSE_CHARGE
    assert vat_regime("NL", None) is VatRegime.DOMESTIC
    assert vat_regime("US", None) is VatRegime.NOT_TAXABLE
    assert vat_regime("CH", "CHE123") is VatRegime.NOT_TAXABLE
