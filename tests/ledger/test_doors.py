"""Only the ledger reads its postings and totals: other packages go through ``ledger.reads`` and
``ledger.balances`` (an annotation under ``TYPE_CHECKING`` is allowed)."""
from __future__ import annotations

import ast
from pathlib import Path

import backoffice

TABLES = {"Posting", "AccountTotal", "FundAccountTotal", "FundBalanceTotal"}
PACKAGE = Path(backoffice.__file__).parent


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def test_no_module_outside_the_ledger_imports_its_postings_or_totals():
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
