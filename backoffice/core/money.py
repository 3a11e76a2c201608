"""Money as integer minor units with an ISO 4217 currency.

Decimal appears only at the edges: parsing what a person typed and formatting for display.

Rounding rule (the only one in the application): a percentage of an amount is computed exactly
with Decimal and rounded **once**, to whole minor units, **half away from zero** (commercial
rounding, "kaufmännisches Runden"): 7 % of 0.50 EUR = 0.035 -> 0.04 EUR; of -0.50 EUR -> -0.04 EUR.
Whatever is split off with it, the remainder is computed by subtraction, so parts always add up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import TYPE_CHECKING

from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    list_currencies,
    parse_decimal,
)

from .errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable

#: Amounts written the other convention's way where they can mean one thing only: a decimal
#: comma ("834,50", "1.234,50") or a decimal point ("834.50", "1,234.50") followed by one or two
#: digits, with thousands (if any) grouped by the other mark. "1,234" or "1.234" is ambiguous and
#: left to the locale.
_DECIMAL_COMMA = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+),\d{1,2}$")
_DECIMAL_POINT = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)\.\d{1,2}$")
_PLAIN = re.compile(r"^[-+]?\d+$")


def unambiguous_decimal(text: str) -> Decimal | None:
    """``text`` as a number if it can be read one way only whatever the locale (see above);
    None otherwise."""
    if _DECIMAL_COMMA.match(text):
        return Decimal(text.replace(".", "").replace(",", "."))
    if _DECIMAL_POINT.match(text) or _PLAIN.match(text):
        return Decimal(text.replace(",", ""))
    return None

#: The largest amount accepted on one line, in major units (a billion euros is absurd here).
MAX_MAJOR_UNITS = 10**9


@cache
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    if not isinstance(code, str) or code.upper() != code or code not in known_currencies():
        raise ValidationError(f"Unknown currency {code!r}: use an ISO 4217 code such as EUR.")
    return code


@cache
def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (EUR 2, JPY 0, BHD 3)."""
    return get_currency_precision(check_currency(currency))


def max_minor_units(currency: str) -> int:
    return MAX_MAJOR_UNITS * 10 ** exponent(currency)


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units, signed
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"Money amount must be an int of minor units, not {self.amount!r}")
        check_currency(self.currency)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal, currency: str) -> Money:
        """Exact conversion; refuses values with more decimals than the currency has."""
        places = exponent(currency)
        if not value.is_finite():
            raise ValidationError(f"{value} is not an amount.")
        scaled = value.scaleb(places)
        if scaled != scaled.to_integral_value():
            raise ValidationError(
                f"{currency} amounts have {places} decimal places; {value} has more."
            )
        money = cls(int(scaled), currency)
        money.check_size()
        return money

    @classmethod
    def parse(cls, text: str, currency: str, locale: str = "en_IE") -> Money:
        """Parse what a person typed ("1,234.50" in English, "1.234,50" in German)."""
        text = (text or "").strip().replace("\u00a0", "").replace(" ", "")
        if not text:
            raise ValidationError("Enter an amount.")
        if any(ch in text for ch in "eE"):  # no exponent notation in money
            raise ValidationError(f"{text!r} is not an amount.")
        try:
            value = parse_decimal(text, locale=locale, strict=True)
        except NumberFormatError:
            value = unambiguous_decimal(text)
            if value is None:
                raise ValidationError(f"{text!r} is not an amount.") from None
        return cls.from_decimal(value, currency)

    # --- arithmetic -----------------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValidationError(f"Cannot combine {self.currency} with {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __bool__(self) -> bool:
        return self.amount != 0

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def check_size(self) -> Money:
        if abs(self.amount) > max_minor_units(self.currency):
            raise ValidationError(
                f"The amount is larger than the limit of {MAX_MAJOR_UNITS:,} {self.currency} "
                f"for one amount.")
        return self

    # --- edges ----------------------------------------------------------------------------
    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def format(self, locale: str = "en_IE") -> str:
        return formatter(self.currency, locale)(self.amount)

    def __str__(self) -> str:  # unambiguous, locale-free: "1234.50 EUR"
        return f"{self.to_decimal():f} {self.currency}"


_PROBE = 1234567  # major units; the formatted probe shows where the digits go


@cache
def formatter(currency: str, locale: str) -> Callable[[int], str]:
    """A fast formatter of minor units, equivalent to Babel's ``format_currency`` for this
    currency and locale (``Money.format``; pages call it without building a ``Money``).

    Babel re-reads the locale's pattern on every call, which dominates pages with hundreds of
    amounts. Here Babel formats two probe amounts once; the parts around the digits (symbol,
    spacing, sign) and the separators are reused. Tests compare the two on many amounts.
    """
    places = exponent(currency)
    probe = Decimal(_PROBE) + (Decimal(89) / 100 if places else 0)
    shapes = {}
    for sign in (1, -1):
        text = format_currency(sign * probe, currency, locale=locale)
        digits = [i for i, ch in enumerate(text) if ch.isdigit()]
        first, last = digits[0], digits[-1]
        shapes[sign] = (text[:first], text[last + 1:])
        body = text[first:last + 1]
    group = body[1] if not body[1].isdigit() else ""
    decimal = body[-(places + 1)] if places else ""

    def fmt(minor: int) -> str:
        whole, fraction = divmod(abs(minor), 10 ** places)
        number = f"{whole:,}".replace(",", group)
        if places:
            number += decimal + f"{fraction:0{places}d}"
        prefix, suffix = shapes[-1 if minor < 0 else 1]
        return prefix + number + suffix

    def babel(minor: int) -> str:
        return format_currency(Decimal(minor).scaleb(-places), currency, locale=locale)

    # Every character fmt writes besides digits (formatting.money_html escapes none when none
    # of these needs it).
    fmt.symbols = "".join((*shapes[1], *shapes[-1], group, decimal))
    # Locales with other grouping rules (Swiss, Indian, ...) keep Babel's own, slower path.
    samples = (0, 7, -7, *(sign * (10**k + 12345 % 10**k) for k in range(1, 15) for sign in (1, -1)))
    return fmt if all(fmt(v) == babel(v) for v in samples) else babel


def percent_of(amount: int, rate: Decimal) -> int:
    """``rate`` percent of ``amount`` minor units, rounded once, half away from zero."""
    if not isinstance(rate, Decimal):
        raise TypeError("rate must be a Decimal")
    exact = Decimal(amount) * rate / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_percent(amount: int, rate: Decimal) -> tuple[int, int]:
    """Split ``amount`` into (rate percent of it, the rest); the two always add up to ``amount``."""
    part = percent_of(amount, rate)
    return part, amount - part
