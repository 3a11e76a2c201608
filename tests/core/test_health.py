"""Health and readiness (/healthz, /readyz, `backoffice doctor`) and logs with a request id."""
from __future__ import annotations

import io
import json
import logging
import socket
import sys

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from backoffice import create_app
from backoffice.core import health, logs
from backoffice.core.db import transaction
from backoffice.extensions import db

from ..conftest import FreshContextClient, base_config


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends


def _app(tmp_path, **config):
    made = create_app(base_config(config.pop("url", f"sqlite:///{tmp_path / 'none.db'}"))
                      | {"UPLOAD_FOLDER": str(tmp_path / "uploads")} | config)
    made.test_client_class = FreshContextClient
    return made


def _down_database_url() -> str:
    return f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{_closed_port()}/backoffice"


def _assert_no_secrets(body: str) -> None:
    for secret in ("127.0.0.1", "s3cret", "postgresql", "sqlite", "/tmp", "redis://"):
        assert secret not in body


def test_a_ready_instance_answers_200_with_every_check_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {
        "database": "ok", "migrations": "ok", "storage": "ok"}}


def test_healthz_answers_without_the_database(tmp_path):
    app = _app(tmp_path, url=_down_database_url())
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_says_503_when_the_database_is_down_and_names_no_host_or_password(tmp_path):
    app = _app(tmp_path, url=_down_database_url())
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == "failed: unreachable"
    assert checks["migrations"].startswith("failed") and checks["storage"] == "ok"
    _assert_no_secrets(response.get_data(as_text=True))


def test_readyz_says_503_when_storage_is_not_writable(app, client, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.config["UPLOAD_FOLDER"] = str(blocker / "uploads")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok",
                                             "storage": "failed: not writable"}
    _assert_no_secrets(response.get_data(as_text=True))


def test_readyz_says_503_when_migrations_are_behind_or_ahead(app, client, session):
    head = health.head_revision()
    previous = ScriptDirectory(str(health.MIGRATIONS)).get_revision(head).down_revision
    with transaction():
        session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.get_json()["checks"]["migrations"].startswith("failed: not current")
    with transaction():
        session.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    ahead = client.get("/readyz")
    assert ahead.status_code == 503
    assert ahead.get_json()["checks"]["migrations"] == "failed: database is newer than this code"


def test_readyz_checks_redis_only_when_configured(app, client):
    assert "redis" not in client.get("/readyz").get_json()["checks"]
    app.config["REDIS_URL"] = f"redis://:s3cret@127.0.0.1:{_closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "failed: unreachable"
    _assert_no_secrets(response.get_data(as_text=True))


def test_redis_that_answers_ping_is_ready(app):
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis at 127.0.0.1:6379 on this machine")
    assert health.check_redis("redis://127.0.0.1:6379/0").ok


def test_doctor_reports_each_readiness_check(app, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app.config["UPLOAD_FOLDER"] = str(blocker / "uploads")
    output = app.test_cli_runner().invoke(args=["doctor"]).output
    assert "ok    database" in output and f"ok    migrations at {health.head_revision()}" in output
    assert "FAIL  storage: not writable" in output and "problem(s) found" in output


# --- request ids and log lines ---------------------------------------------------------------

@pytest.fixture
def log_lines(tmp_path):
    """An app logging as JSON, and what its log handler wrote so far (one dict a line)."""
    app = _app(tmp_path, LOG_FORMAT="json")
    with app.app_context():
        db.engine.dispose()
    stream = io.StringIO()
    logs.installed_handler().setStream(stream)
    yield app, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logs.installed_handler().setStream(sys.stderr)


def test_a_well_formed_request_id_from_the_proxy_is_kept_and_logged(log_lines, tmp_path):
    app, lines = log_lines
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "missing-parent-file")
    (tmp_path / "missing-parent-file").write_text("x")  # storage fails: a warning is logged
    response = app.test_client().get("/readyz", headers={"X-Request-ID": "edge-4f2a9c11.01"})
    assert response.headers["X-Request-ID"] == "edge-4f2a9c11.01"
    [line] = [line for line in lines() if "readiness: storage" in line["message"]]
    assert line["request_id"] == "edge-4f2a9c11.01" and line["level"] == "WARNING"
    assert set(line) >= {"time", "level", "logger", "request_id", "message"}


@pytest.mark.parametrize("header", ["short", "../../etc/passwd;x=1", "<script>alert(1)</script>",
                                    "x" * 129, "spaces are not ids"])
def test_a_malformed_request_id_is_replaced_by_a_new_one(log_lines, header):
    app, _ = log_lines
    response = app.test_client().get("/healthz", headers={"X-Request-ID": header})
    assert response.headers["X-Request-ID"] != header
    assert logs.WELL_FORMED.fullmatch(response.headers["X-Request-ID"])


def test_every_request_gets_its_own_id(log_lines):
    app, _ = log_lines
    client = app.test_client()
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second and len(first) == 32


def test_text_logs_carry_the_request_id_and_lines_outside_requests_a_dash(tmp_path):
    app = _app(tmp_path)
    stream = io.StringIO()
    logs.installed_handler().setStream(stream)
    try:
        app.logger.warning("outside any request")
        with app.test_request_context("/", headers={"X-Request-ID": "abcdef123456"}):
            app.preprocess_request()
            app.logger.warning("inside a request")
    finally:
        logs.installed_handler().setStream(sys.stderr)
    outside, inside = stream.getvalue().splitlines()
    assert "WARNING [-] backoffice: outside any request" in outside
    assert "WARNING [abcdef123456] backoffice: inside a request" in inside


def test_rendering_a_document_logs_no_library_chatter(log_lines):
    """WeasyPrint logs each rendering step and factur-x each embedding at INFO; the demo seed
    printed a hundred such lines. Only the libraries' warnings reach the log."""
    from backoffice.invoicing.documents import embed_einvoice  # noqa: F401 (imports factur-x)
    from backoffice.pdf import html_to_pdf

    app, lines = log_lines
    with app.app_context():
        html_to_pdf("<p>Hello</p>", pdf_variant="pdf/a-3b")
    assert [line["logger"] for line in lines()] == []
    assert logging.getLogger("factur-x").getEffectiveLevel() == logging.WARNING
