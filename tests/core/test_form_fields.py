"""The project's form fields: one line of text has no control characters, dates and numbers stay
in the ranges the database and date arithmetic can take, whatever form they are in."""
from __future__ import annotations

import pytest
import wtforms
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from backoffice.core import forms as core_forms
from backoffice.groups.models import MemberGroup

from ..groups.test_views import _application
from ..helpers import post_form
from ..sponsorship import client_for


class Sample(wtforms.Form):
    name = core_forms.StringField("Name")
    notes = core_forms.TextAreaField("Notes")
    email = core_forms.EmailField("Email")
    day = core_forms.DateField("Day")
    count = core_forms.IntegerField("Count")


@pytest.mark.parametrize("field, value", [
    ("name", "Py\r\nBcc: all@example.org"), ("name", "tab\there"), ("name", "nul\x00"),
    ("name", "line\u2028separator"), ("name", "c1\x85"), ("email", "a@example.org\r\nBcc: b@x"),
    ("notes", "bell\x07"), ("day", "9999-12-31"), ("day", "1899-12-31"),
    ("count", str(2**31)), ("count", str(-(2**31) - 1)), ("count", str(2**63)),
])
def test_hostile_values_are_refused_with_a_message(app, field, value):
    form = Sample(MultiDict({field: value}))
    assert not form.validate()
    assert form.errors[field]


def test_ordinary_values_pass(app):
    form = Sample(MultiDict({"name": "Zürich Pythonistas – Ünïcode", "notes": "Two\r\nlines\tand a tab",
                             "email": "a@example.org", "day": "2199-12-31", "count": str(2**31 - 1)}))
    assert form.validate(), form.errors
    assert form.count.data == 2**31 - 1


def test_the_join_form_refuses_a_group_name_with_a_line_break_and_stores_nothing(app, session,
                                                                                mailbox):
    client = client_for(app)
    refused = post_form(client, "/join", _application(name="PyCon\r\nBcc: everyone@example.org"),
                        token_from="/join")
    assert refused.status_code == 400
    assert "single line without control characters" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(MemberGroup)) == 0 and not mailbox
    sent = post_form(client, "/join", _application(), token_from="/join")
    assert sent.status_code == 302


class Choosing(wtforms.Form):
    kind = core_forms.SelectField("Kind", choices=[
        SelectChoice("", "All <kinds>"), SelectChoice("a", 'A "quoted" one'),
        SelectChoice("b&c", "B & C", render_kw={"data_note": "<n>"}), SelectChoice(True, "yes")])
    grouped = core_forms.SelectField("Grouped", choices=[
        SelectChoice("1", "One", optgroup="First <group>"), SelectChoice("2", "Two", optgroup="Second"),
        SelectChoice("3", optgroup="Second")])
    needed = core_forms.SelectField("Needed", choices=[SelectChoice("x", "X"), SelectChoice("y", "Y")],
                                    validators=[wtforms.validators.InputRequired()],
                                    render_kw={"data_role": 'a"b'})


@pytest.mark.parametrize("data", [{}, {"kind": "b&c", "grouped": "3", "needed": "y"},
                                  {"kind": "True"}])
@pytest.mark.parametrize("params", [{}, {"class_": "form-select <sm>", "disabled": True,
                                         "aria_label": "Pick", "hidden": False}])
def test_the_projects_select_draws_what_wtforms_draws(data, params):
    """core.forms.Select writes WTForms' select faster (issue 17): the same HTML."""
    form = Choosing(MultiDict(data))
    for field in form:
        drawn = field(**params)
        field.widget = wtforms.widgets.Select()
        assert drawn == field(**params)
        assert core_forms.html_params(**params, id=field.id) == \
            wtforms.widgets.html_params(**params, id=field.id)


class Typing(wtforms.Form):
    name = core_forms.StringField("Name", validators=[wtforms.validators.InputRequired(),
                                                      wtforms.validators.Length(min=2, max=9)])
    email = core_forms.EmailField("Email", render_kw={"placeholder": 'a "b" <c>'})
    day = core_forms.DateField("Day")
    count = core_forms.IntegerField("Count", validators=[wtforms.validators.NumberRange(min=1)])


@pytest.mark.parametrize("data", [{}, {"name": 'x"<&>', "email": "a@b", "day": "2026-01-02",
                                       "count": "7"}])
@pytest.mark.parametrize("params", [{}, {"class_": "form-control <sm>", "readonly": True,
                                         "data_x": "1", "value": "given"}])
def test_the_projects_inputs_draw_what_wtforms_draws(data, params):
    form = Typing(MultiDict(data))
    plain = {"name": wtforms.widgets.TextInput(), "email": wtforms.widgets.EmailInput(),
             "day": wtforms.widgets.DateInput(), "count": wtforms.widgets.NumberInput()}
    for field in form:
        drawn = field(**params)
        field.widget = plain[field.name]
        assert drawn == field(**params)
