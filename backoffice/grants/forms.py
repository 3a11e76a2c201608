"""Forms of the grants package: shapes and field checks only (the rules live in the phase modules)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    MultipleFileField,
    RadioField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from ..core.errors import ValidationError
from ..core.forms import (
    DateField,
    IntegerField,
    SelectField,
    SpamGuardMixin,
    StringField,
    TextAreaField,
    current_locale,
    optional_int,
    options,
    user_text,
)
from ..core.i18n import _, _l
from ..core.money import Money
from .applying import ApplicationInput
from .models import QuestionKind, Vote

if TYPE_CHECKING:
    from typing import Any

    from wtforms import BaseForm, Field

    from .models import Programme, Question


class MoneyField(StringField):
    """An amount typed in the form's currency (``form.money_currency``) and the reader's locale.

    ``minimum`` is the smallest acceptable amount in minor units (1: positive, 0: zero allowed).
    The parsed value is in ``.money`` (None when empty).
    """

    def __init__(self, label: str | None = None, validators: list[Any] | None = None, minimum: int = 1, **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.money: Money | None = None

    def post_validate(self, form: BaseForm, validation_stopped: bool):
        self.money = None
        text = (self.data or "").strip()
        if not text or self.errors:
            return
        try:
            money = Money.parse(text, getattr(form, "money_currency", "EUR"), current_locale())
        except ValidationError as error:
            self.errors.append(str(error))
            return
        if money.amount < self.minimum:
            self.errors.append(_("Enter a positive amount.") if self.minimum else
                               _("The amount cannot be negative."))
            return
        self.money = money


# --- applying ----------------------------------------------------------------------------------

class BudgetLineForm(Form):
    item = StringField(_l("What the money pays for"), validators=[Optional(), Length(max=200)])
    amount = MoneyField(_l("Amount"), validators=[Optional(), Length(max=30)])

    def is_blank(self) -> bool:
        return not ((self.item.data or "").strip() or (self.amount.data or "").strip())


class ApplicationForm(SpamGuardMixin, FlaskForm):
    group_id = SelectField(_l("Member group"), coerce=optional_int, validators=[Optional()])
    applicant_name = StringField(_l("Name of the group or project"),
                                 validators=[Optional(), Length(max=200)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_email = StringField(_l("Email"), validators=[DataRequired(_l("We need an email address to send you the link.")),
                                                     Email(_l("Enter a valid email address.")),
                                                     Length(max=254)])
    title = StringField(_l("Event or purpose"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("What is it, who is it for, and what will the grant pay for?"),
                                validators=[Optional(), Length(max=10000)])
    event_start = DateField(_l("Starts on"), validators=[Optional()])
    event_end = DateField(_l("Ends on"), validators=[Optional()],
                          description=_l("Leave empty for a one-day event."))
    expected_attendance = IntegerField(_l("Expected attendance"),
                                       validators=[Optional(), NumberRange(min=0, max=1_000_000,
                                                                           message=_l("Enter a number of people."))])
    budget = FieldList(FormField(BudgetLineForm), min_entries=3, max_entries=60)
    amount_requested = MoneyField(_l("Amount requested"), validators=[Optional(), Length(max=30)])
    other_funding = TextAreaField(_l("Other funding"),
                                  validators=[Optional(), Length(max=5000)],
                                  description=_l("Sponsors, tickets, other grants: who gives how much."))
    account_holder = StringField(_l("Account holder"), validators=[Optional(), Length(max=70)])
    iban = StringField(_l("IBAN"), validators=[Optional(), Length(max=42)])
    attachments = MultipleFileField(_l("Documents (PDF)"))
    add_line = SubmitField(_l("Add a budget line"))
    save = SubmitField(_l("Save draft"))
    submit = SubmitField(_l("Submit application"))

    def validate_budget(self, field: FieldList):
        for line in field:
            if line.is_blank():
                continue
            if not (line.item.data or "").strip():
                line.item.errors = [*line.item.errors, _l("Say what this is for.")]
            if not (line.amount.data or "").strip():
                line.amount.errors = [*line.amount.errors, _l("Enter the amount.")]

    @property
    def questions(self):
        return [getattr(self, name) for name in getattr(self, "question_keys", [])]

    def to_input(self) -> ApplicationInput:
        return ApplicationInput(
            contact_email=self.contact_email.data or "", group_id=self.group_id.data,
            applicant_name=self.applicant_name.data or "",
            contact_name=self.contact_name.data or "", title=self.title.data or "",
            description=self.description.data or "", event_start=self.event_start.data,
            event_end=self.event_end.data, expected_attendance=self.expected_attendance.data,
            amount_requested=self.amount_requested.money,
            other_funding=self.other_funding.data or "",
            budget_lines=[(line.item.data.strip(), line.amount.money)
                          for line in self.budget if not line.is_blank()
                          and line.amount.money is not None],
            answers={key: ("" if getattr(self, key).data is None else
                           str(getattr(self, key).data).strip())
                     for key in getattr(self, "question_keys", [])},
            account_holder=self.account_holder.data or "", iban=self.iban.data or "")


def _question_field(question: Question):
    extra = {"description": user_text(question.help_text)}
    label = question.label if question.required else _("%(label)s (optional)",
                                                          label=question.label)
    if question.kind is QuestionKind.TEXT:
        return TextAreaField(label, validators=[Optional(), Length(max=5000)], **extra)
    if question.kind is QuestionKind.NUMBER:
        def numeric(form: BaseForm, field: Field):
            try:
                float((field.data or "").replace(",", "."))
            except ValueError:
                raise FieldError(_("Enter a number.")) from None
        return StringField(label, validators=[Optional(), Length(max=30), numeric], **extra)
    if question.kind is QuestionKind.CHOICE:
        return SelectField(label, choices=options(((c, c) for c in question.choice_list),
                                                  blank=_("Choose…")),
                           validators=[Optional()], **extra)
    return RadioField(label, choices=options([("yes", _("Yes")), ("no", _("No"))]),
                      validators=[Optional()], **extra)


def application_form(programme: Programme, *args: Any, **kwargs: Any) -> ApplicationForm:
    """The application form with the programme's own questions added."""
    questions = [q for q in programme.questions if q.active]
    form_class = type("ProgrammeApplicationForm", (ApplicationForm,),
                      {q.key: _question_field(q) for q in questions})
    form = form_class(*args, **kwargs)
    form.question_keys = [q.key for q in questions]
    form.money_currency = programme.currency
    return form


