"""Forms of the auditors' checklist pages: shape and field checks only (``board.audit`` rules)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.forms import IntegerField, TextAreaField
from .audit import NOTE_MAX, SAMPLE_MAX


class StartAuditForm(FlaskForm):
    auditors = SelectField("Auditors", coerce=int, validators=[DataRequired()])
    year = IntegerField("Fiscal year (the year it begins in)", validators=[
        DataRequired(), NumberRange(1900, 2199)])
    submit = SubmitField("Start the audit")


class DrawForm(FlaskForm):
    size = IntegerField("Entries to draw", default=10,
                        validators=[DataRequired(), NumberRange(1, SAMPLE_MAX)])
    seed = IntegerField("Seed (empty: a new one, recorded)",
                        validators=[Optional(), NumberRange(0, 2 ** 31 - 1)])
    submit = SubmitField("Draw the random sample")


class PickForm(FlaskForm):
    entry = IntegerField("Entry number", validators=[DataRequired(), NumberRange(1, 2 ** 31 - 1)])
    submit = SubmitField("Add to the sample")


class MarkForm(FlaskForm):
    note = TextAreaField("Note", validators=[Optional(), Length(max=NOTE_MAX)])
    check = SubmitField("Checked")
    query = SubmitField("Query")


class ReportForm(FlaskForm):
    text = TextAreaField("Report", validators=[DataRequired(), Length(max=20_000)])
    findings = TextAreaField("Findings", validators=[Optional(), Length(max=20_000)])
    recommend_discharge = BooleanField("We recommend that the assembly discharge the board")
    submit = SubmitField("Finish: write the report")
