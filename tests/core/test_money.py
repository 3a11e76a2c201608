from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from backoffice.core import formatting
from backoffice.core.errors import ValidationError
from backoffice.core.formatting import money_html
from backoffice.core.money import MAX_MAJOR_UNITS, Money, max_minor_units, percent_of, split_percent

amounts = st.integers(min_value=-(10**13), max_value=10**13)


class TestParsing:
    @pytest.mark.parametrize("text, locale, minor", [
        ("12.50", "en_IE", 1250), ("1,234.56", "en_IE", 123456), ("1.234,56", "de_DE", 123456),
        ("0,07", "de_DE", 7), ("  99 ", "en_IE", 9900), ("-5.10", "en_IE", -510),
        ("1234.5", "de_DE", 123450),  # a plain machine-style number is always understood
    ])
    def test_understands_what_people_type(self, text, locale, minor):
        assert Money.parse(text, "EUR", locale) == Money(minor, "EUR")

    def test_currency_without_minor_units(self):
        assert Money.parse("1500", "JPY") == Money(1500, "JPY")
        with pytest.raises(ValidationError, match="JPY amounts have 0 decimal places"):
            Money.parse("1500.5", "JPY")

    @pytest.mark.parametrize("text, message", [
        ("12.345", "EUR amounts have 2 decimal places; 12.345 has more"),
        ("", "Enter an amount"),
        ("twelve", "is not an amount"),
        ("1e400", "is not an amount"),
        ("NaN", "is not an amount"),
        (f"{MAX_MAJOR_UNITS + 1}", "larger than the limit"),
    ])
    def test_refuses_bad_amounts_with_a_clear_message(self, text, message):
        with pytest.raises(ValidationError, match=message):
            Money.parse(text, "EUR")

    @pytest.mark.parametrize("code", ["XYZ", "eur", "EURO", "", None])
    def test_refuses_unknown_currencies(self, code):
        with pytest.raises(ValidationError, match="Unknown currency"):
            Money(100, code)

    def test_amounts_are_integers_of_minor_units(self):
        with pytest.raises(TypeError):
            Money(Decimal("1.5"), "EUR")
        with pytest.raises(TypeError):
            Money(True, "EUR")

    @given(st.data(), st.sampled_from(["EUR", "JPY", "BHD"]))
    def test_decimal_round_trip_is_exact(self, data, currency):
        limit = max_minor_units(currency)
        money = Money(data.draw(st.integers(min_value=-limit, max_value=limit)), currency)
        assert Money.from_decimal(money.to_decimal(), currency) == money
        assert Money.parse(str(money.to_decimal()), currency) == money

    def test_currencies_do_not_mix(self):
        with pytest.raises(ValidationError, match="Cannot combine EUR with USD"):
            Money(1, "EUR") + Money(1, "USD")


class TestRounding:
    """The one rounding rule: a percentage rounds once, half away from zero, to minor units."""

    @pytest.mark.parametrize("amount, rate, expected", [
        (50, "7", 4),       # 3.5 cents -> 4
        (-50, "7", -4),     # symmetric for refunds
        (150, "7", 11),     # 10.5 -> 11
        (149, "7", 10),     # 10.43 -> 10
        (10000, "19", 1900),
        (1, "50", 1),       # 0.5 -> 1
        (-1, "50", -1),
        (333, "10", 33),    # 33.3 -> 33
        (12345, "7.5", 926),  # 925.875 -> 926
    ])
    def test_pinned_examples(self, amount, rate, expected):
        assert percent_of(amount, Decimal(rate)) == expected

    @given(amounts, st.decimals(min_value=0, max_value=100, places=2))
    def test_part_and_rest_always_add_up(self, amount, rate):
        part, rest = split_percent(amount, rate)
        assert part + rest == amount
        assert abs(part - amount * rate / 100) <= Decimal("0.5")

    def test_rate_must_be_decimal(self):
        with pytest.raises(TypeError):
            percent_of(100, 0.07)


class TestFormatting:
    @pytest.mark.parametrize("locale, expected", [
        ("en_IE", "€1,234,567.89"), ("de_DE", "1.234.567,89\u00a0€"), ("en_US", "€1,234,567.89"),
    ])
    def test_examples(self, locale, expected):
        assert Money(123456789, "EUR").format(locale) == expected

    @settings(max_examples=300)
    @given(amounts, st.sampled_from(["en_IE", "de_DE", "en_US", "de_CH", "fr_FR", "en_IN"]),
           st.sampled_from(["EUR", "USD", "JPY", "CHF", "BHD", "GBP"]))
    def test_fast_formatter_agrees_with_babel(self, minor, locale, currency):
        money = Money(minor, currency)
        assert money.format(locale) == format_currency(money.to_decimal(), currency, locale=locale)


    @settings(max_examples=300)
    @given(amounts, st.sampled_from(["en_IE", "de_DE", "en_US", "de_CH", "fr_FR", "en_IN"]),
           st.sampled_from(["EUR", "USD", "JPY", "CHF", "BHD", "GBP"]))
    def test_money_html_is_the_escaped_amount_in_its_span(self, minor, locale, currency):
        """money_html skips escaping where the locale's symbols need none (issue 17)."""
        text = escape(Money(minor, currency).format(locale))
        css = "money negative" if minor < 0 else "money"
        assert money_html(minor, currency, locale) == Markup(f'<span class="{css}">{text}</span>')

    def test_money_html_escapes_symbols_that_need_it(self, monkeypatch):
        formatting._html_formatter.cache_clear()
        monkeypatch.setattr(formatting, "formatter", lambda currency, locale: lambda minor: f"<{minor}>&")
        try:
            assert money_html(-5, "EUR", "xx") == Markup('<span class="money negative">&lt;-5&gt;&amp;</span>')
        finally:
            formatting._html_formatter.cache_clear()

# --- amounts typed the other convention's way (issue 18) ---------------------------------------

@pytest.mark.parametrize("text, locale, minor", [
    ("834,50", "de_DE", 83450), ("1.234,50", "de_DE", 123450), ("834,50", "en_IE", 83450),
    ("1.234,50", "en_IE", 123450), ("1,234.50", "de_DE", 123450), ("834.50", "de_DE", 83450),
    ("12,5", "en_IE", 1250), ("900", "de_DE", 90000), ("1.234", "de_DE", 123400),
    ("1,234", "en_IE", 123400),
])
def test_an_amount_that_can_mean_one_thing_is_read_in_either_convention(text, locale, minor):
    assert Money.parse(text, "EUR", locale).amount == minor


def test_an_ambiguous_amount_is_read_the_locales_way_or_refused():
    with pytest.raises(ValidationError):  # "1,234" in German is 1.234 euros: three decimals
        Money.parse("1,234", "EUR", "de_DE")
    with pytest.raises(ValidationError):
        Money.parse("1.2.3,4", "EUR", "en_IE")


@given(st.integers(min_value=0, max_value=10**11), st.sampled_from(["de_DE", "en_IE"]),
       st.sampled_from(["de_DE", "en_IE"]))
def test_what_one_locale_writes_with_cents_the_other_reads(minor, written_in, read_in):
    from babel.numbers import format_decimal

    text = format_decimal(Decimal(minor) / 100, format="#,##0.00", locale=written_in)
    assert Money.parse(text, "EUR", read_in).amount == minor
