"""Deny by default: every URL rule of the application, requested anonymously and by every role."""
from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from backoffice.core.permissions import (
    PUBLIC_ENDPOINTS,
    GroupScope,
    Permission,
    Role,
    group_scope,
    policy_for,
)

from .helpers import login


def _example_url(app, rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 999_999
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "2026-01-01" if "start" in name or "date" in name else "x"
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values)


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_view_declares_an_access_policy(app):
    missing = [rule.endpoint for rule, _ in _rules(app) if policy_for(rule.endpoint, app.view_functions) is None]
    assert missing == []


def test_anonymous_visitors_are_sent_to_login(app):
    client = app.test_client()
    checked = 0
    for rule, method in _rules(app):
        policy = policy_for(rule.endpoint, app.view_functions)
        if policy.public:
            continue
        url = _example_url(app, rule)
        response = client.open(url, method=method, data={})
        if method == "POST" and response.status_code == 400:
            # CSRF refuses an anonymous form post before anything else; still nothing happens.
            assert "security token" in response.get_data(as_text=True)
            continue
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].startswith("/login"), (method, url)
        checked += 1
    assert checked > 15


@pytest.mark.parametrize("role", list(Role))
def test_every_role_gets_403_where_it_lacks_the_permission(app, users, role):
    client = app.test_client()
    login(client, role)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the access check for POST rules too
    denied = allowed = 0
    for rule, method in _rules(app):
        policy = policy_for(rule.endpoint, app.view_functions)
        if policy.public or rule.endpoint == "auth.logout":
            continue
        url = _example_url(app, rule)
        response = client.open(url, method=method, data={})
        if policy.opens_for(users[role], method) \
                and not policy.changes_refused(users[role].roles, method):
            assert response.status_code != 403, (role, method, url)
            allowed += 1
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)
            assert "does not have access" in response.get_data(as_text=True)
            denied += 1
    assert allowed > 0
    if role is not Role.ADMIN:
        assert denied > 0


def test_admin_has_every_permission_and_roles_differ(users):
    assert all(users[Role.ADMIN].can(p) for p in Permission)
    assert users[Role.TREASURER].can(Permission.LEDGER_POST)
    assert not users[Role.BOARD].can(Permission.LEDGER_POST)
    assert users[Role.BOARD].can(Permission.LEDGER_VIEW)
    assert not users[Role.ORGANISER].can(Permission.LEDGER_VIEW)
    assert not users[Role.REVIEWER].can(Permission.AUDIT_VIEW)


def test_organisers_are_scoped_to_their_groups(app, session, users):
    from backoffice.groups.models import MemberGroup

    mine, theirs = MemberGroup(name="Mine", slug="mine"), MemberGroup(name="Theirs", slug="theirs")
    session.add_all([mine, theirs])
    session.flush()
    users[Role.ORGANISER].organised_groups.append(mine)
    session.commit()
    scope = group_scope(users[Role.ORGANISER])
    assert scope == GroupScope(all_groups=False, group_ids=frozenset({mine.id}))
    assert scope.allows(mine.id) and not scope.allows(theirs.id)
    from sqlalchemy import select
    visible = session.scalars(scope.filter(select(MemberGroup), MemberGroup.id)).all()
    assert visible == [mine]
    assert group_scope(users[Role.TREASURER]).allows(theirs.id)
    assert not group_scope(users[Role.REVIEWER]).allows(mine.id)


# --- docs/PERMISSIONS.md is what the code says ------------------------------------------------

def _docs_app():
    from backoffice import create_app

    from .conftest import base_config
    return create_app(base_config("sqlite://"))


def test_the_permissions_table_in_the_docs_is_what_the_code_says():
    from pathlib import Path

    from backoffice.permissions_table import COMMAND, render
    committed = Path(__file__).parent.parent / "docs" / "PERMISSIONS.md"
    import difflib
    written, generated = committed.read_text(encoding="utf-8"), render(_docs_app())
    difference = "\n".join(list(difflib.unified_diff(
        written.splitlines(), generated.splitlines(), "docs/PERMISSIONS.md", "the code",
        lineterm=""))[:40])
    assert written == generated, \
        f"docs/PERMISSIONS.md differs from the code: run `{COMMAND}` and commit it\n{difference}"


def test_the_table_names_every_role_permission_and_url_with_its_policy():
    from backoffice.permissions_table import permission_descriptions, render
    app = _docs_app()
    text = render(app)
    assert set(permission_descriptions()) == set(Permission), "give each permission a comment"
    for rule in app.url_map.iter_rules():
        assert f"| `{rule.rule}` |" in text and f"`{rule.endpoint}`" in text, rule.rule
    for line in text.splitlines():
        if line.startswith("| `/grants/applications/<int:application_id>/approve` |"):
            assert "`grants.decide` | admin, board, reviewer | not conflicted" in line
        if line.startswith("| `grants.pay` |"):
            assert line.endswith("| ✓ | ✓ |  |  |  |  |")


def test_the_permissions_command_writes_the_table_and_checks_it(tmp_path):
    app = _docs_app()
    runner = app.test_cli_runner()
    target = tmp_path / "PERMISSIONS.md"
    result = runner.invoke(args=["permissions", "--output", str(target), "--check"])
    assert result.exit_code == 1 and "is not what the code says" in result.output
    assert runner.invoke(args=["permissions", "--output", str(target)]).exit_code == 0
    assert runner.invoke(args=["permissions", "--output", str(target), "--check"]).exit_code == 0
    target.write_text(target.read_text().replace("| ✓ |", "|  |", 1))
    assert runner.invoke(args=["permissions", "--output", str(target), "--check"]).exit_code == 1
