"""Forms of the auditors' checklist pages: shape and field checks only (``board.audit`` rules)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.forms import IntegerField, SelectField, TextAreaField
from ..core.i18n import _l
from .audit import NOTE_MAX, SAMPLE_MAX


class StartAuditForm(FlaskForm):
    auditors = SelectField(_l("Auditors"), coerce=int, validators=[DataRequired()])
    year = IntegerField(_l("Fiscal year (the year it begins in)"), validators=[
        DataRequired(), NumberRange(1900, 2199)])
    submit = SubmitField(_l("Start the audit"))


class DrawForm(FlaskForm):
    size = IntegerField(_l("Entries to draw"), default=10,
                        validators=[DataRequired(), NumberRange(1, SAMPLE_MAX)])
    seed = IntegerField(_l("Seed (empty: a new one, recorded)"),
                        validators=[Optional(), NumberRange(0, 2 ** 31 - 1)])
    submit = SubmitField(_l("Draw the random sample"))


class PickForm(FlaskForm):
    entry = IntegerField(_l("Entry number"), validators=[DataRequired(), NumberRange(1, 2 ** 31 - 1)])
    submit = SubmitField(_l("Add to the sample"))


class MarkForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    check = SubmitField(_l("Checked"))
    query = SubmitField(_l("Query"))


class ReportForm(FlaskForm):
    text = TextAreaField(_l("Report"), validators=[DataRequired(), Length(max=20_000)])
    findings = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=20_000)])
    recommend_discharge = BooleanField(_l("We recommend that the assembly discharge the board"))
    submit = SubmitField(_l("Finish: write the report"))