class ResendLinkForm(SpamGuardMixin, FlaskForm):
    email = StringField(_l("Email you applied with"),
                        validators=[DataRequired(_l("Enter your email address.")),
                                    Email(_l("Enter a valid email address.")), Length(max=254)])
    submit = SubmitField(_l("Email me my links"))


# --- the applicant's status page -------------------------------------------------------------------

class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[DataRequired(_l("Write your answer.")),
                                                      Length(max=10000)])
    files = MultipleFileField(_l("Documents (PDF, optional)"))
    send_answer = SubmitField(_l("Send answer"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why (optional)"), validators=[Optional(), Length(max=2000)])
    withdraw = SubmitField(_l("Withdraw the application"))


class ReportForm(FlaskForm):
    narrative = TextAreaField(_l("How did it go?"), validators=[DataRequired(_l("Tell us how it went.")),
                                                            Length(max=20000)])
    attendance = IntegerField(_l("People who took part"),
                              validators=[DataRequired(_l("Give the number of people.")),
                                          NumberRange(min=0, max=1_000_000)])
    amount_spent = MoneyField(_l("Grant money spent"), minimum=0,
                              validators=[DataRequired(_l("Enter the amount spent."))])
    unused = MoneyField(_l("Unused amount you will return"), minimum=0, default="0",
                        validators=[DataRequired(_l("Enter the unused amount (0 if none)."))])
    receipts = MultipleFileField(_l("Receipts (PDF, JPEG or PNG)"))
    send_report = SubmitField(_l("Send report"))


# --- the committee's side --------------------------------------------------------------------------

class RequestInfoForm(FlaskForm):
    question = TextAreaField(_l("Question for the applicant"),
                             validators=[DataRequired(_l("Write the question.")), Length(max=5000)])
    submit = SubmitField(_l("Ask the applicant"))


class ScoreForm(FlaskForm):
    score = SelectField(_l("Score"), coerce=optional_int, validators=[Optional()],
                        choices=options([(5, _l("5 excellent")), (4, _l("4 good")), (3, _l("3 fair")),
                                         (2, _l("2 weak")), (1, _l("1 poor"))], blank="—"))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=10000)])
    submit = SubmitField(_l("Save review"))


class ConflictForm(FlaskForm):
    note = StringField(_l("What is the conflict?"),
                       validators=[DataRequired(_l("Say briefly what the conflict is.")),
                                   Length(max=500)])
    submit = SubmitField(_l("Declare conflict of interest"))


class VoteForm(FlaskForm):
    vote = RadioField(_l("Your vote"), choices=options((v.value, v.label) for v in Vote),
                      validators=[DataRequired(_l("Choose yes, no or abstain."))])
    submit = SubmitField(_l("Cast vote"))


