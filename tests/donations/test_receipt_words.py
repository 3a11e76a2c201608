"""The amount in words on a German receipt: from a Decimal of euros and cents, never an integer
of cents."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.donations.receipts.words import amount_in_words

TABLE = [
    ("0.01", "ein Cent"),
    ("0.10", "zehn Cent"),
    ("1.00", "ein Euro"),
    ("1.01", "ein Euro und ein Cent"),
    ("21.00", "einundzwanzig Euro"),
    ("101.10", "einhundertein Euro und zehn Cent"),
    ("250.50", "zweihundertfünfzig Euro und fünfzig Cent"),
    ("300.00", "dreihundert Euro"),
    ("1000.00", "eintausend Euro"),
    ("1234.56", "eintausendzweihundertvierunddreißig Euro und sechsundfünfzig Cent"),
    ("1000000.00", "eine Million Euro"),
    ("2000001.01", "zwei Millionen ein Euro und ein Cent"),
]


@pytest.mark.parametrize(("amount", "words"), TABLE)
def test_amounts_in_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_an_integer_of_cents_is_refused_rather_than_read_as_euros_or_cents():
    with pytest.raises(TypeError):
        amount_in_words(10110)


@pytest.mark.parametrize("bad", ["1.001", "-1.00", "NaN", "Infinity"])
def test_amounts_that_are_not_euros_and_cents_are_refused(bad):
    with pytest.raises(ValueError):
        amount_in_words(Decimal(bad))


@given(st.integers(min_value=1, max_value=10**9))
def test_euros_and_cents_are_named_exactly_when_present(cents):
    words = amount_in_words(Decimal(cents) / 100)
    assert ("Euro" in words) == (cents >= 100)
    assert ("Cent" in words) == (cents % 100 != 0)
    assert ("und" in words.split()) == (cents >= 100 and cents % 100 != 0)
