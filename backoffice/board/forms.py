"""Forms of the board's pages: shape and field checks only (the rules are the services')."""
from __future__ import annotations

from datetime import date, time

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SubmitField, TimeField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..core.forms import (
    DateField,
    EmailField,
    IntegerField,
    StringField,
    TextAreaField,
    optional_int,
    options,
)
from .models import Function, InterestKind, Presence, SubjectKind
from .rules import (
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
MAJORITIES = options([("", "The body's rule")] + [(m.value, m.label.capitalize())
                                                   for m in Majority])


class MeetingForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    day = DateField("Day", validators=[DataRequired()])
    at = TimeField("Time (UTC)", validators=[DataRequired()], default=time(18, 0))
    place = StringField("Place", validators=[Optional(), Length(max=300)])
    video_link = StringField("Video link", validators=[Optional(), Length(max=500)])
    agenda = TextAreaField("Agenda", validators=[Optional(), Length(max=10_000)],
                           description="One item per line; more items (with what they decide) "
                                       "can be added on the meeting's page before the invitation.")
    submit = SubmitField("Schedule the meeting")


class ItemForm(FlaskForm):
    title = StringField("Item", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5_000)])
    subject_kind = SelectField("It decides on", choices=SUBJECTS, default="none")
    subject_id = IntegerField("Number of what it decides on", validators=[Optional()],
                              description="The grant application's, group's, write-off's or "
                                          "batch's number; the year for a budget or discharge; "
                                          "the meeting's for minutes.")
    any_other_business = BooleanField("Any other business (carries no resolution)")
    submit = SubmitField("Add the item")


class AttendanceForm(FlaskForm):
    presence = SelectField("Presence", choices=options((p.value, p.label) for p in Presence))
    proxy_holder = SelectField("Proxy held by", coerce=optional_int, choices=[],
                               validate_choice=False)
    submit = SubmitField("Record")


class MinutesForm(FlaskForm):
    minutes = TextAreaField("Minutes (Markdown)", validators=[Optional(), Length(max=50_000)])
    submit = SubmitField("Save the minutes")


class ResolutionForm(FlaskForm):
    title = StringField("Resolution", validators=[DataRequired(), Length(max=300)])
    text = TextAreaField("Text", validators=[DataRequired(), Length(max=20_000)])
    majority = SelectField("Majority", choices=MAJORITIES, default="")
    amount = StringField("Up to (amount, for money)", validators=[Optional(), Length(max=20)])
    public = BooleanField("Show on the public page")
    submit = SubmitField("Put to the vote")


class CircularForm(ResolutionForm):
    subject_kind = SelectField("It decides on", choices=SUBJECTS, default="none")
    subject_id = IntegerField("Number of what it decides on", validators=[Optional()])
    deadline = DateField("Votes by (end of day, UTC)", validators=[DataRequired()])
    submit = SubmitField("Send to every member")


class ApproveMinutesForm(FlaskForm):
    resolution = SelectField("Approved by resolution", coerce=optional_int, choices=[],
                             validate_choice=False)
    submit = SubmitField("Approve the minutes")


class AddendumForm(FlaskForm):
    text = TextAreaField("Correction (Markdown)", validators=[DataRequired(),
                                                              Length(max=20_000)])
    submit = SubmitField("Add the addendum")


class TermForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    function = SelectField("Function", choices=options((f.value, f.label) for f in Function),
                           default="member")
    start_on = DateField("From", validators=[DataRequired()], default=date.today)
    end_on = DateField("Until", validators=[Optional()])
    legal_person = BooleanField("Legal-person member")
    represents = BooleanField("Represents the association (§ 26 BGB)")
    submit = SubmitField("Appoint")


class EndTermForm(FlaskForm):
    end_on = DateField("Leaves on", validators=[DataRequired()], default=date.today)
    submit = SubmitField("End the term")


class InterestForm(FlaskForm):
    email = EmailField("Member's e-mail", validators=[DataRequired(), Email(), Length(max=254)])
    kind = SelectField("Kind", choices=options((k.value, k.value.capitalize())
                                               for k in InterestKind))
    group_id = IntegerField("Member group number", validators=[Optional()])
    sponsor_id = IntegerField("Sponsor number", validators=[Optional()])
    description = StringField("Interest", validators=[DataRequired(), Length(max=500)])
    start_on = DateField("From", validators=[DataRequired()], default=date.today)
    end_on = DateField("Until", validators=[Optional()])
    submit = SubmitField("Declare")


class VoteForm(FlaskForm):
    choice = SelectField("Your vote", choices=options((c.value, c.label) for c in Choice
                                                       if c is not Choice.INVALID))
    submit = SubmitField("Vote")


class CountForm(FlaskForm):
    submit = SubmitField("Close the vote and count")


class StepForm(FlaskForm):
    submit = SubmitField("Go")




def _choices(enum, labels=None):
    return options((member.value, (labels or {}).get(member.value)
                    or getattr(member, "label", member.value.replace("_", " ")).capitalize())
                   for member in enum)


class RulesForm(FlaskForm):
    """A body's decision rules as its statutes set them (``rules.BodyRules``)."""

    notice_days = IntegerField("Notice period (days)", validators=[Optional()])
    notice_counting = SelectField("Counted", choices=_choices(NoticeCounting, {
        "day_after_sending": "From the day after sending (§§ 187, 188 BGB)",
        "same_day": "From the sending day"}))
    channel = SelectField("Invitation by", choices=_choices(Channel, {"email": "E-mail",
                                                                      "letter": "Letter"}))
    quorum = SelectField("Quorum", choices=_choices(QuorumKind, {
        "none": "None: quorate however many attend", "number": "A number of members",
        "share": "A share of the members"}))
    quorum_number = IntegerField("Members needed (for a number)", validators=[Optional()])
    quorum_numerator = IntegerField("Share needed: numerator", validators=[Optional()])
    quorum_denominator = IntegerField("Share needed: denominator", validators=[Optional()])
    recheck_quorum = BooleanField("Quorum checked again before every vote")
    basis = SelectField("Majority measured against", choices=_choices(Basis))
    majority = SelectField("Ordinary resolutions need", choices=_choices(Majority))
    statute_majority = SelectField("Statute changes need", choices=_choices(Majority))
    proxies = BooleanField("Proxies allowed")
    proxies_per_holder = IntegerField("Proxies one member may hold", validators=[Optional()])
    person_weight = IntegerField("Votes per person", validators=[Optional()])
    legal_person_weight = IntegerField("Votes per legal-person member", validators=[Optional()])
    chair_casting_vote = BooleanField("A tie: the chair's vote decides (casting vote)")
    circular = SelectField("Circular resolutions", choices=_choices(CircularRule, {
        "unanimous": "Every member must consent (§ 32(3) BGB)",
        "majority": "The same majority as at a meeting (the statutes allow it)",
        "us_consent": "Unanimous written consent, revocable until the last (US)"}))
    circular_days = IntegerField("Default deadline of a circular vote (days)",
                                 validators=[Optional()])
    submit = SubmitField("Save the rules")

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
