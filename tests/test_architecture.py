"""The import rules hold (pyproject.toml, `[tool.importlinter]`), and their exceptions only shrink.

The rules: layers (web and wiring > demo > domains > ledger > core), no cycles between packages or
between a package's modules, only the ledger imports its models, only the web layer imports flask,
the views and the commands. docs/ARCHITECTURE.md explains them.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from bench import architecture

try:
    import grimp
except ImportError:  # a venv made before import-linter joined the test extras
    grimp = None

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
MISSING = "import-linter is not installed here: run `make install`"
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True, no_logo=True))")


def config() -> dict:
    return tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]


def test_import_contracts_are_kept() -> None:
    assert grimp, MISSING
    result = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_exception_is_still_an_import() -> None:
    """An exception the code no longer needs must go, so nobody can lean on it again."""
    assert grimp, MISSING
    options = config()
    graph = grimp.build_graph(
        options["root_package"],
        include_external_packages=options["include_external_packages"],
        exclude_type_checking_imports=options["exclude_type_checking_imports"],
        cache_dir=None,
    )
    stale = []
    for contract in options["contracts"]:
        for expression in contract.get("ignore_imports", []):
            importer, imported = (part.strip() for part in expression.split("->"))
            assert "*" not in expression, f"{expression}: name each import, no wildcards"
            if importer not in graph.modules or not graph.direct_import_exists(
                    importer=importer, imported=imported):
                stale.append(f"{contract['id']}: {expression}")
    assert not stale, ("These imports are gone: delete them from `ignore_imports` in "
                       "pyproject.toml:\n  " + "\n  ".join(stale))


def test_every_exception_names_the_step_that_removes_it() -> None:
    entries = re.findall(r'^\s*"[\w.]+ -> [\w.]+",(.*)$', PYPROJECT.read_text(), re.MULTILINE)
    listed = [e for contract in config()["contracts"] for e in contract.get("ignore_imports", [])]
    assert len(entries) == len(listed), "every exception is one line: \"a -> b\",  # why"
    untagged = [comment for comment in entries if "#" not in comment]
    assert not untagged, "each ignored import says why (a comment), and which step removes it"


def test_services_receive_their_settings() -> None:
    """Below the web layer and the wiring (the app factory, the views and commands, the queue's
    wiring), nothing reads the app's settings (``extensions.settings()``, ``settings_of``,
    ``current_app``) or imports flask: services receive ``Settings`` (or a part) as an argument,
    jobs from ``core.queue.job_settings()``, signal receivers as a keyword of the signal."""
    figures = architecture.measure(ROOT)
    assert not figures["flask_outside"], figures["flask_outside"]
    assert not figures["settings_lookups"], figures["settings_lookups"]


def test_today_is_read_from_the_associations_clock() -> None:
    """``core.clock.today()``, never the server's ``date.today()`` (a server on UTC dates what is
    done in Berlin just after midnight on the day before), and a stored moment's day (and year) is
    ``clock.day_of(moment)``'s, not its UTC ``.date()``."""
    found = []
    for path in sorted((ROOT / "backoffice").rglob("*.py")):
        if path == ROOT / "backoffice" / "core" / "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            owner = ast.unparse(node.value)
            moment = owner.endswith("_at") or owner == "now" or "now(" in owner
            if (node.attr == "today" and owner in ("date", "datetime", "datetime.date")) or (
                    node.attr in ("date", "year", "month", "day") and moment):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, found


#: Service functions that still take an amount as an integer beside a currency: only shrinks.
def test_amounts_cross_service_signatures_as_money() -> None:
    """A service (a function taking the ``session``) takes ``Money``, never an integer amount
    beside a currency: the view or form builds the ``Money`` at the edge."""
    found = set()
    for path in sorted((ROOT / "backoffice").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            names = {a.arg: ast.unparse(a.annotation) if a.annotation else "" for a in args}
            if "session" in names and "currency" in names and any(
                    "int" in names[n] for n in names if n == "amount" or n.endswith("_amount")):
                found.add(f"{path.relative_to(ROOT)}: {node.name}")
    assert not found, sorted(found)


def test_parameters_stay_typed_and_modules_small() -> None:
    """Issue 13 found 61 % of the parameters typed and a 1,008-line module; they stay better."""
    figures = architecture.measure(ROOT)
    assert figures["typed"] / figures["parameters"] >= 0.94, figures["typed"]
    lines, path = figures["largest"][0]
    assert lines <= 1100, f"{path} has {lines} lines: split it by concern"
