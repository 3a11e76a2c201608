"""Finding the visible text of a template that is not marked for translation (docs/I18N.md).

A heuristic, used by ``tests/test_i18n.py`` and ``backoffice translations wrap``: the template's
text outside Jinja tags (and outside ``{% trans %}`` blocks), the attributes a reader sees
(``title``, ``placeholder``, ``aria-label``, ``alt``) and capitalised string literals inside Jinja
tags (``label="Amount"``). Words of :data:`ALLOWED` (brand names, codes, abbreviations that are
the same in German) and text without letters (numbers, symbols) are not text to translate.
:func:`wrap` marks the text it finds: ``{{ _("…") }}`` for plain text, a ``{% trans %}`` block
for text with values in it. A template written in one language on purpose (a document whose
wording the law prescribes) says so in its first line, ``{#- one language: de ... -#}``, and has
no text to translate.
No Flask here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

ALLOWED = frozenset("""
Backoffice IBAN IBANs BIC SEPA Stripe PDF CSV XLSX DATEV Beancount Fava EUR USD GBP CHF VAT ID
EN DE OK API URL UTC ISO TOTP QR pain XML JSON HTML SVG e.V. Python Markdown GmbH ZUGFeRD
Factur-X EN16931 XRechnung SKR MT940 CAMT camt OFX htmx Celery Redis PostgreSQL SQLite
e-mail E-Mail Pretix CSP BGB AO EStG UStG Nr No x X GiroCode
""".split())

_JINJA = re.compile(r"{#.*?#}|{%-?.*?-?%}|{{-?.*?-?}}", re.S)
_TRANS = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.S)
_SKIPPED = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<(?:[^>{]|{{.*?}}|{%.*?%}|{#.*?#}|{(?![{%#]))*>", re.S)
_SEEN_ATTRIBUTES = re.compile(r"""\b(title|placeholder|aria-label|alt)=(["'])(.*?)\2""", re.S)
_LITERAL = re.compile(r"""(?<![\w(])(["'])([A-Z][a-z][^"'{}]*?)\1""")
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß][\w.'’-]*[A-Za-zÄÖÜäöüß]|[A-Za-z]")
_MARKED_CALL = re.compile(r"""\bpgettext\(\s*(["']).*?(?<!\\)\1\s*,\s*(["']).*?(?<!\\)\2"""
                          r"""|\b(?:_|gettext|ngettext)\(\s*(["']).*?(?<!\\)\3""", re.S)


@dataclass(frozen=True)
class Untranslated:
    line: int
    text: str


def _words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text) if word not in ALLOWED and len(word) > 1]


def _is_text(text: str) -> bool:
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    return bool(_words(text))


def _line_of(source: str, position: int) -> int:
    return source.count("\n", 0, position) + 1


def _blank(match: re.Match) -> str:
    """The match replaced by spaces (line breaks kept), so that positions stay."""
    return re.sub(r"[^\n]", " ", match.group(0))


#: The first line of a template written in one language on purpose (see the module).
ONE_LANGUAGE = re.compile(r"\A{#-?\s*one language: ([a-z]{2})\b")


def untranslated(source: str, *, text_template: bool = False) -> list[Untranslated]:
    """The visible English of a template that is not marked for translation."""
    if ONE_LANGUAGE.match(source):
        return []
    found: list[Untranslated] = []
    source = _TRANS.sub(_blank, source)
    for match in _JINJA.finditer(source):
        body = _MARKED_CALL.sub("", match.group(0))
        if match.group(0).startswith("{#"):
            continue
        for literal in _LITERAL.finditer(body):
            if _is_text(literal.group(2)) and " " in literal.group(2).strip() \
                    or re.fullmatch(r"[A-Z][a-z]+", literal.group(2)) \
                    and literal.group(2) not in ALLOWED:
                found.append(Untranslated(_line_of(source, match.start()), literal.group(2)))
    plain = _JINJA.sub(_blank, source)
    if text_template:  # an e-mail: its "Subject: " header is not text
        plain = re.sub(r"\ASubject: ", "         ", plain)
    else:
        plain = _SKIPPED.sub(_blank, plain)
        for tag in _TAG.finditer(plain):
            for attribute in _SEEN_ATTRIBUTES.finditer(tag.group(0)):
                if _is_text(attribute.group(3)):
                    found.append(Untranslated(_line_of(plain, tag.start()), attribute.group(3)))
        plain = _TAG.sub(_blank, plain)
    for number, line in enumerate(plain.split("\n"), start=1):
        for run in re.split(r"\s{2,}", line):  # blanked tags part runs of text
            if _is_text(run):
                found.append(Untranslated(number, run.strip()))
    return found


