"""The auditors' report and the approved minutes are rendered to PDF while nothing is written:
two processes on one SQLite file (two gunicorn workers, as it were), the first writing the report
(or approving the minutes), the second writing something else while the first renders. On SQLite
a writer holds the whole database; had the first rendered inside its unit of work, the second
would wait past its (here short) busy timeout and fail with "database is locked".

The first process's renderer announces that it started and waits (at most ``WAIT`` seconds) for
the second to finish its write before it renders, so the second always writes during the
rendering; the PDF is the real one, kept once with its SHA-256."""
from __future__ import annotations

import hashlib
import multiprocessing

import pytest
from sqlalchemy import func, select

from backoffice import create_app
from backoffice.board import audit, minutes
from backoffice.board.audit_models import Audit, AuditStatus
from backoffice.board.models import Meeting, MeetingStatus, MinutesFile, Resolution
from backoffice.core import audit as audit_log
from backoffice.core import clock
from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.core.uploads import StoredFile, read_stored
from backoffice.extensions import db

from ..conftest import base_config
from .test_audit import _checked_audit, auditors  # noqa: F401 (a fixture)
from .test_minutes_pdf import _held_with_approval

WAIT = 20
#: The second writer's busy timeout (seconds): far shorter than the first one's rendering.
IMPATIENT = 1


def _app(database_url: str, uploads: str):
    return create_app(base_config(database_url) | {"UPLOAD_FOLDER": uploads,
                                                   "DATABASE_LOCK_TIMEOUT": IMPATIENT})


def _slowed(module, rendering, written) -> None:
    """The module's renderer, announcing its start and waiting for the other writer."""
    real = module.html_to_pdf

    def render(*args, **kwargs):
        rendering.set()
        written.wait(WAIT)
        return real(*args, **kwargs)
    module.html_to_pdf = render


def _first(database_url: str, uploads: str, module, rendering, written, results, work) -> None:
    """Run ``work()`` (which gives the kept PDF's SHA-256) with ``module``'s renderer slowed."""
    app = _app(database_url, uploads)
    _slowed(module, rendering, written)
    with app.app_context():
        try:
            results.put(("first", work()))
        except Exception as error:  # noqa: BLE001 (reported to the test)
            results.put(("first", f"{type(error).__name__}: {error}"))
        finally:
            rendering.set()


def report(database_url: str, uploads: str, audit_id: int, rendering, written, results) -> None:
    """In a process of its own: the auditors' report, through the service as the page calls it."""
    def work() -> str:
        with transaction():
            document = audit.finish(db.session, db.session.get(Audit, audit_id),
                                    audit.ReportInput("We examined the books.", "", True),
                                    organisation="Example e.V.", folder=uploads,
                                    today=clock.today(), actor=None)
        return document.sha256
    _first(database_url, uploads, audit, rendering, written, results, work)


def approve(database_url: str, uploads: str, meeting_id: int, approval_id: int, rendering,
            written, results) -> None:
    """In a process of its own: the minutes approved and their PDF kept, as the page does it."""
    def work() -> str:
        meeting = db.session.get(Meeting, meeting_id)
        with transaction():
            minutes.approve(db.session, meeting, db.session.get(Resolution, approval_id),
                            actor=None)
        return minutes.keep(db.session, meeting, minutes.Printing(
            "Example e.V.", clock.today(), uploads)).sha256
    _first(database_url, uploads, minutes, rendering, written, results, work)


def write_meanwhile(database_url: str, uploads: str, rendering, written, results) -> None:
    """In a process of its own: once the other renders, one short unit of work that writes."""
    app = _app(database_url, uploads)
    with app.app_context():
        try:
            if not rendering.wait(WAIT):
                raise TimeoutError("the first process never rendered")
            with transaction():
                audit_log.record(db.session, None, "test.second_writer", "test", 1,
                                 summary="written while the PDF renders")
            results.put(("second", "ok"))
        except Exception as error:  # noqa: BLE001 (reported to the test)
            results.put(("second", f"{type(error).__name__}: {error}"))
        finally:
            written.set()


