"""Forms of the payout batch pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import DataRequired, Length

from ..core import clock
from ..core.forms import DateField, StringField
from ..core.i18n import _l


class BatchForm(FlaskForm):
    requested_on = DateField(_l("Execution date"), validators=[DataRequired()], default=clock.today,
                             description=_l("The day the bank should pay."))
    submit = SubmitField(_l("Create the payout batch"))


class ExecutedForm(FlaskForm):
    booked_on = DateField(_l("Paid by the bank on"), validators=[DataRequired()], default=clock.today)
    submit = SubmitField(_l("Mark as executed"))


class CancelBatchForm(FlaskForm):
    reason = StringField(_l("Why is the batch cancelled?"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Cancel the batch"))
