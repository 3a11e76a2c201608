"""Marking text for translation, anywhere in the code (docs/I18N.md).

``_("Saved.")`` translates now, into the language of the request being served; ``lazy_gettext``
(``_l``) translates each time the text is shown, for labels and messages defined at import time
(form labels, state names, a module's constants). Placeholders are named and filled in after the
translation: ``_("Claim %(number)s approved.", number=claim.number)``. An amount is passed as
``Money`` and written the reader's way ("1.234,50 €" in German; ``source`` keeps "1234.50 EUR"),
so a service's refusal reads right on a German page without knowing the reader.

No Flask here: the web layer installs the function that gives the request's translations
(:func:`install`); without it (a command, a test of a service) the text stays English.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from gettext import NullTranslations
from typing import Any

from babel.support import LazyProxy

from .money import Money

NULL = NullTranslations()
SOURCE_LOCALE = "en"
_provider: Callable[[], NullTranslations] = lambda: NULL  # noqa: E731
_locale_provider: Callable[[], str] = lambda: SOURCE_LOCALE  # noqa: E731
_chosen: ContextVar[tuple[NullTranslations, str] | None] = ContextVar("translations", default=None)


def install(provider: Callable[[], NullTranslations],
            locale: Callable[[], str] = lambda: SOURCE_LOCALE) -> None:
    """Use ``provider()`` as the translations of the moment and ``locale()`` as the locale
    amounts are written in (the web layer's, per request)."""
    global _provider, _locale_provider
    _provider, _locale_provider = provider, locale


def translations() -> NullTranslations:
    """The translations of the moment: those chosen with :func:`using`, else the request's
    (none outside a request)."""
    chosen = _chosen.get()
    return chosen[0] if chosen is not None else _provider()


def locale() -> str:
    """The locale of the moment (``de_DE``), as :func:`translations`: amounts are written in it."""
    chosen = _chosen.get()
    return chosen[1] if chosen is not None else _locale_provider()


@contextmanager
def using(chosen: NullTranslations, locale: str = SOURCE_LOCALE) -> Iterator[None]:
    """Translate into ``chosen`` (and write amounts as ``locale`` does) meanwhile, whatever the
    request's language: a document made for a reader (a job's PDF in the language of whoever
    asked for it)."""
    token = _chosen.set((chosen, locale))
    try:
        yield
    finally:
        _chosen.reset(token)


def _filled(text: str, variables: dict[str, Any], *, plain: bool = False) -> str:
    """``text`` with its placeholders filled (amounts written in the locale of the moment, or
    locale-free when ``plain``); a text without any still turns ``%%`` into ``%`` (a literal
    percent sign is written ``%%`` in every marked text, as Jinja's ``_()`` reads it)."""
    if not variables:
        return text % variables if "%%" in text else text
    amounts = {name: value for name, value in variables.items() if isinstance(value, Money)}
    if amounts and not plain:  # the locale is asked for only when an amount is written
        written = locale()
        variables = {**variables, **{name: value.format(written)
                                     for name, value in amounts.items()}}
    return text % variables


def gettext(message: str, **variables: Any) -> str:
    return _filled(translations().gettext(message), variables)


def ngettext(singular: str, plural: str, number: int, **variables: Any) -> str:
    return _filled(translations().ngettext(singular, plural, number), {"num": number, **variables})


def pgettext(context: str, message: str, **variables: Any) -> str:
    """A short text whose translation depends on where it stands (``pgettext("state", "open")``)."""
    return _filled(translations().pgettext(context, message), variables)


class Lazy(LazyProxy):
    """A text translated each time it is shown; ``source`` is its English (for stored records,
    such as audit summaries, which must not depend on who was reading)."""

    def __init__(self, func: Callable[..., str], *args: Any, source: str, **variables: Any):
        super().__init__(func, *args, enable_cache=False, **variables)
        object.__setattr__(self, "source", source)


def lazy_gettext(message: str, **variables: Any) -> Lazy:
    return Lazy(gettext, message, source=_filled(message, variables, plain=True), **variables)


def lazy_pgettext(context: str, message: str, **variables: Any) -> Lazy:
    return Lazy(pgettext, context, message, source=_filled(message, variables, plain=True),
                **variables)


def source(text: str | Lazy) -> str:
    """The English of a text marked with ``lazy_gettext`` (a plain text as it is)."""
    return text.source if isinstance(text, Lazy) else str(text)


def N_(message: str) -> str:  # noqa: N802 (the usual name)
    """Marks a text for the catalog without translating it (it is translated where it is shown)."""
    return message


_ = gettext
_l = lazy_gettext
