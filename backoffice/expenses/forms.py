from __future__ import annotations

from typing import TYPE_CHECKING

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, MultipleFileField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..core.errors import ValidationError
from ..core.forms import (
    DateField,
    InputRefused,
    SelectField,
    StringField,
    TextAreaField,
    object_options,
    optional_int,
    options,
)
from ..core.i18n import _, _l, lazy_pgettext
from ..core.money import Money
from .services import LineInput

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..ledger.chart import Account, Fund


class ClaimLineForm(Form):
    spent_on = DateField(_l("Date"), validators=[Optional()])
    what = StringField(_l("What"), validators=[Length(max=200)])  # not "description": FormField has one
    category = SelectField(_l("Category"), coerce=optional_int, validate_choice=False)
    amount = StringField(_l("Amount"), validators=[Length(max=30)])

    def is_blank(self) -> bool:
        return not (self.spent_on.data or (self.what.data or "").strip()
                    or (self.amount.data or "").strip())


class ClaimForm(FlaskForm):
    fund = SelectField(_l("Fund"), coerce=optional_int, validators=[DataRequired(_l("Choose a fund."))])
    title = StringField(_l("Purpose"), validators=[DataRequired(), Length(max=200)],
                        render_kw={"placeholder": _l("e.g. Pizza and drinks for the March meetup")})
    payee_name = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=70)])
    iban = StringField(_l("IBAN"), validators=[DataRequired(), Length(max=42)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    bic = StringField(_l("BIC"), validators=[Length(max=11)],
                      description=_l("Only needed where it cannot be derived from the IBAN."))
    currency = SelectField(_l("Currency"))
    lines = FieldList(FormField(ClaimLineForm), min_entries=3, max_entries=50)
    receipts = MultipleFileField(_l("Files"), render_kw={
        "accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
        description=_l("PDF, JPEG or PNG; one file per receipt or a scan of all of them."))
    add_line = SubmitField(_l("Add a line"))
    submit = SubmitField(_l("Submit the claim"))

    def set_choices(self, funds: Iterable[Fund], categories: Iterable[Account], currencies: Iterable[str]) -> None:
        self.fund.choices = object_options(funds)
        self.currency.choices = options((c, c) for c in currencies)
        for line in self.lines:
            line.category.choices = options(((a.id, a.name) for a in categories), _("Choose"))

    def claim_lines(self, locale: str) -> list[LineInput]:
        """The lines that are filled in; ``InputRefused`` after marking each bad field."""
        lines, ok = [], True
        for line in self.lines:
            if line.is_blank():
                continue
            try:
                amount = Money.parse(line.amount.data, self.currency.data, locale)
            except ValidationError as error:
                line.amount.errors = [*line.amount.errors, str(error)]
                ok = False
                continue
            for field, message in ((line.spent_on, _("Give the date.")),
                                   (line.category, _("Choose a category."))):
                if not field.data:
                    field.errors = [*field.errors, message]
                    ok = False
            if ok:
                lines.append(LineInput(line.spent_on.data, line.what.data or "",
                                       line.category.data, amount))
        if not ok:
            raise InputRefused
        return lines


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment for the claimant"), validators=[Length(max=2000)],
                            render_kw={"rows": 2},
                            description=_l("Required when rejecting; the claimant reads it."))
    override_reason = TextAreaField(_l("Allow the fund to go below zero because"),
                                    validators=[Length(max=1000)], render_kw={"rows": 2})
    approve = SubmitField(lazy_pgettext("claim", "Approve"))  # groups: "Aufnehmen"
    reject = SubmitField(_l("Reject"))


class AccountForm(FlaskForm):
    """Where an approved claim is paid (after the bank returned a payment to a wrong account)."""

    payee_name = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=70)])
    iban = StringField(_l("IBAN"), validators=[DataRequired(), Length(max=42)])
    bic = StringField(_l("BIC"), validators=[Length(max=11)], description=_l("Optional."))
    submit = SubmitField(_l("Correct the account"))
