"""Amounts in words, as a German donation receipt prints them beside the figures.

The amount comes in as a ``Decimal`` with exactly two places (euros and cents), never as an
integer of cents: ``num2words`` reads an ``int`` handed to its currency converter as *cents*,
which is how a receipt for 101.10 EUR would come to say "ein Euro und elf Cent". Euros and
cents are split here and each is written with ``num2words`` as a cardinal number.

The rules (pinned by ``tests/donations/test_receipt_words.py``):
- "Euro" and "Cent" are never inflected; no cents are named when there are none, no euros when
  there are none (0.01 is "ein Cent");
- a number that ends in "eins" loses its s before the unit ("einhundertein Euro", "ein Cent"),
  as German does before a noun; "eine Million" stays feminine;
- the parts are joined with "und".
"""
from __future__ import annotations

from decimal import Decimal

from num2words import num2words

CENT = Decimal("0.01")


def _cardinal(number: int) -> str:
    words = num2words(number, lang="de")
    return words[:-1] if words.endswith("eins") else words


def amount_in_words(amount: Decimal) -> str:
    """``amount`` (euros, two decimal places, not negative) in German words."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"an amount in words is made from a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise ValueError(f"{amount} is not an amount of euros and cents")
    euros, cents = divmod(int(amount.quantize(CENT) * 100), 100)
    parts = []
    if euros:
        parts.append(f"{_cardinal(euros)} Euro")
    if cents:
        parts.append(f"{_cardinal(cents)} Cent")
    return " und ".join(parts) or "null Euro"
