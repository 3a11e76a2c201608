"""Forms of the board's pages: shape and field checks only (the rules are the services')."""
from __future__ import annotations

from datetime import time

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TimeField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..core import clock
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
from .models import Function, InterestKind, Presence, SubjectKind
from .rules import (
    BASIS_NAMES,
    MAJORITY_NAMES,
    Basis,
    BodyRules,
    Channel,
    Choice,
    CircularRule,
    Majority,
    NoticeCounting,
    QuorumKind,
)

SUBJECTS = options((k.value, k.label) for k in SubjectKind)
MAJORITY_CHOICES = {m.value: label for m, label in MAJORITY_NAMES.items()}
MAJORITIES = options([("", _l("The body's rule"))] + [(m.value, MAJORITY_CHOICES[m.value])
                                                       for m in Majority])


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    day = DateField(_l("Day"), validators=[DataRequired()])
    at = TimeField(_l("Time"), validators=[DataRequired()], default=time(18, 0))
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    video_link = StringField(_l("Video link"), validators=[Optional(), Length(max=500)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=10_000)],
                           description=_l("One item per line; more items (with what they "
                                          "decide) can be added on the meeting's page before the "
                                          "invitation."))
    submit = SubmitField(_l("Schedule the meeting"))


class ItemForm(FlaskForm):
    title = StringField(_l("Item"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5_000)])
    subject_kind = SelectField(_l("It decides on"), choices=SUBJECTS, default="none")
    subject_id = IntegerField(_l("Number of what it decides on"), validators=[Optional()],
                              description=_l("The grant application's, group's, write-off's or "
                                             "batch's number; the year for a budget or "
                                             "discharge; the meeting's for minutes."))
    any_other_business = BooleanField(_l("Any other business (carries no resolution)"))
    submit = SubmitField(_l("Add the item"))


class AttendanceForm(FlaskForm):
    presence = SelectField(_l("Presence"), choices=options((p.value, p.label) for p in Presence))
    proxy_holder = SelectField(_l("Proxy held by"), coerce=optional_int, choices=[],
                               validate_choice=False)
    submit = SubmitField(_l("Record"))


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes (Markdown)"), validators=[Optional(), Length(max=50_000)])
    submit = SubmitField(_l("Save the minutes"))


class ResolutionForm(FlaskForm):
    title = StringField(_l("Resolution"), validators=[DataRequired(), Length(max=300)])
    text = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20_000)])
    majority = SelectField(_l("Majority"), choices=MAJORITIES, default="")
    amount = StringField(_l("Up to (amount, for money)"), validators=[Optional(), Length(max=20)])
    public = BooleanField(_l("Show on the public page"))
    submit = SubmitField(_l("Put to the vote"))


class CircularForm(ResolutionForm):
    subject_kind = SelectField(_l("It decides on"), choices=SUBJECTS, default="none")
    subject_id = IntegerField(_l("Number of what it decides on"), validators=[Optional()])
    deadline = DateField(_l("Votes by (end of day)"), validators=[DataRequired()])
    submit = SubmitField(_l("Send to every member"))


class ApproveMinutesForm(FlaskForm):
    resolution = SelectField(_l("Approved by resolution"), coerce=optional_int, choices=[],
                             validate_choice=False)
    submit = SubmitField(_l("Approve the minutes"))


class AddendumForm(FlaskForm):
    text = TextAreaField(_l("Correction (Markdown)"), validators=[DataRequired(),
                                                              Length(max=20_000)])
    submit = SubmitField(_l("Add the addendum"))


class TermForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    function = SelectField(_l("Function"), choices=options((f.value, f.label) for f in Function),
                           default="member")
    start_on = DateField(_l("From"), validators=[DataRequired()], default=clock.today)
    end_on = DateField(_l("Until"), validators=[Optional()])
    legal_person = BooleanField(_l("Legal-person member"))
    represents = BooleanField(_l("Represents the association (§ 26 BGB)"))
    submit = SubmitField(_l("Appoint"))


class EndTermForm(FlaskForm):
    end_on = DateField(_l("Leaves on"), validators=[DataRequired()], default=clock.today)
    submit = SubmitField(_l("End the term"))


