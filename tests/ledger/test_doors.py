"""The ledger's doors: only the ledger reads its entries, postings, periods and totals (other
packages go through ``ledger.reads`` and ``ledger.balances``, and the chart is public in
``ledger.chart``; an annotation under ``TYPE_CHECKING`` is allowed), and
it keeps the books without Flask (only its web and command-line edge imports flask)."""
from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from flask import has_app_context

import backoffice
from backoffice.core.db import transaction
from backoffice.ledger import services
from backoffice.ledger.balances import trial_balance
from backoffice.ledger.integrity import problems
from backoffice.ledger.periods import PeriodKind

from .conftest import CALENDAR

TABLES = {"JournalEntry", "Posting", "Period", "AccountTotal", "FundAccountTotal",
          "FundBalanceTotal"}
PACKAGE = Path(backoffice.__file__).parent


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def test_no_module_outside_the_ledger_imports_its_tables():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if (PACKAGE / "ledger") in path.parents:
            continue
        tree = ast.parse(path.read_text())
        allowed = _type_checking_blocks(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("ledger.models") \
                    and node.lineno not in allowed:
                names = {alias.name for alias in node.names} & TABLES
                if names:
                    found.append(f"{path.relative_to(PACKAGE)}: {sorted(names)}")
    assert found == []


EDGE = {"cli.py", "views.py", "forms.py"}  # the ledger's web and command-line edge


def test_the_ledger_imports_flask_only_at_its_web_and_command_line_edge():
    found = []
    for path in sorted((PACKAGE / "ledger").glob("*.py")):
        if path.name in EDGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {m}" for m in modules if m.split(".")[0].startswith("flask")]
    assert found == []


def test_the_books_are_kept_without_a_flask_app(books, session):
    """Posting, reversing, closing a period, the reports and verify, on a plain session."""
    assert not has_app_context()
    entry = books.post(date(2026, 3, 14), ("6100", books.general, "12.50"), ("1200", books.berlin, "-12.50"))
    with transaction(session):
        services.reverse_entry(session, entry, actor=books.actor, reason="wrong fund")
        services.set_period_closed(session, PeriodKind.MONTH, date(2026, 3, 1), True,
                                   actor=books.actor, fiscal_year=CALENDAR)
    assert services.booking_date_for(session, date(2026, 3, 14), today=date(2026, 4, 1)) == date(2026, 4, 1)
    assert trial_balance(session, date(2026, 3, 31), fiscal_year=CALENDAR).balanced
    assert problems(session) == []
    assert not has_app_context()
