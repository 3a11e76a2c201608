"""The app's templates rendered without a request or an app: e-mails and documents.

An e-mail is one template, ``templates/<package>/emails/<name>.txt``, written like the message:
a first line ``Subject: ...``, an empty line, then the plain-text body exactly as sent (a
template may extend a package's layout, e.g. ``expenses/emails/_claim.txt``). Each package's ``notify.py`` renders
its own with :func:`render_email` and queues them (``core.mail.queue_mail``); services call the
notify functions with the values the mail needs, so neither knows Flask.

A document (an invoice, a statement, a letter, minutes) is an HTML template rendered by
:func:`render_document` from the values it is given, nothing else: no request, no user, none of
what Flask adds to a page. So a document renders the same in a request, a job or a test, and
``pdf.html_to_pdf`` turns it into PDF. Its money, dates and IBANs go through the filters
``money``, ``money_html``, ``date`` and ``iban``, as on the pages; money in the ``locale`` the
caller puts in the context (a document says which language it is written in; it never guesses
from a request). A macro that formats money is imported ``with context``, so that it sees the
locale.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup

from . import catalogs, i18n
from .formatting import format_date, format_money, money_html
from .iban import grouped as grouped_iban

#: The app's template folder (``create_app`` serves pages from the same one).
TEMPLATE_FOLDER = Path(__file__).resolve().parents[2] / "templates"


class CompiledTemplates(BytecodeCache):
    """The page templates compiled once per process, shared by every app the process builds
    (``create_app`` builds them alike). Each app's environment compiled every template it
    rendered afresh: the test suite builds an app a test, and compiling took a sixth of
    tests/reports. Jinja checks each compiled template against its source before using it."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


@pass_context
def _gettext(context: Context, message: str) -> str:
    """Text marked for translation, in the language of ``context["locale"]``; without one, the
    language of the request being served (the person whose action sends the mail)."""
    if context.get("locale"):
        return catalogs.translations(context["locale"]).gettext(message)
    return i18n.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, number: int) -> str:
    if context.get("locale"):
        return catalogs.translations(context["locale"]).ngettext(singular, plural, number)
    return i18n.translations().ngettext(singular, plural, number)


def _translating(environment: Environment) -> Environment:
    environment.add_extension("jinja2.ext.i18n")
    environment.policies["ext.i18n.trimmed"] = True  # as catalogs.extract reads the templates
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return environment


@cache
def _environment() -> Environment:
    return _translating(Environment(loader=FileSystemLoader(TEMPLATE_FOLDER), autoescape=False,
                                    undefined=StrictUndefined, keep_trailing_newline=True))


def render_email(path: str, /, **context: object) -> tuple[str, str]:
    """(subject, body) of the e-mail template at ``path`` (e.g. ``"auth/emails/reset.txt"``)."""
    text = _environment().get_template(path).render(context)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject: "):
        raise ValueError(f"{path} must start with 'Subject: ...' and an empty line")
    return head.removeprefix("Subject: ").strip(), body


def _locale(context: Context) -> str:
    locale = context.get("locale")
    if not isinstance(locale, str) or not locale:
        raise ValueError(f"{context.name} formats money but sees no locale: render the document "
                         "with locale=... (e.g. 'de_DE'), and import a macro that formats money "
                         "'with context'")
    return locale


@pass_context
def _money(context: Context, amount: int | None, currency: str, locale: str | None = None) -> str:
    return format_money(amount, currency, locale or _locale(context))


@pass_context
def _money_html(context: Context, amount: int | None, currency: str, *,
                blank_zero: bool = False) -> Markup:
    return money_html(amount, currency, _locale(context), blank_zero=blank_zero)


@cache
def _documents() -> Environment:
    environment = _translating(Environment(loader=FileSystemLoader(TEMPLATE_FOLDER),
                                           autoescape=select_autoescape()))
    environment.filters.update(money=_money, money_html=_money_html, date=format_date,
                               iban=grouped_iban)
    return environment


def render_document(path: str, /, **context: object) -> str:
    """The HTML of the document template at ``path`` (e.g. ``"pdf/fund_statement.html"``),
    rendered with ``context`` alone (plus the filters ``money``, ``money_html`` and ``date``, which
    format in ``context["locale"]``, and ``iban``)."""
    return _documents().get_template(path).render(context)
