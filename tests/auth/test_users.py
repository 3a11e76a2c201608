import pytest
from sqlalchemy import func, select
from click.testing import Result

from backoffice.auth import services
from backoffice.auth.models import User
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError

from ..helpers import csrf_token, login


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
        services.create_user(session, email, roles=roles, password="long enough password")
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
