"""The receipts' forms: the year-end run, and the reason a receipt is cancelled or replaced."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange

from ...core.forms import IntegerField, StringField
from ...core.i18n import _l


class YearEndForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2199)])
    send = BooleanField(_l("Mail each receipt to its donor (PDF attached)"), default=True)
    submit = SubmitField(_l("Issue the year's receipts"))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Confirm"))
