"""Logs: every line carries the request id; ``LOG_FORMAT=json`` writes one JSON object a line.

The request id comes from the proxy's ``X-Request-ID`` when it is well formed (letters, digits,
``.``, ``_``, ``-``; 8 to 128 characters), otherwise it is made here; it is sent back in the
response's ``X-Request-ID`` header so that a user's report can be found in the log. Lines logged
outside a request (commands, jobs) carry ``-``.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

if TYPE_CHECKING:
    from typing import TextIO

    from flask import Response

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
_HANDLER_MARK = "_backoffice_handler"


def request_id_from(header: str | None) -> str:
    """The proxy's id when it is well formed, else a new one."""
    if header and WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str:
    if has_request_context():
        return g.get("request_id") or "-"
    return "-"


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` (the current request's, or ``-``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, message (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def make_handler(fmt: str, stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def installed_handler() -> logging.Handler | None:
    return next((h for h in logging.getLogger().handlers if getattr(h, _HANDLER_MARK, False)), None)


#: Libraries that log every step at INFO (WeasyPrint's progress, each Factur-X embedding, font
#: subsetting, two lines for every Stripe API request): only their warnings reach the app's log.
CHATTY_LIBRARIES = ("weasyprint", "fontTools", "factur-x", "stripe")


def init_logging(app: Flask) -> None:
    """One handler on the root logger (replacing an earlier app's), in ``LOG_FORMAT``; and the
    request id set before each request and returned in the response."""
    root = logging.getLogger()
    if (previous := installed_handler()) is not None:
        root.removeHandler(previous)
    root.addHandler(make_handler(app.config.get("LOG_FORMAT", "text")))
    level = app.config.get("LOG_LEVEL") or "INFO"
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    app.logger.removeHandler(default_handler)  # propagate to the root handler instead

    @app.before_request
    def assign_request_id():
        g.request_id = request_id_from(request.headers.get(HEADER))

    @app.after_request
    def send_request_id(response: Response):
        response.headers[HEADER] = current_request_id()
        return response
