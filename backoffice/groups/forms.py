from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..core import clock
from ..core.forms import (
    DateField,
    EmailField,
    SelectField,
    SpamGuardMixin,
    StringField,
    TextAreaField,
    current_locale,
    options,
)
from ..core.i18n import N_, _, _l
from .models import GroupKind, GroupStatus
from .services import AGREEMENT_FIELDS, PROFILE_FIELDS, countries


def _kinds(blank: str | None = None):
    return lambda: options(((k.value, k.label) for k in GroupKind), blank and _(blank))


def _countries(blank: str):
    return lambda: options(countries(current_locale()).items(), _(blank))


class GroupProfileForm(FlaskForm):
    name = StringField(_l("Name of the group"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=_kinds())
    city = StringField(_l("City"), validators=[Length(max=100)])
    country = SelectField(_l("Country"), choices=_countries(N_("Choose a country")))
    website = StringField(_l("Website"), validators=[Length(max=300)],
                          render_kw={"placeholder": "https://"})
    contact_email = EmailField(_l("Contact email of the group"), validators=[Length(max=254)])
    founded_on = DateField(_l("Founded on"), validators=[Optional()])
    description = TextAreaField(_l("What the group does"), validators=[Length(max=5000)],
                                render_kw={"rows": 3})
    coc_contact = StringField(_l("Code-of-conduct contact"), validators=[Length(max=254)],
                              description=_l("Who attendees write to about a code-of-conduct "
                                          "incident (a name and an email address)."))

    def profile(self) -> dict:
        """The profile fields this form has, for ``services.apply`` / ``update_group``."""
        return {name: self[name].data for name in (*PROFILE_FIELDS, *AGREEMENT_FIELDS)
                if name in self}


class ContactForm(Form):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    email = EmailField(_l("Email"), validators=[Length(max=254)])


class JoinForm(GroupProfileForm):
    needs = TextAreaField(_l("What do you need from the association?"),
                          validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3},
                          description=_l("For example: a bank account for sponsorship money, "
                                      "paying the venue, insurance for events."))
    contacts = FieldList(FormField(ContactForm), min_entries=3, max_entries=5)
    submit = SubmitField(_l("Send the application"))

    def contact_pairs(self) -> list[tuple[str, str]]:
        return [(c.form.name.data or "", c.form.email.data or "") for c in self.contacts]


class PublicJoinForm(SpamGuardMixin, JoinForm):
    """``JoinForm`` as anybody may send it: with the honeypot and the signed start time."""


class GroupEditForm(GroupProfileForm):
    needs = TextAreaField(_l("What the group needs"), validators=[Length(max=5000)],
                          render_kw={"rows": 2})
    agreement_version = StringField(_l("Agreement version"), validators=[Length(max=20)])
    agreement_signed_on = DateField(_l("Signed on"), validators=[Optional()])
    agreement_signed_by = StringField(_l("Signed by"), validators=[Length(max=200)])
    submit = SubmitField(_l("Save"))


class ApproveForm(FlaskForm):
    agreement_version = StringField(_l("Agreement version"), validators=[DataRequired(), Length(max=20)])
    agreement_signed_on = DateField(_l("Signed on"), validators=[DataRequired()], default=clock.today)
    agreement_signed_by = StringField(_l("Signed by (for the group)"),
                                      validators=[DataRequired(), Length(max=200)])
    fee_percent = StringField(_l("Admin fee (%%)"), validators=[DataRequired(), Length(max=6)],
                              description=_l("On sponsorship, donations and ticket income."))
    approve = SubmitField(_l("Approve and open the fund"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why is the application declined?"),
                           validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 3},
                           description=_l("The applicants receive this text."))
    decline = SubmitField(_l("Decline the application"))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=options((s.value, s.label) for s in (
        GroupStatus.ACTIVE, GroupStatus.DORMANT, GroupStatus.DISSOLVED)))
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    change = SubmitField(_l("Change status"))


class OrganiserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    add = SubmitField(_l("Add organiser"))


class DirectoryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=lambda: options(
        ((s.value, s.label) for s in GroupStatus), _("Any status")), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=_kinds(N_("Any kind")), validators=[Optional()])
    country = SelectField(_l("Country"), choices=_countries(N_("Any country")),
                          validators=[Optional()])
    q = StringField(_l("Name or city"), validators=[Optional(), Length(max=100)])
