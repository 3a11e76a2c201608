"""The view idiom (``core.views``): run_form, get_or_404, and the check for unsaved changes."""
from __future__ import annotations

import pytest
from flask_wtf import FlaskForm

from backoffice.auth.models import User
from backoffice.core.errors import ValidationError
from backoffice.core.forms import StringField
from backoffice.core.permissions import Role, public
from backoffice.core.views import UnsavedChanges, get_or_404, run_form
from backoffice.extensions import db


class NameForm(FlaskForm):
    name = StringField("Name")


def _rename(user_id: int, name: str) -> str:
    if not name:
        raise ValidationError("Give a name.", field="name")
    db.session.get(User, user_id).name = name
    return name


@pytest.fixture
def routes(app, users):
    """Two pages of a test: one runs a form as every view does, one forgets its unit of work."""
    user_id = users[Role.REVIEWER].id
    app.config["WTF_CSRF_ENABLED"] = False

    @app.route("/_test/rename", methods=["GET", "POST"])
    @public
    def rename():
        form = NameForm()
        outcome = run_form(form, lambda: _rename(user_id, form.name.data))
        if outcome.done:
            return f"renamed to {outcome.result}"
        return f"errors {form.errors}", outcome.status

    @app.route("/_test/forgotten", methods=["POST"])
    @public
    def forgotten():
        get_or_404(User, user_id).name = "Never saved"
        return "ok"

    return user_id


def test_run_form_commits_the_service_call_or_shows_its_refusal_on_the_form(app, routes):
    client = app.test_client()
    assert client.get("/_test/rename").status_code == 200
    refused = client.post("/_test/rename", data={"name": ""})
    assert refused.status_code == 400
    assert "Give a name." in refused.get_data(as_text=True)
    done = client.post("/_test/rename", data={"name": "Ada"})
    assert done.get_data(as_text=True) == "renamed to Ada"
    db.session.expire_all()
    assert db.session.get(User, routes).name == "Ada"


def test_a_request_leaving_changes_uncommitted_fails_naming_them(app, routes):
    with pytest.raises(UnsavedChanges, match="User"):
        app.test_client().post("/_test/forgotten")


def test_get_or_404_refuses_ids_no_integer_column_holds(app):
    from werkzeug.exceptions import NotFound

    for bad in (None, -1, 2**31, 2**63):
        with pytest.raises(NotFound):
            get_or_404(User, bad)
