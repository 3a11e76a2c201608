"""Forms of the payout batch pages."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import DataRequired, Length

from ..core.forms import DateField, StringField


class BatchForm(FlaskForm):
    requested_on = DateField("Execution date", validators=[DataRequired()], default=date.today,
                             description="The day the bank should pay.")
    submit = SubmitField("Create the payout batch")


class ExecutedForm(FlaskForm):
    booked_on = DateField("Paid by the bank on", validators=[DataRequired()], default=date.today)
    submit = SubmitField("Mark as executed")


class CancelBatchForm(FlaskForm):
    reason = StringField("Why is the batch cancelled?", validators=[DataRequired(), Length(max=500)])
    submit = SubmitField("Cancel the batch")
