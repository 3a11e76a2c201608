import pytest
from click.testing import Result
from sqlalchemy import func, select

from backoffice.auth import services
from backoffice.auth.models import User
from backoffice.core import clock
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.extensions import settings as app_settings

from ..helpers import PASSWORD, csrf_token, login


def test_admin_changes_roles_and_it_is_audited(client, users, session):
    login(client, "admin")
    board = users["board"]
    path = f"/users/{board.id}/edit"
    response = client.post(path, data={"name": "Bea Board", "roles": ["board", "treasurer"],
                                       "active": "y", "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.updated")).one()
    assert event.before["roles"] == ["board"] and event.after["roles"] == ["board", "treasurer"]
    assert event.actor_label == users["admin"].email


def test_admin_cannot_lock_themselves_out(client, users, session):
    login(client, "admin")
    admin = users["admin"]
    path = f"/users/{admin.id}/edit"
    page = client.post(path, data={"name": "x", "roles": ["board"], "active": "y",
                                   "csrf_token": csrf_token(client, path)}).get_data(as_text=True)
    assert "cannot remove your own admin role" in page
    session.expire_all()
    assert session.get(User, admin.id).roles == {"admin"}


@pytest.mark.parametrize("email, roles, message", [
    ("not-an-email", ["board"], "not a valid email"),
    ("admin@test.example", ["board"], "already exists"),
    ("x@test.example", [], "at least one role"),
])
def test_bad_new_users_are_refused(app, users, session, email, roles, message):
    before = session.scalar(select(func.count()).select_from(User))
    with pytest.raises(ValidationError, match=message):
        services.create_user(session, email, settings=app_settings(), roles=roles, password="long enough password")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_cli_creates_a_user_and_refuses_a_duplicate(app, session):
    runner = app.test_cli_runner()
    result: Result = runner.invoke(args=["user", "create", "Cli@Example.org", "--role", "treasurer",
                                         "--role", "board", "--password", "cli password 123"])
    assert result.exit_code == 0, result.output
    assert "Created cli@example.org (board, treasurer)" in result.output
    again = runner.invoke(args=["user", "create", "cli@example.org", "--role", "board",
                                "--password", "cli password 123"])
    assert again.exit_code == 1
    assert again.output.strip().splitlines() == ["Error: A user with the email cli@example.org already exists."]
    with transaction():
        assert services.find_user(session, "cli@example.org").roles == {"treasurer", "board"}


def test_users_choose_their_locale_and_change_their_password(client, users, session):

    from backoffice.core.money import Money
    from backoffice.ledger import services as ledger
    from backoffice.ledger.services import Line

    with transaction():
        fund = ledger.general_fund(session)
        ledger.post_entry(session, booking_date=clock.today(), description="Big", actor=None, lines=[
            Line(ledger.account_by_code(session, "1200"), fund, Money(123456, "EUR")),
            Line(ledger.account_by_code(session, "3000"), fund, Money(-123456, "EUR"))])
    login(client, "treasurer")
    assert "€1,234.56" in client.get("/ledger/journal").get_data(as_text=True)
    response = client.post("/account", data={"profile-name": "Tomas", "profile-locale": "de_DE",
                                             "profile-submit": "Save",
                                             "profile-csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302
    assert "1.234,56\u00a0€" in client.get("/ledger/journal").get_data(as_text=True)

    wrong = client.post("/account", data={"password-current": "nope", "password-password": "new password 1",
                                          "password-confirm": "new password 1", "password-change": "Change",
                                          "password-csrf_token": csrf_token(client, "/account")})
    # the chosen language is the page's language, refusals included
    assert wrong.status_code == 400 and "nicht Ihr aktuelles Passwort" in wrong.get_data(as_text=True)
    changed = client.post("/account", data={"password-current": PASSWORD, "password-password": "new password 1",
                                            "password-confirm": "new password 1", "password-change": "Change",
                                            "password-csrf_token": csrf_token(client, "/account")})
    assert changed.status_code == 302
    assert client.get("/").status_code == 200  # this session stays logged in


def test_a_form_sent_without_an_optional_text_field_is_taken_as_empty(client, users, session):
    """A client that leaves a field out (no browser does; scripts do) gets the same answer as
    one that sends it empty, not a 500."""
    login(client, "admin")
    response = client.post("/users/new", data={"email": "new@test.example", "roles": ["board"],
                                               "csrf_token": csrf_token(client, "/users/new")})
    assert response.status_code == 302
    assert session.scalar(select(User.name).where(User.email == "new@test.example")) == ""
