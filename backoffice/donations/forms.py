from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import (
    DateField,
    EmailField,
    SpamGuardMixin,
    StringField,
    TextAreaField,
    options,
)
from .donors import DonorDetails
from .models import Channel, DonationKind, DonorKind, InKindOrigin, Language, PlanInterval

LANGUAGES = [(Language.EN.value, "English"), (Language.DE.value, "Deutsch")]
KINDS = [(DonorKind.PERSON.value, "A person"), (DonorKind.ORGANISATION.value, "An organisation")]


class DonorFieldsMixin:
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    donor_kind = SelectField("Giving as", choices=options(KINDS), default="person")
    email = EmailField("Email", validators=[Length(max=254)])
    street = StringField("Street and number", validators=[Length(max=200)])
    postcode = StringField("Postcode", validators=[Length(max=20)])
    city = StringField("City", validators=[Length(max=100)])
    country = StringField("Country (two letters)", validators=[Length(max=2)], default="DE")
    language = SelectField("Language", choices=options(LANGUAGES), default="en")

    def details(self, consent_public: bool | None = None,
                consent_thanks: bool | None = None) -> DonorDetails:
        return DonorDetails(
            name=self.name.data or "", email=self.email.data or "",
            kind=DonorKind(self.donor_kind.data or "person"), street=self.street.data or "",
            postcode=self.postcode.data or "", city=self.city.data or "",
            country=self.country.data or "", language=Language(self.language.data or "en"),
            consent_public=consent_public, consent_thanks=consent_thanks)


class DonateForm(SpamGuardMixin, DonorFieldsMixin, FlaskForm):
    """The public donation page."""

    amount = RadioField("Amount", validators=[Optional()], validate_choice=False)
    other_amount = StringField("Another amount", validators=[Length(max=20)])
    frequency = RadioField("How often", default="once", choices=options([
        ("once", "Once"), (PlanInterval.MONTH.value, "Monthly"),
        (PlanInterval.YEAR.value, "Yearly")]))
    receipt_wanted = BooleanField("I would like a donation receipt (needs your postal address)")
    public_name = StringField("Name on the public list of donors (leave empty to stay anonymous)",
                              validators=[Length(max=100)])
    form_token = HiddenField()
    submit = SubmitField("Continue to payment")


class ByHandForm(DonorFieldsMixin, FlaskForm):
    """A treasurer records a gift: cash, a cheque, a transfer, or a gift in kind."""

    donor_id = StringField("Existing donor (number, optional)", validators=[Length(max=12)])
    iban = StringField("IBAN (optional)", validators=[Length(max=42)])
    fund = SelectField("Fund", validators=[DataRequired()])
    channel = SelectField("How it came", choices=options([
        (Channel.CASH.value, "Cash"), (Channel.CHEQUE.value, "Cheque"),
        (Channel.BANK.value, "Bank transfer"), (Channel.IN_KIND.value, "Gift in kind")]),
        default="cash")
    kind = SelectField("What it is", choices=options([
        (DonationKind.MONEY.value, "Donation"),
        (DonationKind.MEMBERSHIP_FEE.value, "Membership fee")]), default="money")
    amount = StringField("Amount (or value of the gift in kind)", validators=[DataRequired()])
    currency = SelectField("Currency", default="EUR")
    day = DateField("Day of the gift", validators=[DataRequired()])
    in_kind_description = TextAreaField("Gift in kind: what it is", validators=[Length(max=2000)],
                                        render_kw={"rows": 2})
    valuation_basis = TextAreaField("Gift in kind: how its value was found",
                                    validators=[Length(max=2000)], render_kw={"rows": 2})
    in_kind_origin = SelectField("Gift in kind: from", choices=options([
        (InKindOrigin.PRIVATE.value, "private assets"),
        (InKindOrigin.BUSINESS.value, "business assets (withdrawal value)"),
        (InKindOrigin.UNKNOWN.value, "the donor did not say")]), default="unknown")
    account = SelectField("Gift in kind: booked on", validate_choice=False)
    goods_description = TextAreaField(
        "Goods or services given in return (US acknowledgment; empty: none)",
        validators=[Length(max=2000)], render_kw={"rows": 2})
    goods_value = StringField("Their good-faith value (same currency)",
                              validators=[Length(max=20)])
    receipt_wanted = BooleanField("Receipt wanted")
    public_name = StringField("Public name (optional)", validators=[Length(max=100)])
    note = TextAreaField("Note", validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField("Record the donation")


class DonorForm(DonorFieldsMixin, FlaskForm):
    consent_thanks = BooleanField("Thank-you mails")
    consent_public = BooleanField("May be named on public donor lists")
    notes = TextAreaField("Notes", validators=[Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField("Save")


class MergeForm(FlaskForm):
    other = StringField("Merge this donor into the donor number", validators=[
        DataRequired(), Length(max=12)])
    submit = SubmitField("Merge")


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Confirm")


class PageForm(FlaskForm):
    fund = SelectField("Fund", validators=[DataRequired()])
    title = StringField("Title", validators=[Length(max=200)])
    purpose = TextAreaField("Purpose (shown on the page)", validators=[Length(max=5000)],
                            render_kw={"rows": 3})
    currency = SelectField("Currency", default="EUR")
    suggested = StringField("Suggested amounts (major units, comma-separated)",
                            default="10, 25, 50, 100", validators=[Length(max=200)])
    enabled = BooleanField("The page takes donations", default=True)
    allow_recurring = BooleanField("Monthly and yearly gifts", default=True)
    public_donor_list = BooleanField("Show the public list of donors who agreed", default=False)
    submit = SubmitField("Save the page")


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    fund = SelectField("Fund", validate_choice=False)
    channel = SelectField("Channel", choices=options([(c.value, c.label) for c in Channel], "All"),
                          validate_choice=False)
    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])
    recurring = SelectField("Recurring", choices=options([("yes", "Recurring"),
                                                          ("no", "One-time")], "All"),
                            validate_choice=False)
