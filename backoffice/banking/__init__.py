"""Bank accounts, statement import (CAMT.053, MT940, CSV), matching and reconciliation.

See ``docs/BANKING.md`` for the design and for how other packages plug their open items in.
"""
from . import providers  # noqa: F401  (registers the providers this package brings)
