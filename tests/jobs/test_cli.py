"""`backoffice jobs`: the schedule, a scheduled job run now, a job followed with its result, the
outbox."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.core import jobs
from backoffice.core.db import transaction
from backoffice.core.mail import queue_mail
from backoffice.core.outbox import OutboxMail
from backoffice.core.settings import SettingsError, defaults

from ..conftest import _free_port


def run(app, *args):
    return app.test_cli_runner().invoke(args=["jobs", *args])


def test_the_schedule_lists_each_entry_and_its_job(app):
    result = run(app, "schedule")
    assert result.exit_code == 0
    assert "outbox             every minute" in result.output
    assert "backup             daily at 02:30 UTC       backup" in result.output


def test_run_scheduled_drains_the_outbox_now(app, session, mailbox, smtp_server):
    app.config["MAIL_PORT"] = _free_port()  # the mail server is away when the mail is queued
    with transaction():
        queue_mail(session, "ada@example.org", "Later", "Body")
    assert session.scalar(select(OutboxMail.state)) == "pending"
    session.execute(OutboxMail.__table__.update().values(next_attempt_at=OutboxMail.created_at))
    session.commit()
    app.config["MAIL_PORT"] = smtp_server[0]
    result = run(app, "run-scheduled", "outbox")
    assert result.exit_code == 0 and "{'sent': 1, 'failed': 0}" in result.output
    assert [m["Subject"] for m in mailbox] == ["Later"]
    assert "sent: 1" in run(app, "outbox").output


def test_run_scheduled_refuses_an_unknown_name(app):
    result = run(app, "run-scheduled", "nonsense")
    assert result.exit_code == 2 and "'nonsense' is not one of" in result.output


def test_show_follows_a_job_to_its_result(app, session, users):
    from backoffice.core.permissions import Role

    with transaction():
        job = jobs.Job(kind="bank.import", title="Import x.xml", idempotency_key="k",
                       started_by_id=users[Role.TREASURER].id, params={}, state=jobs.DONE,
                       done=3, total=3, error="", attempts=1,
                       result={"notes": [["success", "x.xml imported: 3 new lines."]]})
        session.add(job)
    result = run(app, "show", str(job.id))
    assert result.exit_code == 0
    assert "Job 1: Import x.xml (bank.import), done" in result.output
    assert "x.xml imported: 3 new lines." in result.output
    assert run(app, "show", "99").exit_code == 1


def test_the_daily_reminders_run_as_scheduled_jobs(app, session):
    assert "{'sent': 0}" in run(app, "run-scheduled", "invoice-reminders").output
    assert "'overdue': 0" in run(app, "run-scheduled", "grant-reports").output


def test_the_daily_backup_keeps_the_newest(app, session, tmp_path):
    app.config.update(BACKUP_FOLDER=str(tmp_path / "backups"), BACKUP_KEEP=1)
    result = run(app, "run-scheduled", "backup")
    assert result.exit_code == 0 and "'archive': 'backoffice-" in result.output
    assert len(list((tmp_path / "backups").glob("*.tar"))) == 1


def test_how_many_backups_to_keep_is_a_typed_setting():
    assert defaults().backups.keep == 14
    assert defaults(BACKUP_KEEP="3").backups.keep == 3  # as an environment variable gives it
    for wrong in (0, "-1", "two", 1.5):
        with pytest.raises(SettingsError, match="BACKUP_KEEP must be"):
            defaults(BACKUP_KEEP=wrong)
