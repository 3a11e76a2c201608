from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db, settings
from . import clock, privacy, signals, tables, tasks, uploads
from . import health as health_checks
from .audit import AuditEvent
from .bounds import MAX_ID
from .db import transaction
from .errors import DomainError
from .forms import EraseForm, InputRefused, PersonForm, pass_on, show_error
from .permissions import Permission, login_required, public, requires
from .query import arg, others
from .uploads import StoredFile

bp = Blueprint("core", __name__)


# --- the view idiom ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What ``run_form`` did with a request: ran the service (``done``, with its ``result``), or
    not: nothing posted, input the form refused (``invalid``), or the service's ``refusal``."""

    done: bool
    result: Any = None
    invalid: bool = False
    posted: bool = False
    refusal: DomainError | None = None

    @property
    def status(self) -> int:
        """The status of the form's page shown again: 400 after a post that did not go through."""
        return 400 if self.posted and not self.done else 200


def run_form(form, action: Callable[[], Any], *, flash_refusal: str | None = None) -> Outcome:
    """The one way a view runs a posted form against a service.

    The form validates; ``action()`` (the service call) runs in one unit of work (reading the
    input further may raise ``InputRefused``, its errors on the form already); a refusal
    (``DomainError``) is shown on the form, next to its field (``show_error``), or flashed (in
    the category ``flash_refusal``) when the form is a button on a page the view redirects back
    to. A change asked for twice and a busy database go on to ``web.py`` either way. The view
    then redirects (``outcome.done``) or shows the page again with ``outcome.status``.
    """
    posted = form.is_submitted()
    if not form.validate_on_submit():
        return Outcome(False, invalid=posted, posted=posted)
    try:
        with transaction():
            result = action()
    except InputRefused:
        return Outcome(False, invalid=True, posted=True)
    except DomainError as error:
        if flash_refusal:
            pass_on(error)
            flash(str(error), flash_refusal)
        else:
            show_error(form, error)
        return Outcome(False, posted=True, refusal=error)
    return Outcome(True, result, posted=True)


def export_format() -> str | None:
    """``?format=csv`` or ``?format=xlsx`` on a list page: the file it asks for (None: the
    page). Anything else is a 400."""
    return arg("format", tuple(tables.FORMATS), None)


def send_table(table: tables.Table, fmt: str):
    """A list page's rows as a download: CSV streamed as it is written, XLSX from a spooled
    file (a workbook is a zip, finished only at the end). Never cached."""
    if fmt == "csv":
        return _attachment(stream_with_context(tables.csv_chunks(table)), table.filename(fmt),
                           tables.FORMATS[fmt])
    return send_spooled(tables.xlsx_file(table), table.filename(fmt), tables.FORMATS[fmt])


def send_spooled(file, filename: str, mimetype: str):
    """A finished file (a spooled temporary file) as a download, closed once it is sent or the
    client has gone. Never cached."""
    return _attachment(_FileChunks(file), filename, mimetype)


class _FileChunks:
    """A file's bytes in chunks for a WSGI body; the file is closed when they have been read,
    when the server closes the body (the client left) or, at the latest, with this object (a
    response never sent: a HEAD request, an error after it was made)."""

    def __init__(self, file, size: int = 64 * 1024):
        self.file, self.size = file, size

    def __iter__(self):
        while chunk := self.file.read(self.size):
            yield chunk
        self.close()

    def close(self) -> None:
        self.file.close()

    __del__ = close


def _attachment(body, filename: str, mimetype: str):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def get_or_404(model, object_id: int | None):
    """The row of ``model`` with this id, or 404. Ids from URLs are bounded by the ``int``
    converter already; one from elsewhere beyond ``MAX_ID`` is no row either (PostgreSQL would
    refuse it with an error)."""
    if object_id is None or not 0 <= object_id <= MAX_ID:
        abort(404)
    return db.session.get(model, object_id) or abort(404)


class IdUrls:
    """The URLs of one endpoint for many ids: ``urls(id)``, or ``urls[id]`` in a template's
    loop (Jinja calls a function through its context, ~2 µs a call; a lookup is a lookup:
    issue 17, the journal's rows)."""

    __slots__ = ("_build",)

    def __init__(self, build: Callable[[int], str]):
        self._build = build

    def __call__(self, value: int) -> str:
        return self._build(value)

    def __getitem__(self, value: int) -> str:
        return self._build(value)


