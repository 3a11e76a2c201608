"""The form that adds a document to the register (shape and field checks; the register's rules
are ``board.documents.add``'s)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import DateField, SelectField, StringField, TextAreaField, optional_int, options
from ..core.i18n import _l
from ..core.settings import ExemptionNotice
from .models import DocumentKind

KINDS = options((kind.value, kind.label) for kind in DocumentKind if kind is not DocumentKind.AUDIT_REPORT)
NOTICE_KINDS = options(((ExemptionNotice.EXEMPTION, _l("Exemption notice (Freistellungsbescheid)")),
                        (ExemptionNotice.SECTION_60A, _l("§ 60a AO notice (Feststellungsbescheid)"))))


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=KINDS, validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    effective_on = DateField(_l("In force from"), validators=[DataRequired()])
    file = FileField(_l("The signed document (PDF)"))
    supersedes = SelectField(_l("Supersedes"), coerce=optional_int, validate_choice=False,
                             description=_l("The earlier version this one replaces; it stays in "
                                            "the register."))
    notice_kind = SelectField(_l("Kind of notice"), choices=NOTICE_KINDS, default=ExemptionNotice.EXEMPTION)
    tax_office = StringField(_l("Tax office"), validators=[Optional(), Length(max=200)])
    number = StringField(_l("Tax number on the notice"), validators=[Optional(), Length(max=50)])
    issued_on = DateField(_l("Date of the notice"), validators=[Optional()])
    period = StringField(_l("Assessment period"), validators=[Optional(), Length(max=100)],
                         description=_l("The years an exemption notice is for, e.g. 2021 bis 2023."))
    purposes = TextAreaField(_l("Tax-privileged purposes"), validators=[Optional(), Length(max=2000)],
                             description=_l("One per line, e.g. der Bildung (§ 52 Abs. 2 Satz 1 Nr. 7 AO)"))
    submit = SubmitField(_l("Add to the register"))

    def details(self) -> dict:
        """The facts a tax-exemption notice states (other kinds keep none)."""
        if self.kind.data != DocumentKind.TAX_EXEMPTION.value:
            return {}
        return {"notice_kind": self.notice_kind.data, "tax_office": self.tax_office.data or "",
                "number": self.number.data or "",
                "issued_on": self.issued_on.data.isoformat() if self.issued_on.data else "",
                "period": self.period.data or "", "purposes": self.purposes.data or ""}
