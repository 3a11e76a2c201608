from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import DataRequired, Length

from ..auth.forms import CheckboxesField
from ..core.forms import DateField, StringField, options
from .models import IncomeKind


class FeePolicyForm(FlaskForm):
    rate = StringField("Rate (%)", validators=[DataRequired(), Length(max=8)],
                       render_kw={"inputmode": "decimal"})
    kinds = CheckboxesField("On income from",
                            choices=options((k.value, k.value.capitalize()) for k in IncomeKind))
    effective_from = DateField("From", validators=[DataRequired()], default=date.today)
    submit = SubmitField("Add policy")