class AssignForm(FlaskForm):
    reviewer = SelectField(_l("Reviewer"), coerce=optional_int,
                           validators=[DataRequired(_l("Choose a reviewer."))])
    submit = SubmitField(_l("Assign"))


class ApproveForm(FlaskForm):
    amount = MoneyField(_l("Amount awarded"), validators=[DataRequired(_l("Enter the amount."))])
    conditions = TextAreaField(_l("Conditions (printed in the award letter)"),
                               validators=[Optional(), Length(max=5000)])
    note = TextAreaField(_l("Message to the applicant (optional)"),
                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Approve and commit the money"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the applicant)"),
                           validators=[DataRequired(_l("Give a reason.")), Length(max=5000)])
    submit = SubmitField(_l("Confirm"))


class ReduceForm(FlaskForm):
    amount = MoneyField(_l("New amount"), validators=[DataRequired(_l("Enter the new amount."))])
    reason = TextAreaField(_l("Reason (sent to the applicant)"),
                           validators=[DataRequired(_l("Give a reason.")), Length(max=2000)])
    submit = SubmitField(_l("Reduce the grant"))


class DisburseForm(FlaskForm):
    amount = MoneyField(_l("Amount to pay"), validators=[Optional()],
                        description=_l("Leave empty to pay everything not yet paid."))
    submit = SubmitField(_l("Make payable"))


class PayeeForm(FlaskForm):
    payee_name = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=70)])
    iban = StringField(_l("IBAN"), validators=[DataRequired(), Length(max=42)])


class CloseForm(FlaskForm):
    returned = MoneyField(_l("Unused amount received back"), minimum=0, default="0",
                          validators=[DataRequired(_l("Enter the amount (0 if none)."))])
    note = TextAreaField(_l("Message to the applicant (optional)"),
                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Accept the report and close the grant"))


# --- programmes ----------------------------------------------------------------------------------

class ProgrammeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Web address"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Lower-case letters, digits and dashes; the public page is /grants/p/ followed by it."))
    summary = StringField(_l("One-line summary"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])
    fund_id = SelectField(_l("Pays from fund"), coerce=optional_int, validators=[DataRequired()])
    currency = SelectField(_l("Currency"))
    max_per_grant = MoneyField(_l("Maximum per grant"), validators=[DataRequired()])
    min_lead_days = IntegerField(_l("Apply at least this many days before the event"), default=0,
                                 validators=[NumberRange(min=0, max=3650)])
    rules = TextAreaField(_l("Rules"), validators=[Optional(), Length(max=10000)],
                          description=_l("Markdown: **bold**, lists with -, [links](https://…)."))
    conditions = TextAreaField(_l("Standard conditions (award letter)"),
                               validators=[Optional(), Length(max=5000)])
    board_threshold = MoneyField(_l("Board resolution needed above"), validators=[Optional()],
                                 description=_l("Leave empty if the committee decides alone."))
    quorum = IntegerField(_l("Quorum (votes)"), default=3, validators=[NumberRange(min=1, max=50)])
    report_days = IntegerField(_l("Report due (days after the event)"), default=60,
                               validators=[NumberRange(min=0, max=3650)])
    uses_rounds = BooleanField(_l("Applications in rounds with deadlines"))
    accepting = BooleanField(_l("Taking applications"), default=True)
    public_list = BooleanField(_l("Publish awarded grants on the public list"))
    submit = SubmitField(_l("Save"))

    @property
    def money_currency(self):
        return self.currency.data or "EUR"


class BudgetForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2200)])
    amount = MoneyField(_l("Budget"), minimum=0, validators=[DataRequired()])
    submit = SubmitField(_l("Set budget"))


class QuestionForm(FlaskForm):
    label = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Answer"), choices=options((k.value, k.label) for k in QuestionKind))
    choices = TextAreaField(_l("Options (one per line, for a choice)"),
                            validators=[Optional(), Length(max=2000)])
    help_text = StringField(_l("Help text"), validators=[Optional(), Length(max=500)])
    required = BooleanField(_l("Required"), default=True)
    submit = SubmitField(_l("Add question"))


class RoundForm(FlaskForm):
    name = StringField(_l("Round"), validators=[DataRequired(), Length(max=120)])
    opens_on = DateField(_l("Opens on"), validators=[DataRequired()])
    deadline = DateField(_l("Deadline"), validators=[DataRequired()])
    submit = SubmitField(_l("Add round"))


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    programme = SelectField(_l("Programme"), coerce=optional_int, validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    mine = BooleanField(_l("Assigned to me"))
