"""Small helpers shared by the forms of every package."""
from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import flask_babel
from flask import g, has_request_context, request, session
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from wtforms import BooleanField, HiddenField, SubmitField, fields, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets.core import clean_key

from ..extensions import settings
from .bounds import FIRST_DATE, INT_MAX, INT_MIN, LAST_DATE, control_characters
from .errors import AlreadyDone, Busy, DomainError
from .i18n import _, _l
from .money import Money

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from wtforms import BaseForm, Field


class InputRefused(Exception):
    """Raised while a form's input is read (lines of an entry, a claim, an invoice) after the
    errors were put next to their fields: ``core.views.run_form`` shows the form again (400)."""


def decimal_of(field: Field, message: str) -> Decimal:
    """A field's text as a decimal number (with a point or a comma); ``InputRefused`` with
    ``message`` next to the field if it is none."""
    try:
        return Decimal((field.data or "").strip().replace(",", "."))
    except InvalidOperation:
        field.errors = [message]
        raise InputRefused from None


def money_of(field: Field, currency: str) -> Money:
    """What was typed in ``field`` as an amount of ``currency`` (in the user's locale);
    ``InputRefused`` with the reason next to the field if it is none."""
    try:
        return Money.parse(field.data, currency, current_locale())
    except DomainError as error:
        field.errors = [str(error)]
        raise InputRefused from error


def pass_on(error: DomainError) -> None:
    """Raise again what is not about the form's input, for the app's one answer to it
    (``web.py``): a change asked for twice (``AlreadyDone``: the current page with a calm note)
    and a busy database (``Busy``: 503, try again). Views call it (through ``show_error``) for
    every refusal they catch."""
    if isinstance(error, AlreadyDone | Busy):
        raise error


def show_error(form: BaseForm, error: DomainError) -> None:
    """Put a refused operation's message next to its field, or at the top of the form (after
    ``pass_on``)."""
    pass_on(error)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


class ConfirmForm(FlaskForm):
    """A button that posts (with its CSRF token) and nothing else."""

    submit = SubmitField(_l("Confirm"))


def user_text(text: str | None) -> Markup | None:
    """Text a user wrote, as a field's description (a grant question's help text).

    Bootstrap-Flask renders descriptions as HTML (they are meant for the developer's own words), so
    what a user wrote is escaped here: ``<meta http-equiv="refresh">`` shows as text.
    """
    return escape(text) if text else None


def options(pairs: Iterable[tuple[object, str]], blank: str | None = None) -> list[SelectChoice]:
    """Choices for a select field from (value, label) pairs, after an optional blank option."""
    result = [SelectChoice("", blank)] if blank is not None else []
    return result + [SelectChoice(str(value), label) for value, label in pairs]


def object_options(items: Iterable[Any], blank: str | None = None) -> list[SelectChoice]:
    """Choices from objects with ``id`` and ``label`` (accounts, funds, groups, ...)."""
    return options(((item.id, item.label) for item in items), blank)


# --- the project's fields: WTForms' with the checks every form needs ---------------------------
# Forms import these instead of WTForms' own (a test keeps it so): text on one line has no control
# characters (a CR/LF in a name would end up in a mail header), dates stay within the years any
# page can compute with, whole numbers fit an INTEGER column (``core.bounds``).

_QUOTE, _QUOTED = Markup('"'), Markup("&quot;")


def html_params(**kwargs: Any) -> Markup:
    """WTForms' ``html_params``, the same attributes in the same order, without building each
    through ``Markup.format``."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(escape(clean_key(key)))
        elif value is not False:
            params.append(f'{escape(clean_key(key))}="{escape(value).replace(_QUOTE, _QUOTED)}"')
    return Markup(" ".join(params))


def _faster(widget: type) -> type:
    """One of WTForms' inputs writing its attributes with the faster ``html_params``."""
    return type(widget.__name__, (widget,), {"html_params": staticmethod(html_params)})


class _NoControlCharacters:
    allowed = ""
    message = "Use a single line without control characters."

    def pre_validate(self, form: BaseForm):
        super().pre_validate(form)
        if isinstance(self.data, str) and control_characters(self.data, self.allowed):
            raise StopValidation(self.message)

    def process_formdata(self, valuelist: list[str]):
        """A field missing from a submitted form is empty text, as a browser sends it, never
        None (which services would not expect)."""
        super().process_formdata(valuelist)
        if self.data is None:
            self.data = ""


class StringField(_NoControlCharacters, fields.StringField):
    """A single line of text: control characters (CR, LF, NUL, tab, …) are refused."""

    widget = _faster(widgets.TextInput)()


class EmailField(_NoControlCharacters, fields.EmailField):
    """An email address on a single line."""

    widget = _faster(widgets.EmailInput)()


class TextAreaField(_NoControlCharacters, fields.TextAreaField):
    """Several lines of text: line breaks and tabs are fine, other control characters are not."""

    allowed = "\t\r\n"
    message = "Remove the control characters from the text."


