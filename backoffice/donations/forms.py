from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import (
    DateField,
    EmailField,
    SelectField,
    SpamGuardMixin,
    StringField,
    TextAreaField,
    options,
)
from ..core.i18n import _l
from .donors import DonorDetails
from .models import LABELS, Channel, DonationKind, DonorKind, InKindOrigin, Language, PlanInterval

LANGUAGES = [(Language.EN.value, "English"), (Language.DE.value, "Deutsch")]  # each in its own
KINDS = [(kind.value, LABELS[kind]) for kind in DonorKind]


class DonorFieldsMixin:
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    donor_kind = SelectField(_l("Giving as"), choices=options(KINDS), default="person")
    email = EmailField(_l("Email"), validators=[Length(max=254)])
    street = StringField(_l("Street and number"), validators=[Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=20)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    country = StringField(_l("Country (two letters)"), validators=[Length(max=2)], default="DE")
    language = SelectField(_l("Language"), choices=options(LANGUAGES), default="en")

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

    amount = RadioField(_l("Amount"), validators=[Optional()], validate_choice=False)
    other_amount = StringField(_l("Another amount"), validators=[Length(max=20)])
    frequency = RadioField(_l("How often"), default="once", choices=options([
        ("once", _l("Once")), (PlanInterval.MONTH.value, _l("Monthly")),
        (PlanInterval.YEAR.value, _l("Yearly"))]))
    receipt_wanted = BooleanField(_l("I would like a donation receipt (needs your postal address)"))
    public_name = StringField(_l("Name on the public list of donors (leave empty to stay anonymous)"),
                              validators=[Length(max=100)])
    form_token = HiddenField()
    submit = SubmitField(_l("Continue to payment"))


class ByHandForm(DonorFieldsMixin, FlaskForm):
    """A treasurer records a gift: cash, a cheque, a transfer, or a gift in kind."""

    donor_id = StringField(_l("Existing donor (number, optional)"), validators=[Length(max=12)])
    iban = StringField(_l("IBAN (optional)"), validators=[Length(max=42)])
    fund = SelectField(_l("Fund"), validators=[DataRequired()])
    channel = SelectField(_l("How it came"), choices=options([
        (Channel.CASH.value, _l("Cash")), (Channel.CHEQUE.value, _l("Cheque")),
        (Channel.BANK.value, _l("Bank transfer")), (Channel.IN_KIND.value, _l("Gift in kind"))]),
        default="cash")
    kind = SelectField(_l("What it is"), choices=options([
        (DonationKind.MONEY.value, _l("Donation")),
        (DonationKind.MEMBERSHIP_FEE.value, _l("Membership fee"))]), default="money")
    amount = StringField(_l("Amount (or value of the gift in kind)"), validators=[DataRequired()])
    currency = SelectField(_l("Currency"), default="EUR")
    day = DateField(_l("Day of the gift"), validators=[DataRequired()])
    in_kind_description = TextAreaField(_l("Gift in kind: what it is"), validators=[Length(max=2000)],
                                        render_kw={"rows": 2})
    valuation_basis = TextAreaField(_l("Gift in kind: how its value was found"),
                                    validators=[Length(max=2000)], render_kw={"rows": 2})
    in_kind_origin = SelectField(_l("Gift in kind: from"), choices=options([
        (InKindOrigin.PRIVATE.value, _l("private assets")),
        (InKindOrigin.BUSINESS.value, _l("business assets (withdrawal value)")),
        (InKindOrigin.UNKNOWN.value, _l("the donor did not say"))]), default="unknown")
    account = SelectField(_l("Gift in kind: booked on"), validate_choice=False)
    goods_description = TextAreaField(
        _l("Goods or services given in return (US acknowledgment; empty: none)"),
        validators=[Length(max=2000)], render_kw={"rows": 2})
    goods_value = StringField(_l("Their good-faith value (same currency)"),
                              validators=[Length(max=20)])
    receipt_wanted = BooleanField(_l("Receipt wanted"))
    public_name = StringField(_l("Public name (optional)"), validators=[Length(max=100)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Record the donation"))


class DonorForm(DonorFieldsMixin, FlaskForm):
    consent_thanks = BooleanField(_l("Thank-you mails"))
    consent_public = BooleanField(_l("May be named on public donor lists"))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Save"))


class MergeForm(FlaskForm):
    other = StringField(_l("Merge this donor into the donor number"), validators=[
        DataRequired(), Length(max=12)])
    submit = SubmitField(_l("Merge"))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Confirm"))


class HandledForm(FlaskForm):
    """The treasurer's note on how a refund that waited for them was handled."""

    note = TextAreaField(_l("How was it handled?"), validators=[DataRequired(), Length(max=2000)],
                         render_kw={"rows": 2})
    submit = SubmitField(_l("Mark as handled"))


class PageForm(FlaskForm):
    fund = SelectField(_l("Fund"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[Length(max=200)])
    purpose = TextAreaField(_l("Purpose (shown on the page)"), validators=[Length(max=5000)],
                            render_kw={"rows": 3})
    currency = SelectField(_l("Currency"), default="EUR")
    suggested = StringField(_l("Suggested amounts (major units, comma-separated)"),
                            default="10, 25, 50, 100", validators=[Length(max=200)])
    enabled = BooleanField(_l("The page takes donations"), default=True)
    allow_recurring = BooleanField(_l("Monthly and yearly gifts"), default=True)
    public_donor_list = BooleanField(_l("Show the public list of donors who agreed"), default=False)
    submit = SubmitField(_l("Save the page"))


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    fund = SelectField(_l("Fund"), validate_choice=False)
    channel = SelectField(_l("Channel"), choices=options([(c.value, LABELS[c]) for c in Channel], _l("All")),
                          validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    recurring = SelectField(_l("Recurring"), choices=options([("yes", _l("Recurring")),
                                                          ("no", _l("One-time"))], _l("All")),
                            validate_choice=False)
