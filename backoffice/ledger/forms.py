from __future__ import annotations

from typing import TYPE_CHECKING

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SubmitField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from ..core import clock
from ..core.errors import ValidationError
from ..core.forms import (
    DateField,
    InputRefused,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    object_options,
    optional_int,
    options,
)
from ..core.i18n import _l
from ..core.money import Money
from .chart import AccountType
from .services import Line

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .chart import Account, Fund


class AccountForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    type = SelectField(_l("Type"), choices=options((t.value, t.label) for t in AccountType))
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class FundForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Purpose or restriction"), validators=[Length(max=2000)])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class EntryLineForm(Form):
    account = SelectField(_l("Account"), coerce=optional_int)
    fund = SelectField(_l("Fund"), coerce=optional_int)
    debit = StringField(_l("Debit"), validators=[Length(max=30)])
    credit = StringField(_l("Credit"), validators=[Length(max=30)])
    memo = StringField(_l("Memo"), validators=[Length(max=200)])

    def is_blank(self) -> bool:
        return not (self.account.data or (self.debit.data or "").strip()
                    or (self.credit.data or "").strip() or (self.memo.data or "").strip())


class ManualEntryForm(FlaskForm):
    booking_date = DateField(_l("Booking date"), validators=[DataRequired()], default=clock.today)
    description = StringField(_l("Description"), validators=[DataRequired(), Length(max=500)])
    currency = SelectField(_l("Currency"))
    lines = FieldList(FormField(EntryLineForm), min_entries=4, max_entries=200)
    add_line = SubmitField(_l("Add a line"))
    submit = SubmitField(_l("Post entry"))

    def set_choices(self, accounts: Iterable[Account], funds: Iterable[Fund], currencies: Iterable[str], default_fund_id: int | None = None) -> None:
        self.currency.choices = options((c, c) for c in currencies)
        for line in self.lines:
            line.account.choices = object_options(accounts, "Choose an account")
            line.fund.choices = object_options(funds, "Choose a fund")
            if line.fund.data is None and default_fund_id is not None and not line.is_blank():
                line.fund.data = default_fund_id

    def ledger_lines(self, accounts_by_id: dict[int, Account], funds_by_id: dict[int, Fund],
                     locale: str) -> list[Line]:
        """The entry's lines; ``InputRefused`` after putting an error next to each bad field."""
        lines, ok = [], True
        for line in self.lines:
            if line.is_blank():
                continue
            amount = self._amount(line, locale)
            if not line.account.data:
                line.account.errors = [*line.account.errors, "Choose an account."]
            if not line.fund.data:
                line.fund.errors = [*line.fund.errors, "Choose a fund."]
            if amount is None or not line.account.data or not line.fund.data:
                ok = False
                continue
            lines.append(Line(accounts_by_id[line.account.data], funds_by_id[line.fund.data],
                              amount, (line.memo.data or "").strip() or None))
        if ok and len(lines) < 2:
            self.form_errors.append("An entry needs at least two lines.")
            ok = False
        if not ok:
            raise InputRefused
        return lines

    def _amount(self, line: EntryLineForm, locale: str) -> Money | None:
        debit, credit = (line.debit.data or "").strip(), (line.credit.data or "").strip()
        if debit and credit:
            line.credit.errors = [*line.credit.errors, "Enter a debit or a credit, not both."]
            return None
        if not debit and not credit:
            line.debit.errors = [*line.debit.errors, "Enter an amount."]
            return None
        field = line.debit if debit else line.credit
        try:
            amount = Money.parse(debit or credit, self.currency.data, locale)
        except ValidationError as error:
            field.errors = [*field.errors, str(error)]
            return None
        if amount.amount <= 0:
            field.errors = [*field.errors, "Enter a positive amount; the column gives the side."]
            return None
        return amount if debit else -amount


class ReverseForm(FlaskForm):
    reason = StringField(_l("Why is this entry reversed?"), validators=[DataRequired(), Length(max=300)])
    booking_date = DateField(_l("Date of the reversal"), validators=[Optional()],
                             description=_l("Leave empty for the original date (or today if that "
                                         "period is closed)."))
    submit = SubmitField(_l("Reverse entry"))


class TransferForm(FlaskForm):
    from_fund = SelectField(_l("From fund"), coerce=optional_int, validators=[DataRequired()])
    to_fund = SelectField(_l("To fund"), coerce=optional_int, validators=[DataRequired()])
    amount = StringField(_l("Amount"), validators=[DataRequired(), Length(max=30)])
    currency = SelectField(_l("Currency"))
    booking_date = DateField(_l("Booking date"), validators=[DataRequired()], default=clock.today)
    description = StringField(_l("Description"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Transfer"))

    def set_choices(self, funds: Iterable[Fund], currencies: Iterable[str]) -> None:
        self.from_fund.choices = object_options(funds, "Choose a fund")
        self.to_fund.choices = object_options(funds, "Choose a fund")
        self.currency.choices = options((c, c) for c in currencies)


class JournalFilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    fund = SelectField(_l("Fund"), coerce=optional_int, validators=[Optional()])
    # An account id, chosen in a search-as-you-type field (ledger.account_search): a chart of
    # thousands of accounts is not sent in a <select> with every page (issue 17).
    account = IntegerField(_l("Account"), validators=[Optional()], widget=HiddenInput())
    q = StringField(_l("Text"), validators=[Optional(), Length(max=100)])


class AsOfForm(FlaskForm):
    class Meta:
        csrf = False

    as_of = DateField(_l("As of"), validators=[Optional()])
    fund = SelectField(_l("Fund"), coerce=optional_int, validators=[Optional()])


class RangeForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