def _race(first, first_args: tuple, database_url: str, uploads: str) -> dict[str, str]:
    db.session.remove()
    context = multiprocessing.get_context("spawn")
    rendering, written, results = context.Event(), context.Event(), context.Queue()
    processes = [
        context.Process(target=first, args=(database_url, uploads, *first_args, rendering,
                                            written, results)),
        context.Process(target=write_meanwhile, args=(database_url, uploads, rendering,
                                                      written, results))]
    for process in processes:
        process.start()
    outcome = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    return outcome


def _skip_unless_sqlite(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("writer starvation is SQLite's (one writer for the whole database)")


def test_a_second_writer_is_not_locked_out_while_the_report_renders(
        app, backend, database_url, auditors, users):  # noqa: F811
    _skip_unless_sqlite(backend)
    found, _ = _checked_audit(auditors, users[Role.AUDITOR])
    uploads = app.config["UPLOAD_FOLDER"]
    outcome = _race(report, (found.id,), database_url, uploads)
    assert outcome["second"] == "ok"
    db.session.expire_all()
    reported = db.session.get(Audit, found.id)
    assert reported.status is AuditStatus.REPORTED and outcome["first"] == reported.document.sha256
    data = read_stored(db.session.get(StoredFile, reported.document.file_id), uploads)
    assert hashlib.sha256(data).hexdigest() == reported.document.sha256
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "test.second_writer")) == 1


def test_a_second_writer_is_not_locked_out_while_the_minutes_render(app, backend, database_url,
                                                                     board):
    _skip_unless_sqlite(backend)
    meeting, _, approval = _held_with_approval(board)
    uploads = app.config["UPLOAD_FOLDER"]
    outcome = _race(approve, (meeting.id, approval.id), database_url, uploads)
    assert outcome["second"] == "ok"
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status is MeetingStatus.APPROVED
    [kept] = db.session.scalars(select(MinutesFile).where(MinutesFile.meeting_id == meeting.id))
    assert outcome["first"] == kept.sha256
    data = read_stored(db.session.get(StoredFile, kept.file_id), uploads)
    assert hashlib.sha256(data).hexdigest() == kept.sha256
    # kept once: a second keep (a download, a second click) stores nothing new
    again = minutes.keep(db.session, db.session.get(Meeting, meeting.id),
                         minutes.Printing("Example e.V.", clock.today(), uploads))
    assert again.id == kept.id
    assert db.session.scalar(select(func.count()).select_from(MinutesFile)) == 1


def test_a_checklist_changed_while_the_report_renders_is_not_reported(
        app, backend, auditors, users, monkeypatch, tmp_path):  # noqa: F811
    """The report prints the checklist as it was read before rendering: another auditor's note
    written meanwhile (from a connection of its own) refuses the report, and nothing is kept."""
    from backoffice.core.errors import Conflict

    from ..outsider import Outsider

    found, _ = _checked_audit(auditors, users[Role.AUDITOR])
    real = audit.html_to_pdf

    def render_while_another_writes(*args, **kwargs):
        with Outsider(db.engine.url) as other:
            other.execute("UPDATE board_audit_items SET note = 'changed meanwhile' "
                          "WHERE audit_id = ?", (found.id,))
        return real(*args, **kwargs)
    monkeypatch.setattr(audit, "html_to_pdf", render_while_another_writes)
    with pytest.raises(Conflict, match="checklist changed"), transaction():
        audit.finish(db.session, found, audit.ReportInput("We examined the books.", "", True),
                     organisation="Example e.V.", folder=str(tmp_path), today=clock.today(),
                     actor=users[Role.AUDITOR])
    db.session.expire_all()
    assert db.session.get(Audit, found.id).status is AuditStatus.OPEN
    assert db.session.get(Audit, found.id).report_text is None
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
