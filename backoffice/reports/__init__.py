"""Reports: the statements, budgets, the annual report pack and the exports for others' tools.

Read-only views across every package (``docs/ARCHITECTURE.md``): ``reports`` may import any
domain package, and nothing but the web layer imports ``reports`` (an import-linter contract in
``pyproject.toml``). Figures come from the ledger's read API (``ledger.balances`` over the cached
totals, ``ledger.reads`` for the postings behind a figure): no report sums postings itself.
"""
