"""The settings form (one field per ``core.stored_settings.FIELDS`` entry, grouped by section)
and the first-run wizard."""
from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import get_month_names
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from ..core.forms import (
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    optional_int,
    options,
)
from ..core.i18n import _l
from ..core.stored_settings import FIELDS, Field


def months(locale: str) -> list:
    """The twelve months as choices, named in ``locale``."""
    names = get_month_names("wide", locale=locale)
    return options((number, names[number]) for number in range(1, 13))


def form_name(key: str) -> str:
    """The form field's name for a settings key (``INVOICE_SELLER.iban`` → ``INVOICE_SELLER__iban``)."""
    return key.replace(".", "__")


def _field(field: Field):
    kwargs = {"label": field.label, "description": field.help}
    if field.kind in ("textarea", "lines"):
        return TextAreaField(validators=[Length(max=2000)], **kwargs)
    if field.kind == "date":
        return DateField(validators=[Optional()], **kwargs)
    if field.kind == "choice":
        return SelectField(choices=options(field.choices), **kwargs)
    if field.kind == "month":
        return SelectField(coerce=int, **kwargs)  # choices: the months in the reader's language
    if field.kind == "locale":
        return SelectField(**kwargs)  # choices: the configured locales, set by the view
    if field.kind == "number":
        return IntegerField(validators=[Optional(), NumberRange(0, 365)], **kwargs)
    return StringField(validators=[Length(max=500)], **kwargs)


def shown(field: Field, value: Any) -> Any:
    """A setting's value as its form field shows it."""
    if value is None:
        return None if field.kind == "date" else ""
    if field.kind == "date" and not isinstance(value, date):
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return None
    if field.kind == "lines" and not isinstance(value, str):
        return "\n".join(str(item) for item in value)
    return value


class SettingsForm(FlaskForm):
    invoice_account = SelectField(_l("Fill in from a bank account"), coerce=optional_int,
                                  validate_choice=False)
    payout_account = SelectField(_l("Fill in from a bank account"), coerce=optional_int,
                                 validate_choice=False)
    submit = SubmitField(_l("Save settings"))

    #: A refusal's settings key → the form field that shows it.
    FIELD_OF = {field.key: form_name(field.key) for field in FIELDS}

    def changes(self) -> dict:
        """{settings key: value} of every settings field on the form."""
        return {field.key: getattr(self, form_name(field.key)).data for field in FIELDS}


for _setting in FIELDS:
    setattr(SettingsForm, form_name(_setting.key), _field(_setting))


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (PNG or JPEG)"),
                     description=_l("Printed at the top of invoices; kept at most 1200 × 400 "
                                    "pixels, without the file's metadata."))
    upload = SubmitField(_l("Upload logo"))
    remove = SubmitField(_l("Remove logo"))


class SetupForm(FlaskForm):
    """The first run: the admin's account, the association, its bank account, its address."""

    email = EmailField(_l("Your e-mail address (you log in with it)"),
                       validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[DataRequired(), EqualTo("password", "The two passwords differ.")])
    organisation = StringField(_l("Name of the association"), validators=[DataRequired(), Length(max=200)])
    street = StringField(_l("Street and number"), validators=[DataRequired(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Length(max=20)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    country = StringField(_l("Country (two letters)"), default="DE",
                          validators=[DataRequired(), Length(min=2, max=2)])
    register = StringField(_l("Register of associations"), validators=[Length(max=200)],
                           description=_l("Court and number, e.g. Amtsgericht Köln, VR 12345"))
    board = StringField(_l("Board (authorised representatives)"), validators=[Length(max=200)])
    tax_number = StringField(_l("Tax number"), validators=[Length(max=50)])
    contact = EmailField(_l("E-mail printed on documents"), validators=[DataRequired(), Length(max=254)])
    bank_name = StringField(_l("Bank"), validators=[DataRequired(), Length(max=100)])
    iban = StringField(_l("IBAN"), validators=[DataRequired(), Length(max=42)],
                       description=_l("Printed on invoices and used to pay out; you can separate "
                                   "the two later in the settings."))
    bic = StringField(_l("BIC"), validators=[Length(max=11)])
    base_url = StringField(_l("Public address of the app"), validators=[DataRequired(), Length(max=200)],
                           description=_l("Every link in mails and PDFs starts with it."))
    submit = SubmitField(_l("Set up the association"))

    FIELD_OF = {"ORGANISATION_NAME": "organisation", "INVOICE_SELLER.street": "street",
                "INVOICE_SELLER.postcode": "postcode", "INVOICE_SELLER.city": "city",
                "INVOICE_SELLER.country": "country", "INVOICE_SELLER.email": "contact",
                "INVOICE_SELLER.iban": "iban", "INVOICE_SELLER.bic": "bic",
                "SEPA_DEBTOR_IBAN": "iban", "SEPA_DEBTOR_BIC": "bic", "BASE_URL": "base_url"}

    def details(self) -> dict:
        seller = "INVOICE_SELLER."
        return {"ORGANISATION_NAME": self.organisation.data,
                seller + "street": self.street.data, seller + "postcode": self.postcode.data,
                seller + "city": self.city.data, seller + "country": self.country.data,
                seller + "register": self.register.data, seller + "board": self.board.data,
                seller + "tax_number": self.tax_number.data, seller + "vat_id": "",
                seller + "email": self.contact.data, seller + "website": "",
                seller + "bank_name": self.bank_name.data, seller + "iban": self.iban.data,
                seller + "bic": self.bic.data, "SEPA_DEBTOR_IBAN": self.iban.data,
                "SEPA_DEBTOR_BIC": self.bic.data, "BASE_URL": self.base_url.data}
