from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import DataRequired, Length

from ..auth.forms import CheckboxesField
from ..core import clock
from ..core.forms import DateField, StringField, options
from ..core.i18n import _l
from .models import IncomeKind


class FeePolicyForm(FlaskForm):
    rate = StringField(_l("Rate (%%)"), validators=[DataRequired(), Length(max=8)],
                       render_kw={"inputmode": "decimal"})
    kinds = CheckboxesField(_l("On income from"),
                            choices=options((k.value, k.value.capitalize()) for k in IncomeKind))
    effective_from = DateField(_l("From"), validators=[DataRequired()], default=clock.today)
    submit = SubmitField(_l("Add policy"))
