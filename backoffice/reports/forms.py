"""The reports' filter forms (read from the query string: no CSRF, nothing is changed)."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.forms import (
    DateField,
    IntegerField,
    StringField,
    TextAreaField,
    optional_int,
    options,
)


class _Filters(FlaskForm):
    class Meta:
        csrf = False


class AsOfForm(_Filters):
    as_of = DateField("As of", validators=[Optional()])


class PeriodForm(_Filters):
    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])
    by = SelectField("Columns", choices=options([("group", "Fund groups"), ("fund", "Funds")]),
                     default="group", validators=[Optional()])


class YearForm(_Filters):
    year = IntegerField("Fiscal year", validators=[Optional(), NumberRange(1900, 2199)])


class VatPeriodForm(_Filters):
    year = IntegerField("Year", validators=[Optional(), NumberRange(1900, 2199)])
    period = SelectField("Period", choices=options(
        [(f"Q{q}", f"Quarter {q}") for q in range(1, 5)]
        + [(f"M{m:02d}", date(2000, m, 1).strftime("%B")) for m in range(1, 13)]),
        default="Q1", validators=[Optional()])


class BudgetUploadForm(FlaskForm):
    file = FileField("Budget workbook (.xlsx)", validators=[FileRequired()])
    note = StringField("What changed", validators=[Length(max=500)])


class BudgetLinesForm(FlaskForm):
    """The budget entered on the page: one text area, a line per plan ("account fund amount")."""

    lines = TextAreaField("Lines", validators=[DataRequired(), Length(max=200_000)])
    note = StringField("What changed", validators=[Length(max=500)])


class ApproveBudgetForm(FlaskForm):
    resolution = SelectField("Board resolution", coerce=optional_int,
                             validators=[DataRequired(message="Choose the resolution.")])


class PostingSphereForm(FlaskForm):
    sphere = SelectField("Sphere", validators=[DataRequired()])
    reason = StringField("Why", validators=[DataRequired(), Length(max=300)])


class ClearPostingSphereForm(FlaskForm):
    reason = StringField("Why", validators=[DataRequired(), Length(max=300)])


class SphereForm(FlaskForm):
    account = SelectField("Account", coerce=optional_int, validators=[DataRequired()])
    sphere = SelectField("Sphere", validators=[DataRequired()])
