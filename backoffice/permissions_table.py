"""``docs/PERMISSIONS.md``, written from the code: which role holds which permission
(``core.permissions.ROLE_PERMISSIONS``), what every URL requires (the access policy its view
declares, read from the app's URL map) and the rules for deciding on a grant that no permission
expresses (``grants.conflicts``, ``grants.resolutions``).

``backoffice permissions --output docs/PERMISSIONS.md`` writes the file; ``--check`` says whether
it is still what the code says, and ``tests/test_permissions.py`` fails when it is not.
"""
from __future__ import annotations

import inspect
import io
import re
import tokenize
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .core.permissions import (
    READ_ONLY_MAY,
    READ_ONLY_ROLES,
    ROLE_PERMISSIONS,
    AccessPolicy,
    Permission,
    Role,
    policy_for,
)

DEFAULT_OUTPUT = "docs/PERMISSIONS.md"
COMMAND = f"backoffice permissions --output {DEFAULT_OUTPUT}"


def permission_descriptions() -> dict[Permission, str]:
    """What each permission allows: the comment beside its member in ``core/permissions.py``."""
    described: dict[Permission, str] = {}
    tokens = tokenize.generate_tokens(io.StringIO(inspect.getsource(Permission)).readline)
    value = None
    for token in tokens:
        if token.type == tokenize.STRING:
            value = token.string.strip("\"'")
        elif token.type == tokenize.COMMENT and value is not None:
            described[Permission(value)] = token.string.lstrip("# ").strip()
        elif token.type == tokenize.NEWLINE:
            value = None
    return described


def _roles_with(permission: Permission) -> list[Role]:
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]


def _who(policy: AccessPolicy) -> tuple[str, str]:
    if policy.public:
        return "anyone", "—"
    if policy.permission is None:
        return ("own account" if policy.own_account else "logged in"), "every role"
    roles = _roles_with(policy.permission)
    if policy.also is None:
        return f"`{policy.permission}`", ", ".join(role.value for role in roles)
    readers = [role for role in _roles_with(policy.also) if role not in roles]
    return (f"`{policy.permission}`, or `{policy.also}` to read",
            ", ".join([r.value for r in roles] + [f"{r.value} (read)" for r in readers]))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _roles_table() -> list[str]:
    described = permission_descriptions()
    roles = list(Role)
    lines = ["| Permission | What it allows | " + " | ".join(r.value for r in roles) + " |",
             "| --- | --- | " + " | ".join(":---:" for _ in roles) + " |"]
    for permission in Permission:
        marks = " | ".join("✓" if permission in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{permission}` | {_cell(described.get(permission, ''))} | {marks} |")
    return lines


def _routes_table(app: Flask) -> list[str]:
    rows = []
    for rule in app.url_map.iter_rules():
        policy = policy_for(rule.endpoint, app.view_functions)
        methods = ", ".join(sorted(rule.methods - {"HEAD", "OPTIONS"}))
        if policy is None:
            who, roles = "nobody (no policy declared: denied)", "—"
        else:
            who, roles = _who(policy)
        note = getattr(app.view_functions.get(rule.endpoint), "access_note", "")
        rows.append((rule.rule, methods, rule.endpoint, who, roles, note))
    lines = ["| URL | Methods | Endpoint | Who may | Roles | Also |",
             "| --- | --- | --- | --- | --- | --- |"]
    for url, methods, endpoint, who, roles, note in sorted(rows):
        lines.append(f"| `{_cell(url)}` | {methods} | `{endpoint}` | {who} | {roles} | "
                     f"{_cell(note)} |")
    return lines


def _grant_rules() -> list[str]:
    from .grants import conflicts

    lines = ["A person is conflicted on a grant application when they:", ""]
    lines += [f"- {text} (`{reason}`)" for reason, text in conflicts.RULES.items()]
    lines += ["", "A conflicted person may not, whatever their permissions, "
                  + ", ".join(f"{verb} (`{action}`)"
                              for action, verb in conflicts.DECISIONS.items())
                  + " the application: the services refuse (`conflicts.refuse`), the page "
                    "hides the forms, and the tally leaves out their votes.", "",
              "An award above its programme's board threshold needs a passed resolution of the "
              "board records that names the application and allows at least the amount awarded "
              "(`grants/resolutions.py`, answered by `board/money.py`); the members conflicted "
              "on it do not vote (the conflicts register, § 34 BGB)."]
    return lines


def render(app: Flask) -> str:
    """The whole of ``docs/PERMISSIONS.md`` for this app."""
    with app.app_context():
        routes = _routes_table(app)
    lines = ["# Roles and permissions", "",
             f"Generated from the code by `{COMMAND}`; `tests/test_permissions.py` fails when "
             "this file and the code differ. Do not edit it by hand.", "",
             "Every page declares who may see it; a page without a declaration is denied "
             "(`core/permissions.py`). Organisers see only the member groups they organise.", "",
             "## Roles", "", *_roles_table(), "",
             "## Pages and actions", "",
             "\"logged in\": any active user; a permission: the roles that hold it. \"Also\" "
             "names the checks the page or its service adds.", "",
             "Read-only roles (" + ", ".join(f"`{r.value}`" for r in sorted(READ_ONLY_ROLES))
             + ") send no POST, PUT, PATCH or DELETE, whatever else they hold, except to their "
               "own account and to pages requiring "
             + ", ".join(f"`{p}`" for p in sorted(READ_ONLY_MAY)) + " (`web.enforce_access`).",
             "", *routes, "",
             "## Deciding on a grant", "", *_grant_rules(), ""]
    return re.sub(r"[ \t]+\n", "\n", "\n".join(lines))


@click.command("permissions")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help=f"Write the table to this file (e.g. {DEFAULT_OUTPUT}) instead of printing it.")
@click.option("--check", is_flag=True,
              help="Exit 1 when the file given by --output differs from what the code says.")
@with_appcontext
def permissions_cli(output: str | None, check: bool):
    """The roles, permissions and pages as a Markdown table (docs/PERMISSIONS.md)."""
    text = render(current_app)
    if output is None:
        click.echo(text, nl=False)
        return
    path = Path(output)
    if check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            raise click.ClickException(f"{output} is not what the code says; run `{COMMAND}`.")
        click.echo(f"{output} is up to date.")
        return
    path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output}.")
