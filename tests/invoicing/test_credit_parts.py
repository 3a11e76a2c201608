"""Splitting a partial credit (VAT included) over an invoice's VAT rates: the rounding rule of
``amounts.credit_parts``."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.invoicing.amounts import compute_totals, credit_parts, line_net
from backoffice.invoicing.models import VatRegime


def line(treatment="standard", net=500000, reason=""):
    return SimpleNamespace(quantity_milli=1000, unit_price=net, tax_treatment=treatment,
                           exempt_reason=reason)


def credit_note_gross(lines, regime, gross) -> int:
    """The gross of a credit note with the parts as its lines (as issuing computes it)."""
    parts = credit_parts(lines, regime, gross)
    note = [line(p.tax_treatment, -p.net, p.exempt_reason) for p in parts]
    return -compute_totals(note, regime).gross


def reachable(gross: int, percent: int) -> bool:
    """Whether some net plus its VAT (exactly, rounded half up) is ``gross``: a brute search."""
    def with_vat(net):
        return net + (net * percent * 2 + 100) // 200  # half up, in integers
    middle = gross * 100 // (100 + percent)
    return any(with_vat(n) == gross for n in range(max(0, middle - 3), middle + 4))


def test_a_credit_of_1000_at_19_percent_is_840_34_net_and_159_66_vat():
    [part] = credit_parts([line()], VatRegime.DOMESTIC, 100000)
    assert (part.tax_treatment, part.net) == ("standard", 84034)


def test_a_gross_that_no_net_produces_is_credited_one_cent_above():
    # 0.03 gross at 19 %: 0.02 net gives 0.02, 0.03 net gives 0.04 (0.0057 VAT rounds up).
    [part] = credit_parts([line()], VatRegime.DOMESTIC, 3)
    assert part.net == 3 and credit_note_gross([line()], VatRegime.DOMESTIC, 3) == 4


def test_shares_follow_the_gross_of_each_vat_rate():
    lines = [line("standard", 100000), line("reduced", 100000),
             line("exempt", 100000, "§ 4 Nr. 22 a UStG")]
    parts = credit_parts(lines, VatRegime.DOMESTIC, 32600)  # a tenth of 119 + 107 + 100
    assert [(p.tax_treatment, p.net) for p in parts] == [
        ("standard", 10000), ("reduced", 10000), ("exempt", 10000)]
    assert parts[2].exempt_reason == "§ 4 Nr. 22 a UStG"


@pytest.mark.parametrize("regime", [VatRegime.REVERSE_CHARGE, VatRegime.NOT_TAXABLE])
def test_without_german_vat_the_credit_is_exact(regime):
    lines = [line("standard", 123456), line("reduced", 1)]
    assert credit_note_gross(lines, regime, 99999) == 99999


treatments = st.sampled_from(["standard", "reduced", "exempt"])
invoice_lines = st.lists(st.tuples(treatments, st.integers(min_value=1, max_value=10**8)),
                         min_size=1, max_size=4)


@given(invoice_lines, st.data())
def test_a_credit_note_never_credits_less_and_at_most_a_cent_more_per_rate(items, data):
    lines = [line(t, n, "exempt" if t == "exempt" else "") for t, n in items]
    invoice_gross = compute_totals(lines, VatRegime.DOMESTIC).gross
    gross = data.draw(st.integers(min_value=1, max_value=invoice_gross))
    rates = {t for t, _ in items}
    credited = credit_note_gross(lines, VatRegime.DOMESTIC, gross)
    assert gross <= credited <= gross + len(rates)
    if rates <= {"exempt"}:
        assert credited == gross


@given(st.integers(min_value=1, max_value=10**9))
def test_one_rate_is_exact_whenever_some_net_gives_that_gross(gross):
    credited = credit_note_gross([line("standard", 10**10)], VatRegime.DOMESTIC, gross)
    assert credited == gross if reachable(gross, 19) else credited == gross + 1


def test_line_net_is_what_the_parts_carry():
    assert line_net(1000, 84034) == 84034
