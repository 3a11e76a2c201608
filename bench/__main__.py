"""`make bench` / `python -m bench [--only NAME ...] [--backend sqlite|postgresql|all] [--quick]`.

Each benchmark module has ``run(report, backends, quick)``; add new ones to BENCHMARKS.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time

from .common import Report, backends

BENCHMARKS = ["ledger", "banking", "groups", "invoicing", "grants", "queue", "backup", "receipts",
              "reports", "exports", "beancount", "board", "donations", "fava", "load"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, default=BENCHMARKS)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the scripts")
    args = parser.parse_args(argv)
    report = Report()
    chosen = backends(args.backend)
    print(f"Backends: {', '.join(chosen)}" + ("" if "postgresql" in chosen else
          "  (set BENCH_DATABASE_URL or TEST_DATABASE_URL for PostgreSQL)"))
    for name in args.only:
        started = time.monotonic()
        print(f"\n== {name}")
        importlib.import_module(f"bench.{name}").run(report, chosen, args.quick)
        print(f"   ({time.monotonic() - started:.0f} s)")
    return report.summary()


if __name__ == "__main__":
    sys.exit(main())