class InterestForm(FlaskForm):
    email = EmailField(_l("Member's e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    kind = SelectField(_l("Kind"), choices=options((k.value, k.label) for k in InterestKind))
    group_id = IntegerField(_l("Member group number"), validators=[Optional()])
    sponsor_id = IntegerField(_l("Sponsor number"), validators=[Optional()])
    description = StringField(_l("Interest"), validators=[DataRequired(), Length(max=500)])
    start_on = DateField(_l("From"), validators=[DataRequired()], default=clock.today)
    end_on = DateField(_l("Until"), validators=[Optional()])
    submit = SubmitField(_l("Declare"))


class VoteForm(FlaskForm):
    choice = SelectField(_l("Your vote"), choices=options((c.value, c.label) for c in Choice
                                                       if c is not Choice.INVALID))
    submit = SubmitField(_l("Vote"))


class CountForm(FlaskForm):
    submit = SubmitField(_l("Close the vote and count"))


class StepForm(FlaskForm):
    submit = SubmitField(_l("Go"))




def _choices(enum, labels):
    return options((member.value, labels[member.value]) for member in enum)


BASES = {b.value: label for b, label in BASIS_NAMES.items()}


class RulesForm(FlaskForm):
    """A body's decision rules as its statutes set them (``rules.BodyRules``)."""

    notice_days = IntegerField(_l("Notice period (days)"), validators=[Optional()])
    notice_counting = SelectField(_l("Counted"), choices=_choices(NoticeCounting, {
        "day_after_sending": _l("From the day after sending (§§ 187, 188 BGB)"),
        "same_day": _l("From the sending day")}))
    channel = SelectField(_l("Invitation by"), choices=_choices(Channel, {"email": _l("E-mail"),
                                                                      "letter": _l("Letter")}))
    quorum = SelectField(_l("Quorum"), choices=_choices(QuorumKind, {
        "none": _l("None: quorate however many attend"), "number": _l("A number of members"),
        "share": _l("A share of the members")}))
    quorum_number = IntegerField(_l("Members needed (for a number)"), validators=[Optional()])
    quorum_numerator = IntegerField(_l("Share needed: numerator"), validators=[Optional()])
    quorum_denominator = IntegerField(_l("Share needed: denominator"), validators=[Optional()])
    recheck_quorum = BooleanField(_l("Quorum checked again before every vote"))
    basis = SelectField(_l("Majority measured against"), choices=_choices(Basis, BASES))
    majority = SelectField(_l("Ordinary resolutions need"), choices=_choices(Majority, MAJORITY_CHOICES))
    statute_majority = SelectField(_l("Statute changes need"), choices=_choices(Majority, MAJORITY_CHOICES))
    proxies = BooleanField(_l("Proxies allowed"))
    proxies_per_holder = IntegerField(_l("Proxies one member may hold"), validators=[Optional()])
    person_weight = IntegerField(_l("Votes per person"), validators=[Optional()])
    legal_person_weight = IntegerField(_l("Votes per legal-person member"), validators=[Optional()])
    chair_casting_vote = BooleanField(_l("A tie: the chair's vote decides (casting vote)"))
    circular = SelectField(_l("Circular resolutions"), choices=_choices(CircularRule, {
        "unanimous": _l("Every member must consent (§ 32(3) BGB)"),
        "majority": _l("The same majority as at a meeting (the statutes allow it)"),
        "us_consent": _l("Unanimous written consent, revocable until the last (US)")}))
    circular_days = IntegerField(_l("Default deadline of a circular vote (days)"),
                                 validators=[Optional()])
    submit = SubmitField(_l("Save the rules"))

    def fill(self, rules: BodyRules) -> None:
        for name, value in rules.as_json().items():
            if name == "quorum_share":
                self.quorum_numerator.data, self.quorum_denominator.data = value
            else:
                getattr(self, name).data = value

    def values(self) -> dict:
        """The rules as ``BodyRules.of`` reads them (it refuses what it cannot use)."""
        values = {name: getattr(self, name).data for name in BodyRules.__dataclass_fields__
                  if name != "quorum_share"}
        values["quorum_share"] = [self.quorum_numerator.data, self.quorum_denominator.data]
        return values
