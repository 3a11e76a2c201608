from __future__ import annotations

from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..core.forms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    optional_int,
)
from ..core.i18n import _, _l
from .amounts import EU_COUNTRIES
from .models import TaxTreatment

if TYPE_CHECKING:
    from collections.abc import Iterable

    from wtforms import Field

try:
    from wtforms import SelectChoice
except ImportError:  # WTForms < 3.3 takes (value, label) pairs
    SelectChoice = None


def options(pairs: Iterable[tuple[object, str]]) -> list:
    """Select options from (value, label) pairs, as this WTForms version wants them."""
    return [SelectChoice(value, label) if SelectChoice else (value, label) for value, label in pairs]


TREATMENTS = options([(TaxTreatment.STANDARD.value, _l("19 %% VAT")),
                      (TaxTreatment.REDUCED.value, _l("7 %% VAT")),
                      (TaxTreatment.EXEMPT.value, _l("Exempt"))])
COUNTRIES = sorted(EU_COUNTRIES | {"CH", "GB", "NO", "US", "CA", "AU", "IN", "JP", "IL", "SG"})


class SponsorForm(FlaskForm):
    name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=200)])
    street = TextAreaField(_l("Street and number"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 2})
    postcode = StringField(_l("Postcode"), validators=[Length(max=20)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    country = SelectField(_l("Country"), choices=options((c, c) for c in COUNTRIES), default="DE")
    vat_id = StringField(_l("VAT ID"), validators=[Length(max=20)],
                         description=_l("Required for reverse charge (EU businesses outside Germany)."))
    billing_emails = TextAreaField(_l("Billing email addresses"), validators=[Length(max=1000)],
                                   description=_l("One per line; invoices and reminders go to all."),
                                   render_kw={"rows": 2})
    po_reference = StringField(_l("Purchase order reference"), validators=[Length(max=100)])
    language = SelectField(_l("Invoice language"), choices=options([("en", "English"), ("de", "Deutsch")]))
    contacts = TextAreaField(_l("Contacts"), validators=[Length(max=2000)], render_kw={"rows": 3},
                             description=_l("Names, roles, phone numbers."))
    notes = TextAreaField(_l("Internal notes"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Save"))

    def validate_billing_emails(self, field: Field):
        for address in (field.data or "").replace(",", "\n").splitlines():
            if address.strip():
                try:
                    validate_email(address.strip(), check_deliverability=False)
                except EmailNotValidError:
                    raise ValidationError(_("%(address)s is not an email address.",
                                            address=address.strip())) from None


class PackageForm(FlaskForm):
    name = StringField(_l("Package"), validators=[DataRequired(), Length(max=200)])
    event = StringField(_l("Event"), validators=[Length(max=200)])
    group = SelectField(_l("Member group"), coerce=optional_int, validate_choice=False)
    description = TextAreaField(_l("What is included"), validators=[Length(max=2000)],
                                render_kw={"rows": 3})
    price = StringField(_l("Price (net)"), validators=[DataRequired(), Length(max=30)])
    currency = SelectField(_l("Currency"))
    tax_treatment = SelectField(_l("VAT"), choices=TREATMENTS)
    exempt_reason = StringField(_l("Reason for exemption"), validators=[Length(max=300)])
    active = BooleanField(_l("Offered"), default=True)
    submit = SubmitField(_l("Save"))


class LineForm(Form):
    package = SelectField(_l("Package"), coerce=optional_int, validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)], render_kw={"rows": 1})
    quantity = StringField(_l("Qty"), default="1", validators=[Length(max=12)])
    unit_price = StringField(_l("Unit price (net)"), validators=[Length(max=30)])
    tax_treatment = SelectField(_l("VAT"), choices=TREATMENTS, validate_choice=False)
    exempt_reason = StringField(_l("Exemption reason"), validators=[Length(max=300)])

    def is_blank(self) -> bool:
        return not (self.package.data or (self.description.data or "").strip()
                    or (self.unit_price.data or "").strip())


class DraftForm(FlaskForm):
    sponsor = SelectField(_l("Sponsor"), coerce=optional_int, validators=[DataRequired()],
                          validate_choice=False)
    group = SelectField(_l("Member group (its fund receives the income)"), coerce=optional_int,
                        validate_choice=False)
    currency = SelectField(_l("Currency"))
    service_date = DateField(_l("Date of service (or start)"), validators=[DataRequired()])
    service_end = DateField(_l("End of service period"), validators=[Optional()])
    payment_days = IntegerField(_l("Payment terms (days)"), validators=[Optional(), NumberRange(0, 120)])
    po_reference = StringField(_l("Purchase order reference"), validators=[Length(max=100)],
                               description=_l("Leave empty to use the sponsor's."))
    notes = TextAreaField(_l("Note printed on the invoice"), validators=[Length(max=1000)],
                          render_kw={"rows": 2})
    lines = FieldList(FormField(LineForm), min_entries=3)
    add_line = SubmitField(_l("Add a line"))
    submit = SubmitField(_l("Save draft"))


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (printed on the cancellation invoice)"),
                         validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Issue cancellation invoice"))


class RefundForm(FlaskForm):
    amount = StringField(_l("Amount"), validators=[DataRequired(), Length(max=20)])
    payee_name = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=70)])
    iban = StringField("IBAN", validators=[DataRequired(), Length(max=42)])
    submit = SubmitField(_l("Pay back by SEPA transfer"))


class FilterForm(Form):
    status = SelectField(_l("Status"), choices=options([
        ("", _l("All")), ("draft", _l("Draft")), ("open", _l("Open")), ("overdue", _l("Overdue")),
        ("paid", _l("Paid")), ("cancelled", _l("Cancelled")),
        ("refunds", _l("Refunds to settle"))]), default="")
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=2000, max=2199)])
    sponsor = SelectField(_l("Sponsor"), coerce=optional_int, validate_choice=False)
    q = StringField(_l("Number or text"), validators=[Length(max=100)])
