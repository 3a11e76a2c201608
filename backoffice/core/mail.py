"""Outgoing mail, sent only after the transaction that caused it has committed.

``queue_mail(session, ...)`` puts a message on the session's outbox; when the session commits the
outbox is handed to the sender the app installed (``set_sender``; ``create_app`` installs one
that calls ``deliver`` with the app's mail settings: SMTP when ``MAIL_SERVER`` is configured,
otherwise written to the log), and when it rolls back the outbox is dropped: a refused operation
never sends mail. Nothing here knows Flask.
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import event
from sqlalchemy.orm import Session

from .bounds import control_characters
from .settings import Mail

_OUTBOX = "backoffice_outbox"
log = logging.getLogger(__name__)
#: What sends a committed outbox (``set_sender``); without one, messages are only logged.
_sender: Callable[[list[EmailMessage]], None] | None = None


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


def queue_mail(session, to, subject: str, body: str, **kwargs) -> EmailMessage:
    message = build_message(to, subject, body, **kwargs)
    session.info.setdefault(_OUTBOX, []).append(message)
    return message


def discard_outbox(session) -> int:
    """Drop what the session would send on commit (demo data mails nobody); returns how many."""
    return len(session.info.pop(_OUTBOX, None) or [])


def deliver(messages: list[EmailMessage], mail: Mail, logger: logging.Logger = log) -> None:
    """Send ``messages`` from ``mail.sender`` through ``mail.server`` (or log them)."""
    for message in messages:
        if "From" not in message:
            message["From"] = mail.sender
    if not mail.server:
        for message in messages:
            logger.warning(
                "mail (no MAIL_SERVER configured) to %s: %s\n%s",
                message["To"], message["Subject"], message.get_body().get_content(),
            )
        return
    smtp_class = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
    with smtp_class(mail.server, mail.port, timeout=30) as smtp:
        if mail.use_tls:
            smtp.starttls()
        if mail.username:
            smtp.login(mail.username, mail.password)
        for message in messages:
            smtp.send_message(message)


def set_sender(sender: Callable[[list[EmailMessage]], None]) -> None:
    """Install what sends a committed outbox (``create_app`` does, with the app's settings)."""
    global _sender
    _sender = sender


@event.listens_for(Session, "after_commit")
def _send_outbox(session):
    if session.in_nested_transaction():
        return  # a savepoint was released: the outer transaction may still roll back
    messages = session.info.pop(_OUTBOX, None)
    if not messages:
        return
    try:
        if _sender is None:
            deliver(messages, Mail(None, 25, False, False, None, None, "backoffice@localhost"))
        else:
            _sender(messages)
    except (OSError, smtplib.SMTPException):
        # The change is committed; a mail server outage must not turn it into an error page.
        log.exception("could not send %d message(s)", len(messages))


@event.listens_for(Session, "after_soft_rollback")
def _drop_outbox(session, previous_transaction):
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        discard_outbox(session)
