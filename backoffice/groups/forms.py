from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import DateField, EmailField, SpamGuardMixin, StringField, TextAreaField, options
from .models import GroupKind, GroupStatus
from .services import AGREEMENT_FIELDS, PROFILE_FIELDS, countries

KINDS = [(k.value, k.label) for k in GroupKind]


class GroupProfileForm(FlaskForm):
    name = StringField("Name of the group", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=options(KINDS))
    city = StringField("City", validators=[Length(max=100)])
    country = SelectField("Country", choices=options(countries().items(), "Choose a country"))
    website = StringField("Website", validators=[Length(max=300)],
                          render_kw={"placeholder": "https://"})
    contact_email = EmailField("Contact email of the group", validators=[Length(max=254)])
    founded_on = DateField("Founded on", validators=[Optional()])
    description = TextAreaField("What the group does", validators=[Length(max=5000)],
                                render_kw={"rows": 3})
    coc_contact = StringField("Code-of-conduct contact", validators=[Length(max=254)],
                              description="Who attendees write to about a code-of-conduct "
                                          "incident (a name and an email address).")

    def profile(self) -> dict:
        """The profile fields this form has, for ``services.apply`` / ``update_group``."""
        return {name: self[name].data for name in (*PROFILE_FIELDS, *AGREEMENT_FIELDS)
                if name in self}


class ContactForm(Form):
    name = StringField("Name", validators=[Length(max=200)])
    email = EmailField("Email", validators=[Length(max=254)])


class JoinForm(GroupProfileForm):
    needs = TextAreaField("What do you need from the association?",
                          validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 3},
                          description="For example: a bank account for sponsorship money, "
                                      "paying the venue, insurance for events.")
    contacts = FieldList(FormField(ContactForm), min_entries=3, max_entries=5)
    submit = SubmitField("Send the application")

    def contact_pairs(self) -> list[tuple[str, str]]:
        return [(c.form.name.data or "", c.form.email.data or "") for c in self.contacts]


class PublicJoinForm(SpamGuardMixin, JoinForm):
    """``JoinForm`` as anybody may send it: with the honeypot and the signed start time."""


class GroupEditForm(GroupProfileForm):
    needs = TextAreaField("What the group needs", validators=[Length(max=5000)],
                          render_kw={"rows": 2})
    agreement_version = StringField("Agreement version", validators=[Length(max=20)])
    agreement_signed_on = DateField("Signed on", validators=[Optional()])
    agreement_signed_by = StringField("Signed by", validators=[Length(max=200)])
    submit = SubmitField("Save")


class ApproveForm(FlaskForm):
    agreement_version = StringField("Agreement version", validators=[DataRequired(), Length(max=20)])
    agreement_signed_on = DateField("Signed on", validators=[DataRequired()], default=date.today)
    agreement_signed_by = StringField("Signed by (for the group)",
                                      validators=[DataRequired(), Length(max=200)])
    fee_percent = StringField("Admin fee (%)", validators=[DataRequired(), Length(max=6)],
                              description="On sponsorship, donations and ticket income.")
    approve = SubmitField("Approve and open the fund")


class DeclineForm(FlaskForm):
    reason = TextAreaField("Why is the application declined?",
                           validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 3},
                           description="The applicants receive this text.")
    decline = SubmitField("Decline the application")


class StatusForm(FlaskForm):
    status = SelectField("New status", choices=options((s.value, s.label) for s in (
        GroupStatus.ACTIVE, GroupStatus.DORMANT, GroupStatus.DISSOLVED)))
    reason = StringField("Reason", validators=[DataRequired(), Length(max=2000)])
    change = SubmitField("Change status")


class OrganiserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Length(max=200)])
    add = SubmitField("Add organiser")


class DirectoryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", choices=options(((s.value, s.label) for s in GroupStatus),
                                                   "Any status"), validators=[Optional()])
    kind = SelectField("Kind", choices=options(KINDS, "Any kind"), validators=[Optional()])
    country = SelectField("Country", choices=options(countries().items(), "Any country"),
                          validators=[Optional()])
    q = StringField("Name or city", validators=[Optional(), Length(max=100)])
