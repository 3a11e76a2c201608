"""Mutation testing of one module with mutmut 2's mutants, each tested in a fork of one warm process.

    pip install -e '.[test,dev]'
    python -m tests.mutation backoffice/ledger/totals.py tests/ledger/test_total_spans.py \
        tests/ledger/test_cumulative_totals.py tests/ledger/test_balances.py [--warm-tests]
        [--out FILE] [--only N,N] [--lines A-B]

``mutmut run`` starts pytest afresh for each mutant (imports, the migrated template database):
10-40 s a mutant on this project's shared machines, hours for a module. Here the modules and the
template are loaded once; each mutant runs in a forked child that executes the mutated source
into the module object (so callers must reach the module's names as ``module.name``, as the
ledger's do with ``totals``) and runs the tests with ``-x`` on SQLite: a killed mutant costs a
second or two. The file on disk never changes. One line per mutant goes to ``--out`` (JSON:
number, line, status killed/survived/timeout, the mutated line of a survivor); the numbers are
mutmut's order in the file, for ``--only``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", help="the module's file, e.g. backoffice/ledger/totals.py")
    parser.add_argument("tests", nargs="+", help="test files or node ids, run in this order")
    parser.add_argument("--out", default="mutants.jsonl", help="appended to")
    parser.add_argument("--only", help="mutant numbers, comma-separated")
    parser.add_argument("--lines", help="first-last line of the mutants to run")
    parser.add_argument("--warm-tests", action="store_true",
                        help="import the test modules once, before forking: only when they "
                             "reach the module's names as module.name (``from . import totals``)")
    args = parser.parse_args()

    from mutmut import ALL, Context, list_mutations, mutate  # the dev extra

    source = open(args.target).read()
    ids = list_mutations(Context(source=source, mutation_id=ALL, filename=args.target))
    only = None if not args.only else {int(n) for n in args.only.split(",")}
    lines = None if not args.lines else tuple(int(n) for n in args.lines.split("-"))

    import pytest

    os.environ["BACKOFFICE_HYPOTHESIS_PROFILE"] = "mutation"  # a failing example is not shrunk
    module = importlib.import_module(args.target.removesuffix(".py").replace("/", "."))
    import backoffice.models  # noqa: F401 (every package's tables and signals, once)
    from tests import conftest

    scratch = tempfile.mkdtemp(prefix="mutation-")
    template = os.path.join(scratch, "template.db")
    conftest._migrate(f"sqlite:///{template}")
    conftest._migrate = lambda url: shutil.copyfile(template, url.removeprefix("sqlite:///"))
    if args.warm_tests:
        for test in args.tests:
            importlib.import_module(test.split("::")[0].removesuffix(".py").replace("/", "."))
    # (the modules loaded here are not rewritten for assert: pytest warns, and warnings fail)
    command = [*args.tests, "-x", "-q", "-p", "no:cacheprovider", "-n", "0",
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]

    def run(mutation_id, timeout: float) -> tuple[int | None, float]:
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: mutate, test, exit with pytest's code
            try:
                if mutation_id is not None:
                    mutated, _ = mutate(Context(source=source, mutation_id=mutation_id,
                                                filename=args.target))
                    exec(compile(mutated, module.__file__, "exec"), module.__dict__)
                if mutation_id is not None:  # the run without a mutant shows its failures
                    quiet = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(quiet, 1)
                    os.dup2(quiet, 2)
                code = int(pytest.main(command))
            except BaseException:  # a mutant that cannot even be loaded is killed
                if mutation_id is None:
                    traceback.print_exc()
                code = 3
            os._exit(code)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), time.monotonic() - started
            if time.monotonic() - started > timeout:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                return None, time.monotonic() - started
            time.sleep(0.05)

    code, baseline = run(None, 900)
    print(f"{args.target}: {len(ids)} mutants; the tests unmutated: exit {code}, {baseline:.1f} s",
          flush=True)
    if code != 0:
        sys.exit("the tests fail without a mutant")
    counts: dict[str, int] = {}
    with open(args.out, "a") as out:
        for number, mutation_id in enumerate(ids, 1):
            line = mutation_id.line_number + 1
            if (only is not None and number not in only) or \
                    (lines is not None and not lines[0] <= line <= lines[1]):
                continue
            code, took = run(mutation_id, max(60.0, 6 * baseline))
            status = "timeout" if code is None else "survived" if code == 0 else "killed"
            counts[status] = counts.get(status, 0) + 1
            record = {"n": number, "line": line, "status": status, "seconds": round(took, 1),
                      "source": mutation_id.line.strip()}
            if status == "survived":
                mutated, _ = mutate(Context(source=source, mutation_id=mutation_id,
                                            filename=args.target))
                record["mutated"] = mutated.split("\n")[mutation_id.line_number].strip()
            out.write(json.dumps(record) + "\n")
            out.flush()
            print(number, status, f"{took:.1f}s", f"line {line}", flush=True)
    print(counts)
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
