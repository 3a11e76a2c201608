"""Mail leaves only after the outermost commit: never for a change that was rolled back."""
import pytest
from sqlalchemy import func, select

from backoffice.core.audit import AuditEvent, record
from backoffice.core.db import transaction
from backoffice.core.mail import discard_outbox, queue_mail


def test_mail_is_sent_after_the_commit(session, mailbox):
    with transaction():
        queue_mail(session, "ada@example.org", "Hello", "Body")
        assert mailbox == []
    assert [m["To"] for m in mailbox] == ["ada@example.org"]


def test_a_released_savepoint_sends_nothing_and_a_rollback_drops_the_mail(session, mailbox):
    with pytest.raises(RuntimeError):
        with transaction():
            record(session, None, "test.before", "thing", 1, summary="first write")
            queue_mail(session, "ada@example.org", "Decision", "Approved")
            with session.begin_nested():  # as a service guarding one insert does
                record(session, None, "test.nested", "thing", 1, summary="inside")
            assert mailbox == []
            raise RuntimeError("a later step refused")
    assert mailbox == []
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    with transaction():  # and the dropped message does not ride along with the next commit
        record(session, None, "test.after", "thing", 1, summary="unrelated")
    assert mailbox == []


def test_discarded_mail_is_never_sent(session, mailbox):
    with transaction():
        queue_mail(session, "demo@example.org", "Invitation", "Welcome")
        assert discard_outbox(session) == 1
    assert mailbox == []


def test_a_name_with_a_line_break_stored_before_the_forms_refused_it_cannot_add_a_header(
        session, mailbox):
    with transaction():
        queue_mail(session, "orga@example.org", "Welcome, PyCon\r\nBcc: everyone@example.org",
                   "Hello")
    (message,) = mailbox
    assert message["Subject"] == "Welcome, PyCon Bcc: everyone@example.org"
    assert message["Bcc"] is None and message["To"] == "orga@example.org"
