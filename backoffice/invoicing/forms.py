from __future__ import annotations

from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..core.forms import DateField, IntegerField, StringField, TextAreaField, optional_int
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


TREATMENTS = options([(TaxTreatment.STANDARD.value, "19 % VAT"),
                      (TaxTreatment.REDUCED.value, "7 % VAT"), (TaxTreatment.EXEMPT.value, "Exempt")])
COUNTRIES = sorted(EU_COUNTRIES | {"CH", "GB", "NO", "US", "CA", "AU", "IN", "JP", "IL", "SG"})


class SponsorForm(FlaskForm):
    name = StringField("Legal name", validators=[DataRequired(), Length(max=200)])
    street = TextAreaField("Street and number", validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 2})
    postcode = StringField("Postcode", validators=[Length(max=20)])
    city = StringField("City", validators=[DataRequired(), Length(max=100)])
    country = SelectField("Country", choices=options((c, c) for c in COUNTRIES), default="DE")
    vat_id = StringField("VAT ID", validators=[Length(max=20)],
                         description="Required for reverse charge (EU businesses outside Germany).")
    billing_emails = TextAreaField("Billing email addresses", validators=[Length(max=1000)],
                                   description="One per line; invoices and reminders go to all.",
                                   render_kw={"rows": 2})
    po_reference = StringField("Purchase order reference", validators=[Length(max=100)])
    language = SelectField("Invoice language", choices=options([("en", "English"), ("de", "Deutsch")]))
    contacts = TextAreaField("Contacts", validators=[Length(max=2000)], render_kw={"rows": 3},
                             description="Names, roles, phone numbers.")
    notes = TextAreaField("Internal notes", validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField("Save")

    def validate_billing_emails(self, field: Field):
        for address in (field.data or "").replace(",", "\n").splitlines():
            if address.strip():
                try:
                    validate_email(address.strip(), check_deliverability=False)
                except EmailNotValidError:
                    raise ValidationError(f"{address.strip()} is not an email address.") from None


class PackageForm(FlaskForm):
    name = StringField("Package", validators=[DataRequired(), Length(max=200)])
    event = StringField("Event", validators=[Length(max=200)])
    group = SelectField("Member group", coerce=optional_int, validate_choice=False)
    description = TextAreaField("What is included", validators=[Length(max=2000)],
                                render_kw={"rows": 3})
    price = StringField("Price (net)", validators=[DataRequired(), Length(max=30)])
    currency = SelectField("Currency")
    tax_treatment = SelectField("VAT", choices=TREATMENTS)
    exempt_reason = StringField("Reason for exemption", validators=[Length(max=300)])
    active = BooleanField("Offered", default=True)
    submit = SubmitField("Save")


class LineForm(Form):
    package = SelectField("Package", coerce=optional_int, validate_choice=False)
    description = TextAreaField("Description", validators=[Length(max=2000)], render_kw={"rows": 1})
    quantity = StringField("Qty", default="1", validators=[Length(max=12)])
    unit_price = StringField("Unit price (net)", validators=[Length(max=30)])
    tax_treatment = SelectField("VAT", choices=TREATMENTS, validate_choice=False)
    exempt_reason = StringField("Exemption reason", validators=[Length(max=300)])

    def is_blank(self) -> bool:
        return not (self.package.data or (self.description.data or "").strip()
                    or (self.unit_price.data or "").strip())


class DraftForm(FlaskForm):
    sponsor = SelectField("Sponsor", coerce=optional_int, validators=[DataRequired()],
                          validate_choice=False)
    group = SelectField("Member group (its fund receives the income)", coerce=optional_int,
                        validate_choice=False)
    currency = SelectField("Currency")
    service_date = DateField("Date of service (or start)", validators=[DataRequired()])
    service_end = DateField("End of service period", validators=[Optional()])
    payment_days = IntegerField("Payment terms (days)", validators=[Optional(), NumberRange(0, 120)])
    po_reference = StringField("Purchase order reference", validators=[Length(max=100)],
                               description="Leave empty to use the sponsor's.")
    notes = TextAreaField("Note printed on the invoice", validators=[Length(max=1000)],
                          render_kw={"rows": 2})
    lines = FieldList(FormField(LineForm), min_entries=3)
    add_line = SubmitField("Add a line")
    submit = SubmitField("Save draft")


class CancelForm(FlaskForm):
    reason = StringField("Reason (printed on the cancellation invoice)",
                         validators=[DataRequired(), Length(max=300)])
    submit = SubmitField("Issue cancellation invoice")


class RefundForm(FlaskForm):
    amount = StringField("Amount", validators=[DataRequired(), Length(max=20)])
    payee_name = StringField("Account holder", validators=[DataRequired(), Length(max=70)])
    iban = StringField("IBAN", validators=[DataRequired(), Length(max=42)])
    submit = SubmitField("Pay back by SEPA transfer")


class FilterForm(Form):
    status = SelectField("Status", choices=options([
        ("", "All"), ("draft", "Draft"), ("open", "Open"), ("overdue", "Overdue"), ("paid", "Paid"),
        ("cancelled", "Cancelled"), ("refunds", "Refunds to settle")]), default="")
    year = IntegerField("Year", validators=[Optional(), NumberRange(min=2000, max=2199)])
    sponsor = SelectField("Sponsor", coerce=optional_int, validate_choice=False)
    q = StringField("Number or text", validators=[Length(max=100)])