# --- marking text (a tool for translators: backoffice translations wrap) -----------------------

_TOKEN = re.compile(r"({#.*?#}|{%-?.*?-?%}|{{-?.*?-?}}|<(script|style|textarea|pre)\b.*?</\2>|"
                    r"<!--.*?-->|<(?:[^>{]|{{.*?}}|{%.*?%}|{#.*?#}|{(?![{%#]))*>)", re.S | re.I)
_KEYWORDS = {"and", "or", "not", "in", "is", "if", "else", "for", "trans", "endtrans", "pluralize",
             "_", "gettext", "loop", "self", "true", "false", "none", "caller", "super"}


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _variable_name(expression: str, taken: set[str]) -> str:
    base = expression.split("|")[0].strip()
    names = re.findall(r"[A-Za-z_]\w*", base)
    simple = re.fullmatch(r"[A-Za-z_][\w.]*(\[[^\]]*\])?", base)
    name = names[-1] if simple and names else "value"
    name = name.lower() if name.lower() not in _KEYWORDS else "value"
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}{number}", number + 1
    taken.add(candidate)
    return candidate


def _wrap_run(run: str) -> str:
    """A run of text (with ``{{ values }}`` in it, no tags) marked for translation."""
    if not _is_text(_JINJA.sub(" ", run)):
        return run
    lead = run[:len(run) - len(run.lstrip())]
    trail = run[len(run.rstrip()):]
    body = re.sub(r"\s+", " ", run.strip())
    if "{{" not in body:
        return f"{lead}{{{{ _({_quoted(body.replace('%', '%%'))}) }}}}{trail}"
    taken: set[str] = set()
    assignments: list[str] = []

    def value(match: re.Match) -> str:
        expression = match.group(1).strip()
        name = _variable_name(expression, taken)
        assignments.append(f"{name}={expression}")
        return f"{{{{ {name} }}}}"

    text = re.sub(r"{{-?(.*?)-?}}", value, body)
    return f"{lead}{{% trans {', '.join(assignments)} %}}{text}{{% endtrans %}}{trail}"


def _wrap_attributes(tag: str) -> str:
    def attribute(match: re.Match) -> str:
        name, quote, value = match.groups()
        if "{" in value or not _is_text(value):
            return match.group(0)
        return f"{name}={quote}{{{{ _({_quoted(value.replace('%', '%%'))}) }}}}{quote}"
    return _SEEN_ATTRIBUTES.sub(attribute, tag)


def wrap(source: str) -> str:
    """The template with its plain visible text marked (``{{ _("…") }}``, ``{% trans %}``)."""
    out: list[str] = []
    run: list[str] = []
    trans_depth = 0

    def flush() -> None:
        if run:
            out.append(_wrap_run("".join(run)) if not trans_depth else "".join(run))
            run.clear()

    position = 0
    for match in _TOKEN.finditer(source):
        run.append(source[position:match.start()])
        token = match.group(0)
        position = match.end()
        if token.startswith("{{"):
            run.append(token)
            continue
        flush()
        if re.match(r"{%-?\s*trans\b", token):
            trans_depth += 1
        elif re.match(r"{%-?\s*endtrans\b", token):
            trans_depth -= 1
        out.append(_wrap_attributes(token) if token.startswith("<") and not
                   re.match(r"<(script|style|textarea|pre)\b", token, re.I) else token)
    run.append(source[position:])
    flush()
    return "".join(out)
