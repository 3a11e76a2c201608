"""Query-string parameters and URL ids, read through one typed door: bad values answer 400.

Every view reads ``request.args`` through ``arg`` (one value) or ``query_form`` (a filter form
bound to the query string). A value that is not of its type, not one of its choices, a number
beyond an INTEGER column or out of its range, or a date outside ``FIRST_DATE``…``LAST_DATE`` raises
``BadQuery``: the error page answers 400 and names the parameter, instead of the database or the
date arithmetic failing with a 500. Ids in URLs go through ``IdConverter`` (registered as the
``int`` converter), which matches only ids up to ``bounds.MAX_ID``: anything else is a 404.

The names each endpoint reads are kept (``reads_parameters``) so that a test can
send hostile values to every parameter of every page.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING

from flask import request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .bounds import FIRST_DATE, INT_MAX, INT_MIN, LAST_DATE, MAX_ID
from .i18n import _

if TYPE_CHECKING:
    from typing import Any

    from flask_wtf import FlaskForm
    from werkzeug.routing import Map

MAX_PAGE = 1_000_000
MAX_TEXT = 200

_seen: dict[str, set[str]] = defaultdict(set)


class BadQuery(BadRequest):
    """A query parameter that cannot be used; the description says which and why."""

    def __init__(self, name: str, message: str):
        super().__init__(description=_("The address has a bad value for “%(name)s”.",
                                       name=name) + " " + message)
        self.parameter = name


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs: ids from 0 to ``MAX_ID``; anything else (2**63, -1, x) is a 404."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _note(name: str) -> None:
    if request.endpoint:
        _seen[request.endpoint].add(name)


def reads_parameters(endpoint: str) -> set[str]:
    """The query parameters this endpoint has read so far."""
    return set(_seen.get(endpoint, ()))


def check_int(value: int, name: str, minimum: int = INT_MIN, maximum: int = INT_MAX) -> int:
    if not minimum <= value <= maximum:
        raise BadQuery(name, _("Give a number from %(minimum)s to %(maximum)s.",
                               minimum=minimum, maximum=maximum))
    return value


def check_date(value: date, name: str) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise BadQuery(name, _("Give a date from %(first)s to %(last)s.",
                               first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat()))
    return value


def check_text(value: str, name: str, max_length: int = MAX_TEXT) -> str:
    if len(value) > max_length:
        raise BadQuery(name, _("Use at most %(count)s characters.", count=max_length))
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise BadQuery(name, _("Use no control characters."))
    return value


def _parse(raw: str, name: str, kind: type, *, minimum: int | None, maximum: int | None, max_length: int):
    if kind is str:
        return check_text(raw, name, max_length)
    if kind is int:
        text = raw.strip()
        if not (text.lstrip("-").isdigit() and text.isascii()) or len(text) > 20:
            raise BadQuery(name, _("Give a whole number."))
        return check_int(int(text), name, INT_MIN if minimum is None else minimum,
                         INT_MAX if maximum is None else maximum)
    if kind is date:
        try:
            parsed = date.fromisoformat(raw.strip())
        except ValueError:
            raise BadQuery(name, _("Give a date as YYYY-MM-DD.")) from None
        return check_date(parsed, name)
    if kind is bool:
        if raw.lower() in ("1", "y", "yes", "true", "on"):
            return True
        if raw.lower() in ("0", "n", "no", "false", "off"):
            return False
        raise BadQuery(name, _("Give yes or no."))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(raw)
        except ValueError:
            allowed = ", ".join(str(member.value) for member in kind)
            raise BadQuery(name, _("Give one of %(allowed)s.", allowed=allowed)) from None
    if isinstance(kind, Collection):
        if raw not in kind:
            raise BadQuery(name, _("Give one of %(allowed)s.",
                                   allowed=", ".join(sorted(v for v in kind if v))))
        return raw
    if callable(kind):  # a parser of the package's own (a page cursor): ValueError is a 400
        check_text(raw, name, max_length)
        try:
            return kind(raw)
        except ValueError as error:
            raise BadQuery(name, str(error) or _("It is not understood.")) from None
    raise TypeError(f"no query type {kind!r}")


def arg(name: str, kind: type = str, default: Any = None, *, minimum: int | None = None,
        maximum: int | None = None, max_length: int = MAX_TEXT):
    """The query parameter ``name`` as ``kind``, or ``default`` when absent or empty.

    ``kind`` is ``str``, ``int`` (an INTEGER column's range, or ``minimum``…``maximum``), ``date``, ``bool``, an
    ``Enum`` class (by value), a collection of allowed strings, or a function that parses the text
    and raises ``ValueError`` for what it cannot use. Raises ``BadQuery`` (400).
    """
    _note(name)
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    return _parse(raw, name, kind, minimum=minimum, maximum=maximum, max_length=max_length)


def given(name: str) -> bool:
    """Whether the query string names ``name`` at all (an empty value can mean "all")."""
    _note(name)
    return name in request.args


def bare() -> bool:
    """Whether the address has no query string at all (a page's first, plain form)."""
    return not request.args


def page_arg(name: str = "page") -> int:
    """A page number: 1 when absent, 400 when not from 1 to ``MAX_PAGE``."""
    return arg(name, int, 1, minimum=1, maximum=MAX_PAGE)


def others(*names: str) -> dict[str, str]:
    """The query string without ``names`` and empty values (for links to other pages)."""
    return {key: value for key, value in request.args.items() if key not in names and value}


def query_form(form_class: type[FlaskForm], *, omit: Collection[str] = (), **choices: Any):
    """A filter form bound to the query string and validated; ``BadQuery`` on the first error.

    ``choices`` sets select fields' choices before validation, ``omit`` removes fields the page
    does not use. The form's fields are the project's (``core.forms``), so dates, numbers and text
    are bounded the same way as in ``arg``.
    """
    form = form_class(request.args)
    for name in omit:
        delattr(form, name)
    for name, values in choices.items():
        getattr(form, name).choices = values
    for field in form:
        _note(field.name)
    if not form.validate():
        for field in form:
            if field.errors and field.name in request.args:
                raise BadQuery(field.name, str(field.errors[0]))
        for field in form:  # a field the query did not name can still complain (a coercion)
            if field.errors:
                raise BadQuery(field.name, str(field.errors[0]))
    return form