def id_urls(endpoint: str, key: str, **values: Any) -> IdUrls:
    """``url_for(endpoint, key=id, **values)`` for the many ids of a page's rows at the cost of
    one ``url_for`` (each costs about as much as the rest of a table row): the URL is built once
    around a marker id and each id written in its place. A template global."""
    marker = str(MAX_ID)
    head, *tail = url_for(endpoint, **values, **{key: MAX_ID}).split(marker)
    if len(tail) != 1:  # the marker's digits elsewhere in the URL too: no shortcut
        return IdUrls(lambda value: url_for(endpoint, **values, **{key: value}))
    return IdUrls(lambda value: f"{head}{int(value)}{tail[0]}")


class UnsavedChanges(RuntimeError):
    """A request left changes in the database session that no unit of work committed."""


def refuse_unsaved_changes(response):
    """After each request (``CHECK_UNSAVED_CHANGES``, on in the tests): fail, naming the objects,
    if the request changed, added or deleted something outside ``transaction()``. Such a change
    is lost when the request ends, or committed by whichever unit of work runs next."""
    session = db.session
    left = [*session.new, *(obj for obj in session.dirty if session.is_modified(obj)),
            *session.deleted]
    if left:
        raise UnsavedChanges("The request left changes that no unit of work committed: "
                             + ", ".join(sorted(repr(obj) for obj in left)))
    return response


@bp.route("/")
@login_required
def dashboard():
    if not current_user.can(Permission.GROUPS_VIEW_ALL) and current_user.organised_groups:
        return redirect(url_for("groups.portal"))  # organisers land on their group
    panels = {"waiting": tasks.waiting_for(db.session, current_user, clock.today(),
                                          settings=settings()),
              **signals.panels("core.dashboard", session=db.session, user=current_user,
                               settings=settings())}
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


def send_stored(stored: StoredFile, *, as_attachment: bool = False):
    """A response with an uploaded file's bytes (call only after checking the user may see it).

    Never kept by a browser or proxy cache; named with the extension of its detected kind; a file
    that carries HTML (stored before uploads were checked for it) only as an attachment.
    """
    data = uploads.read_stored(stored, settings().paths.uploads)
    as_attachment = as_attachment or uploads.carries_html(data)
    response = send_file(io.BytesIO(data), mimetype=uploads.KINDS[stored.kind][0], as_attachment=as_attachment,
                         download_name=uploads.download_name(stored.original_name, stored.kind),
                         conditional=False, etag=False, last_modified=None, max_age=None)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- personal data (core.privacy) -----------------------------------------------------------------

@bp.route("/admin/privacy", methods=["GET", "POST"])
@requires(Permission.PRIVACY_MANAGE)
def privacy_page():
    """Find what the product holds about a person (by a POST: addresses stay out of URLs and
    logs); export it or erase it from there."""
    form = PersonForm()
    holdings = None
    if form.validate_on_submit():
        try:
            holdings = privacy.find(db.session, form.email.data, settings())
        except DomainError as error:
            show_error(form, error)
    status = 400 if form.is_submitted() and holdings is None else 200
    erase_form = EraseForm(formdata=None, email=form.email.data)
    return render_template("core/privacy.html", form=form, holdings=holdings,
                           erase_form=erase_form), status


@bp.route("/admin/privacy/export", methods=["POST"])
@requires(Permission.PRIVACY_MANAGE)
def privacy_export():
    form = PersonForm()
    outcome = run_form(form, lambda: privacy.export(db.session, form.email.data,
                                                    actor=current_user, today=clock.today(),
                                                    settings=settings()))
    if not outcome.done:
        return render_template("core/privacy.html", form=form, holdings=None,
                               erase_form=EraseForm(formdata=None)), outcome.status
    response = send_file(io.BytesIO(outcome.result), mimetype="application/zip",
                         as_attachment=True, download_name="personal-data.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/admin/privacy/erase", methods=["POST"])
@requires(Permission.PRIVACY_MANAGE)
def privacy_erase():
    form = EraseForm()
    outcome = run_form(form, lambda: privacy.erase(db.session, form.email.data,
                                                   actor=current_user, today=clock.today(),
                                                   settings=settings()))
    if outcome.done:
        return render_template("core/privacy.html", form=PersonForm(formdata=None),
                               holdings=None, erase_form=form, outcomes=outcome.result)
    try:  # shown again with what erasing concerns and the form's errors
        holdings = privacy.find(db.session, form.email.data, settings())
    except DomainError:
        holdings = None
    return render_template("core/privacy.html", form=PersonForm(formdata=None,
                                                                email=form.email.data),
                           holdings=holdings, erase_form=form), outcome.status