class DateField(fields.DateField):
    """A date from ``query.FIRST_DATE`` to ``query.LAST_DATE``."""

    widget = _faster(widgets.DateInput)()

    def process_formdata(self, valuelist: list[str]):
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_DATE <= self.data <= LAST_DATE:
            self.data = None
            raise ValueError(f"Give a date from {FIRST_DATE.year} to {LAST_DATE.year}.")


class IntegerField(fields.IntegerField):
    """A whole number that fits an INTEGER column on both databases."""

    widget = _faster(widgets.NumberInput)()

    def process_formdata(self, valuelist: list[str]):
        super().process_formdata(valuelist)
        if self.data is not None and not INT_MIN <= self.data <= INT_MAX:
            self.data = None
            raise ValueError("The number is too large.")


class Select(widgets.Select):
    """WTForms' select, written with f-strings instead of ``Markup.format`` and without its
    look at the option renderer's signature on every field (issue 17: a list page's filter
    selects cost about as much as its table); the HTML is the same (a test compares them)."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(getattr(field, "flags", None), "__dict__", {})
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        render = self.render_option
        if field.has_groups():
            for group, choices in field._iter_groups_normalized():
                if group is not None:
                    html.append(f"<optgroup {html_params(label=group)}>")
                html.extend(render(choice) for choice in choices)
                if group is not None:
                    html.append("</optgroup>")
        else:
            html.extend(render(choice) for choice in field._iter_choices_normalized())
        html.append("</select>")
        return Markup("".join(html))

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        options = {"value": value, **(choice.render_kw or {}), **kwargs}
        if choice.selected:
            options["selected"] = True
        label = escape(choice.label or choice.value)
        return Markup(f"<option {html_params(**options)}>{label}</option>")


class SelectField(fields.SelectField):
    """WTForms' select field, drawn by the faster ``Select``."""

    widget = Select()


def optional_int(value: object):
    """``coerce`` for select fields of ids: None for no choice, an id, or ValueError."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError("The number is too large.")
    return number


# --- the public forms' spam guard (limits per address: core.public_forms.check_rate) ----------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings().secret_key, salt="public-form-started")


def new_started_token() -> str:
    return _serializer().dumps(int(time.time()))


class SpamGuardMixin:
    """A honeypot field people never see (rendered by the ``spam_guard`` macro of
    ``macros/ui.html``), and a signed start time: forms sent faster than a
    person can type (``PUBLIC_FORM_MIN_FILL_SECONDS``) are refused. Both errors belong at the
    top of the form (``guard_errors``); the view sets ``started`` with ``new_started_token()``
    when it shows the form."""

    homepage = StringField(_l("Leave this field empty"), validators=[Optional()])
    started = HiddenField()

    def validate_homepage(self, field: Field):
        if (field.data or "").strip():
            raise FieldError(_("The form could not be accepted. Please leave the field marked "
                             "“Leave this field empty” empty and send it again."))

    def validate_started(self, field: Field):
        try:
            started = int(_serializer().loads(field.data or ""))
        except (BadSignature, TypeError, ValueError):
            field.data = new_started_token()
            raise FieldError(_("The form was incomplete or expired. Please check it and send it "
                             "again.")) from None
        if time.time() - started < settings().public_forms.min_fill_seconds:
            raise FieldError(_("That was very quick. Please check your entries and send the form "
                             "again."))

    def guard_errors(self) -> list[str]:
        return [*self.homepage.errors, *self.started.errors]


def current_locale() -> str:
    """The request's locale, looked up once per request: the user's own setting, else the
    language chosen with the switch (kept in the session), else the browser's
    (``Accept-Language``), else the association's default. Outside a request: the default."""
    if not has_request_context():
        return settings().organisation.default_locale
    try:
        return g.locale  # a page asks for every amount and date: one look through the proxy
    except AttributeError:
        g.locale = locale = _request_locale(settings().organisation.locales,
                                            settings().organisation.default_locale)
        return locale


def prefer_language(language: str | None) -> None:
    """A page addressed to someone whose language is known (a sponsor's pay link: the invoice's
    language) is in that language when the visitor chose none (switch, account) and their browser
    asks for none offered: it replaces the association's default for this request."""
    offered, fallback = settings().organisation.locales, settings().organisation.default_locale
    default = next((code for code in offered if code.split("_")[0] == language), fallback)
    g.locale = _request_locale(offered, default)
    g.pop("translations", None)  # read again in that locale (web._CatalogDomain)
    flask_babel.refresh()


def _request_locale(offered: Mapping[str, str], default: str) -> str:
    for choice in (getattr(current_user, "locale", None), session.get("locale")):
        if choice in offered:
            return choice
    by_tag = {locale.replace("_", "-"): locale for locale in offered}
    best = request.accept_languages.best_match(list(by_tag))
    return by_tag.get(best, default) if best else default


class LanguageForm(FlaskForm):
    """The language switch on every page (``core.switch_language``)."""

    locale = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class PersonForm(FlaskForm):
    """Whose personal data (core.privacy): found by e-mail address."""

    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


class EraseForm(PersonForm):
    confirm = BooleanField(_l("I have checked that the request comes from this person"),
                           validators=[DataRequired()])
