"""The reports' filter forms (read from the query string: no CSRF, nothing is changed)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import NumberRange, Optional

from ..core.forms import DateField, IntegerField, options


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
