"""`python -m bench.architecture`: figures about the shape of the code, read from the source.

Prints what issue 13 measures before and after: two-way package pairs and longer cycles between
packages, modules importing flask outside the web layer, modules outside the ledger importing its
models, the share of typed function parameters, the largest modules and the imports written inside
functions. Only `ast`: no import of the application, so it runs on any checkout.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "backoffice"

# The web and command-line layer: the modules that may import flask.
WEB_LAYER_NAMES = {"views.py", "forms.py", "cli.py", "web.py", "extensions.py"}
WEB_LAYER_MODULES = {
    "backoffice",  # __init__.py: create_app
    "backoffice.auth.twofactor_views",
    "backoffice.auth.web_session",
    "backoffice.core.query",
    "backoffice.core.views",
    "backoffice.core.health",
    "backoffice.core.logs",
}
# The wiring: modules that build the app and its queue, which may read the app's settings.
WIRING_MODULES = {"backoffice.permissions_table", "backoffice.worker"}
WIRING_PACKAGES = ("backoffice.jobs",)
# What reads the app's settings (or the app) instead of receiving them.
SETTINGS_LOOKUPS = {("backoffice.extensions", "settings"), ("backoffice.extensions", "settings_of"),
                    ("backoffice.extensions", "stored_settings"), ("flask", "current_app")}
# The ledger's tables other than the chart (accounts, funds), which domains name as references.
LEDGER_TABLES = {"JournalEntry", "Posting", "Period", "AccountTotal", "FundAccountTotal",
                 "FundBalanceTotal"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def load(root: Path = ROOT) -> dict[str, tuple[Path, ast.Module]]:
    modules = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        modules[module_name(path, root)] = (path, ast.parse(path.read_text(), str(path)))
    return modules


def is_package(modules: dict, name: str) -> bool:
    path = modules.get(name, (None,))[0]
    return path is not None and path.name == "__init__.py"


def imports_of(name: str, tree: ast.Module, modules: dict):
    """Yield (imported module, imported names, inside a function?) for every import statement."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # typing only, as in [tool.importlinter]
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef |
                                              ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, set(), in_function
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = name.split(".") if is_package(modules, name) else name.split(".")[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                names = {alias.name for alias in child.names}
                submodules = {n for n in names if f"{target}.{n}" in modules}
                if names - submodules or not submodules:
                    yield target, names - submodules, in_function
                for sub in submodules:
                    yield f"{target}.{sub}", set(), in_function
            yield from walk(child, inner)
    yield from walk(tree, False)


def package_of(module: str) -> str:
    """`backoffice.groups.services` → `groups`; top-level modules (`web`, `cli`) are their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(root)"


def in_web_layer(module: str, path: Path) -> bool:
    return (module in WEB_LAYER_MODULES or path.name in WEB_LAYER_NAMES
            or path.name.endswith(("_views.py", "_forms.py")) or ".views." in module)


def in_wiring(module: str, path: Path) -> bool:
    return (in_web_layer(module, path) or module in WIRING_MODULES
            or any(module == p or module.startswith(p + ".") for p in WIRING_PACKAGES))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle of the package graph (small graph: a plain search)."""
    found = []
    nodes = sorted(edges)
    for start in nodes:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(edges.get(node, ())):
                if nxt == start:
                    found.append(path)
                elif nxt > start and nxt not in path:
                    stack.append((nxt, path + [nxt]))
    return sorted(found, key=lambda c: (len(c), c))


def typed_parameters(tree: ast.Module) -> tuple[int, int]:
    typed = total = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is None or arg.arg in ("self", "cls"):
                    continue
                total += 1
                typed += arg.annotation is not None
    return typed, total


def measure(root: Path = ROOT) -> dict:
    modules = load(root)
    edges: dict[str, set[str]] = defaultdict(set)
    via: dict[tuple[str, str], list[str]] = defaultdict(list)
    flask_outside, ledger_models, ledger_tables, inner_imports = [], [], [], []
    lookups = []
    for name, (path, tree) in modules.items():
        rel = str(path.relative_to(root))
        for target, names, in_function in imports_of(name, tree, modules):
            top = target.split(".")[0]
            if in_function:
                inner_imports.append(f"{rel}: {target}")
            if (top == "flask" or top.startswith("flask_")) and not in_wiring(name, path):
                flask_outside.append(f"{rel}: {target}")
            looked_up = {n for n in names if (target, n) in SETTINGS_LOOKUPS}
            if (looked_up or target == "flask.globals") and not in_wiring(name, path):
                lookups.append(f"{rel}: {target}.{', '.join(sorted(looked_up))}")
            if not target.startswith(PACKAGE + ".") and target != PACKAGE:
                continue
            if target == "backoffice.ledger.models" and not name.startswith("backoffice.ledger"):
                ledger_models.append(f"{rel}: {', '.join(sorted(names))}")
                if names & LEDGER_TABLES:
                    ledger_tables.append(f"{rel}: {', '.join(sorted(names & LEDGER_TABLES))}")
            a, b = package_of(name), package_of(target)
            if a != b and target != PACKAGE:
                edges[a].add(b)
                via[(a, b)].append(f"{name} -> {target}" + (" (in a function)" if in_function
                                                            else ""))
    pairs = sorted((a, b) for a in edges for b in edges[a] if a < b and a in edges.get(b, ()))
    all_cycles = cycles(edges)
    typed = total = 0
    for _path, tree in modules.values():
        t, n = typed_parameters(tree)
        typed, total = typed + t, total + n
    sizes = sorted(((len(p.read_text().splitlines()), str(p.relative_to(root)))
                    for p, _ in modules.values()), reverse=True)
    return {
        "modules": len(modules), "pairs": pairs, "via": via, "cycles": all_cycles,
        "flask_outside": sorted(set(flask_outside)), "ledger_models": ledger_models,
        "ledger_tables": ledger_tables, "typed": typed, "parameters": total,
        "largest": sizes[:5], "inner_imports": inner_imports, "settings_lookups": lookups,
    }


def report(m: dict, verbose: bool = True) -> str:
    out = []
    say = out.append
    say(f"modules: {m['modules']}")
    longer = [c for c in m["cycles"] if len(c) > 2]
    say(f"two-way package pairs: {len(m['pairs'])}; longer package cycles: {len(longer)}")
    for a, b in m["pairs"]:
        say(f"  {a} <-> {b}")
        if verbose:
            for line in m["via"][(a, b)] + m["via"][(b, a)]:
                say(f"      {line}")
    for c in longer:
        say("  cycle: " + " -> ".join(c + [c[0]]))
    flask_modules = sorted({line.split(":")[0] for line in m["flask_outside"]})
    say(f"modules importing flask outside the web layer and wiring: {len(flask_modules)}")
    for line in m["flask_outside"]:
        say(f"  {line}")
    looking = sorted({line.split(":")[0] for line in m["settings_lookups"]})
    say(f"modules outside the web layer and wiring reading the app's settings: {len(looking)}")
    for line in m["settings_lookups"]:
        say(f"  {line}")
    say(f"modules outside ledger/ importing ledger.models: {len(m['ledger_models'])} "
        f"(of which its tables other than accounts and funds: {len(m['ledger_tables'])})")
    for line in m["ledger_models"]:
        say(f"  {line}")
    pct = 100 * m["typed"] / m["parameters"] if m["parameters"] else 100
    say(f"parameters typed (without self/cls): {m['typed']}/{m['parameters']} = {pct:.1f} %")
    say("largest modules (lines): " + ", ".join(f"{p} {n}" for n, p in m["largest"]))
    say(f"imports inside functions: {len(m['inner_imports'])} "
        f"(of backoffice modules: {sum(' backoffice' in i for i in m['inner_imports'])})")
    if verbose:
        for line in m["inner_imports"]:
            say(f"  {line}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]).resolve() if argv and not argv[0].startswith("-") else ROOT
    print(report(measure(root), verbose="--short" not in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
