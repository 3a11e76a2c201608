"""The translation catalogs: one per package, so that several people translate at once.

Each package keeps the German of its own Python code and templates in
``backoffice/<package>/translations/de/LC_MESSAGES/messages.po``; ``core`` holds the shared parts
(the app's top-level modules, ``core/``, ``base.html``, the macros, the error pages, the PDF
frame); each document under ``templates/pdf/`` belongs to the package that issues it. The app
reads the ``.po`` files themselves and compiles them in memory, once per process and again when a
file changes (:func:`translations`), so a fresh clone needs no build step and no
``.mo`` file is committed. ``backoffice translations update`` extracts the messages of every
package (babel's extract API, :func:`extract`) into its catalog; ``tests/test_i18n.py`` fails on
a message without German. No Flask here.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from time import monotonic

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import NullTranslations, Translations

CODE = Path(__file__).resolve().parent.parent  # backoffice/
TEMPLATES = CODE.parent / "templates"
LANGUAGES = ("de",)  # English is the source language
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "lazy_gettext": None, "_l": None, "N_": None, "lazy_pgettext": ((1, "c"), 2)}
JINJA_OPTIONS = {"trimmed": "true"}  # {% trans %} blocks: whitespace folded, as the app renders them


@dataclass(frozen=True)
class Package:
    """Where a package's messages are: its code, its template folders, its catalog."""

    name: str
    code: tuple[Path, ...]  # folders (all their .py files) or single modules
    templates: tuple[Path, ...]  # folders (all their .html and .txt files) or single templates

    def catalog_path(self, language: str) -> Path:
        return CODE / self.name / "translations" / language / "LC_MESSAGES" / "messages.po"


_PDF = TEMPLATES / "pdf"
# The PDF documents under templates/pdf/, each with the package that issues it.
_DOCUMENTS = {"funds": ("fund_statement.html",), "grants": ("grant_award_letter.html",),
              "board": ("audit_report.html", "board_addendum.html", "board_minutes.html")}


def _package(name: str) -> Package:
    return Package(name, (CODE / name,),
                   (TEMPLATES / name, *(_PDF / document for document in _DOCUMENTS.get(name, ()))))


_TOP_LEVEL = tuple(path for path in sorted(CODE.glob("*.py")))
PACKAGES: dict[str, Package] = {
    "core": Package("core", (CODE / "core", *_TOP_LEVEL),
                    (TEMPLATES / "base.html", TEMPLATES / "macros", TEMPLATES / "errors",
                     TEMPLATES / "core", _PDF / "base.html")),
    **{name: _package(name) for name in (
        "auth", "setup", "groups", "funds", "ledger", "payments", "donations", "grants",
        "banking", "expenses", "invoicing", "payouts", "board", "reports", "jobs")},
}


def _extract_paths(paths: tuple[Path, ...], suffixes: tuple[str, ...], method: str,
                   options: dict) -> list[tuple[str, int, str | tuple, list, str | None, Path]]:
    found = []
    for path in paths:
        if not path.exists():
            continue
        if path.is_file():
            folder, patterns = path.parent, [path.name]
        else:
            folder, patterns = path, [f"**{suffix}" for suffix in suffixes]
        method_map = [(pattern, method) for pattern in patterns]
        for filename, lineno, message, comments, context in extract_from_dir(
                str(folder), method_map, {pattern: options for pattern in patterns},
                keywords=KEYWORDS, strip_comment_tags=True):
            found.append((filename, lineno, message, comments, context, folder))
    return found


def extract(package: Package) -> Catalog:
    """Every message marked in the package's code and templates (babel's extract API)."""
    catalog = Catalog(project="backoffice", fuzzy=False)
    found = (_extract_paths(package.code, (".py",), "python", {})
             + _extract_paths(package.templates, (".html", ".txt"), "jinja2", JINJA_OPTIONS))
    for filename, lineno, message, comments, context, folder in found:
        where = (folder / filename).relative_to(CODE.parent).as_posix()
        catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return catalog


def read(path: Path, language: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=language)
    with path.open("rb") as file:
        return read_po(file, locale=language)


def update(package: Package, language: str) -> tuple[int, int]:
    """Bring the package's catalog up to date with its code: new messages in (untranslated),
    vanished ones marked obsolete; returns (messages, untranslated)."""
    template = extract(package)
    path = package.catalog_path(language)
    catalog = read(path, language)
    catalog.update(template, no_fuzzy_matching=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, include_previous=False)
    if not path.exists() or path.read_bytes() != buffer.getvalue():
        path.write_bytes(buffer.getvalue())
    messages = [message for message in catalog if message.id]
    return len(messages), sum(1 for message in messages if not message.string)


def _stamp(language: str) -> tuple:
    """What the compiled translations depend on: each catalog's path and modification time."""
    return tuple((path, mtime) for path in _catalog_paths(language)
                 if (mtime := _modified(path)) is not None)


@cache
def _catalog_paths(language: str) -> tuple[str, ...]:
    return tuple(str(package.catalog_path(language)) for package in PACKAGES.values())


def _modified(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


#: How often (seconds) a process looks whether a catalog changed: every request did, a stat
#: of each package's catalog (issue 17: ~0.1 ms of every page in German).
CHECK_EVERY = 1.0
_checked: dict[str, tuple[float, tuple]] = {}


@cache
def _compiled(language: str, stamp: tuple) -> Translations:
    merged: Translations | None = None
    for path, _ in stamp:
        buffer = io.BytesIO()
        write_mo(buffer, read(Path(path), language), use_fuzzy=False)
        buffer.seek(0)
        if merged is None:
            merged = Translations(buffer)  # the first catalog's header: the plural rule
        else:
            merged.merge(Translations(buffer))
    return merged or NullTranslations()


def translations(locale: str | None) -> NullTranslations:
    """The translations of every package merged, for a locale (``de_DE``); the source
    language's translate nothing. Compiled again when a catalog changed (looked at once a
    second at most; call it once per request, not per message)."""
    language = (locale or "").split("_")[0]
    if language not in LANGUAGES:
        return NullTranslations()
    now = monotonic()
    checked = _checked.get(language)
    if checked is None or now - checked[0] >= CHECK_EVERY:
        checked = _checked[language] = (now, _stamp(language))
    return _compiled(language, checked[1])
