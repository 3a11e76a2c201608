from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from . import health as health_checks
from . import tasks
from .audit import AuditEvent
from .permissions import Permission, login_required, public, requires
from .query import arg, others

bp = Blueprint("core", __name__)


@bp.route("/")
@login_required
def dashboard():
    from ..ledger import dashboard as ledger_dashboard  # noqa: PLC0415

    if not current_user.can(Permission.GROUPS_VIEW_ALL) and current_user.organised_groups:
        return redirect(url_for("groups.portal"))  # organisers land on their group
    panels = {"waiting": tasks.waiting_for(db.session, current_user, date.today())}
    if current_user.can(Permission.LEDGER_VIEW):
        panels["ledger"] = ledger_dashboard.summary(db.session, date.today())
    return render_template("core/dashboard.html", panels=panels)


@bp.route("/healthz")
@public
def health():
    """The process is alive (nothing else is asked: a slow database must not get it restarted)."""
    return {"status": "ok"}


@bp.route("/readyz")
@public
def ready():
    """Whether this instance can serve: each check by name, ok or why not (no hosts, no URLs)."""
    checks = health_checks.readiness()
    for check in checks:
        if not check.ok:
            current_app.logger.warning("readiness: %s %s (%s)", check.name, check.reason,
                                       check.detail)
    ready = all(check.ok for check in checks)
    body = {"status": "ready" if ready else "not ready",
            "checks": {check.name: "ok" if check.ok else f"failed: {check.reason}"
                       for check in checks}}
    return body, 200 if ready else 503


@bp.route("/audit")
@requires(Permission.AUDIT_VIEW)
def audit_log():
    statement = select(AuditEvent)
    if action := arg("action", str, "", max_length=64).strip():
        statement = statement.where(AuditEvent.action.startswith(action))
    if actor := arg("actor", str, "", max_length=254).strip():
        statement = statement.where(AuditEvent.actor_label.ilike(f"%{actor}%"))
    if object_type := arg("object_type", str, "", max_length=64).strip():
        statement = statement.where(AuditEvent.object_type == object_type)
        if object_id := arg("object_id", str, "", max_length=64).strip():
            statement = statement.where(AuditEvent.object_id == object_id)
    if start := arg("start", date):
        statement = statement.where(AuditEvent.at >= datetime.combine(start, time(), UTC))
    if end := arg("end", date):
        statement = statement.where(AuditEvent.at < datetime.combine(end + timedelta(days=1), time(), UTC))
    if before := arg("before", int):
        statement = statement.where(AuditEvent.id < before)
    size = current_app.config["PAGE_SIZE"]
    events = db.session.scalars(statement.order_by(AuditEvent.id.desc()).limit(size + 1)).all()
    older_url = None
    args = others()
    if len(events) > size:
        query = {k: v for k, v in args.items() if k != "before"}
        older_url = url_for("core.audit_log", before=events[size - 1].id, **query)
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return render_template("core/audit.html", events=events[:size], older_url=older_url,
                           actions=actions, args=args)
