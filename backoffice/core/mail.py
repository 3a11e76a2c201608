"""Outgoing mail, sent only after the transaction that caused it has committed.

``queue_mail(session, ...)`` writes the message into the outbox table in the session's transaction
(``core.outbox``); once that commits, a job sends it with the app's mail settings (SMTP when
``MAIL_SERVER`` is configured, otherwise written to the log) and tries again later while the mail
server does not answer. A rolled-back change leaves no row: a refused operation never sends mail.
Nothing here knows Flask.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.orm import Session

from . import outbox
from .bounds import control_characters

if TYPE_CHECKING:
    from typing import Any

    from sqlalchemy.orm import SessionTransaction

_QUEUED = "backoffice_mail_queued"  # this transaction's outbox rows


def one_line(text: str) -> str:
    """A header value on one line: line breaks and other control characters become spaces.

    Forms refuse them in names (``core.forms.StringField``); this keeps a value stored before, or
    written by a script, from breaking the message (``email`` refuses a header with a line break).
    """
    return " ".join("".join(" " if control_characters(ch) else ch for ch in text).split())


def build_message(to: str | list[str], subject: str, body: str, *,
                  attachments: list[tuple[str, str, bytes]] = ()) -> EmailMessage:
    """A plain-text message; attachments are (filename, mime type, bytes). The sender (From)
    is set when it is delivered."""
    message = EmailMessage()
    message["To"] = one_line(", ".join([to] if isinstance(to, str) else to))
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="backoffice")
    message.set_content(body)
    for filename, mimetype, data in attachments:
        maintype, subtype = mimetype.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def queue_mail(session: Session, to: str | list[str], subject: str, body: str, **kwargs: Any) -> EmailMessage:
    message = build_message(to, subject, body, **kwargs)
    session.info.setdefault(_QUEUED, []).append(outbox.add(session, message))
    return message


def discard_outbox(session: Session) -> int:
    """Drop what the session's transaction queued (demo data mails nobody); returns how many."""
    rows = session.info.pop(_QUEUED, None) or []
    for row in rows:
        if row in session.new:
            session.expunge(row)
        else:
            session.delete(row)
    return len(rows)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session):
    if not session.in_nested_transaction():
        session.info.pop(_QUEUED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction):
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_QUEUED, None)
