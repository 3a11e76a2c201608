"""The reports' filter forms (read from the query string: no CSRF, nothing is changed)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.forms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    optional_int,
    options,
)
from ..core.i18n import _l

MONTHS = (_l("January"), _l("February"), _l("March"), _l("April"), _l("May"), _l("June"),
          _l("July"), _l("August"), _l("September"), _l("October"), _l("November"),
          _l("December"))


class _Filters(FlaskForm):
    class Meta:
        csrf = False


class AsOfForm(_Filters):
    as_of = DateField(_l("As of"), validators=[Optional()])


class PeriodForm(_Filters):
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    by = SelectField(_l("Columns"), choices=options([("group", _l("Fund groups")),
                                                     ("fund", _l("Funds"))]),
                     default="group", validators=[Optional()])


class YearForm(_Filters):
    year = IntegerField(_l("Fiscal year"), validators=[Optional(), NumberRange(1900, 2199)])


class VatPeriodForm(_Filters):
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(1900, 2199)])
    period = SelectField(_l("Period"), choices=options(
        [(f"Q{q}", _l("Quarter %(number)s", number=q)) for q in range(1, 5)]
        + [(f"M{m:02d}", MONTHS[m - 1]) for m in range(1, 13)]),
        default="Q1", validators=[Optional()])


class BudgetUploadForm(FlaskForm):
    file = FileField(_l("Budget workbook (.xlsx)"), validators=[FileRequired()])
    note = StringField(_l("What changed"), validators=[Length(max=500)])


class BudgetLinesForm(FlaskForm):
    """The budget entered on the page: one text area, a line per plan ("account fund amount")."""

    lines = TextAreaField(_l("Lines"), validators=[DataRequired(), Length(max=200_000)])
    note = StringField(_l("What changed"), validators=[Length(max=500)])


class ApproveBudgetForm(FlaskForm):
    resolution = SelectField(_l("Board resolution"), coerce=optional_int,
                             validators=[DataRequired(message=_l("Choose the resolution."))])


class PostingSphereForm(FlaskForm):
    sphere = SelectField(_l("Sphere"), validators=[DataRequired()])
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class ClearPostingSphereForm(FlaskForm):
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=300)])


class SphereForm(FlaskForm):
    account = SelectField(_l("Account"), coerce=optional_int, validators=[DataRequired()])
    sphere = SelectField(_l("Sphere"), validators=[DataRequired()])
