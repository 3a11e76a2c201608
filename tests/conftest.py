from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from sqlalchemy import select

from backoffice import create_app
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db, settings_of
from backoffice.extensions import settings as app_settings

from .databases import BACKENDS, Templates
from .helpers import PASSWORD, email_for

# Timing is not a property: speed is measured in `make bench`. On a shared machine one slow draw
# (a stalled process) must not fail a test, so Hypothesis's deadline and slowness check are off.
hypothesis_settings.register_profile("backoffice", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Mutation runs (tests/mutation.py) only ask whether a test fails: a failing example is not
# shrunk (shrinking one over the database took minutes a mutant).
hypothesis_settings.register_profile(
    "mutation", hypothesis_settings.get_profile("backoffice"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate])
hypothesis_settings.load_profile(os.environ.get("BACKOFFICE_HYPOTHESIS_PROFILE", "backoffice"))

FAST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}

# Never the working tree's instance/ (nor one set in the shell): each test process (make test runs
# several) keeps what the app writes there (the demo's bank files, keys) in a folder of its own.
os.environ["BACKOFFICE_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="backoffice-test-instance-")
atexit.register(shutil.rmtree, os.environ["BACKOFFICE_INSTANCE_PATH"], ignore_errors=True)


class MailSink:
    """An SMTP server on localhost that keeps what it receives."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes, policy
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class FreshContextClient(FlaskClient):
    """Every request gets its own app context, as in production.

    The ``app`` fixture keeps an app context pushed for the test's own database work; Flask would
    otherwise reuse it for the client's requests, and ``g`` (the logged-in user, the CSRF token)
    would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, sink
    controller.stop()


def base_config(database_url: str, smtp_port: int | None = None, instance_path: str | None = None) -> dict:
    return {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_SERVER": "127.0.0.1" if smtp_port else None,
        "MAIL_PORT": smtp_port or 25,
        "ARGON2_PARAMETERS": FAST_ARGON2,
        "SERVER_NAME": None,
        "BASE_URL": "http://localhost",
        "PUBLIC_FORM_MIN_FILL_SECONDS": 0,  # tests type faster than people; spam tests raise it
        "INVOICE_CHECK_EN16931": True,  # every e-invoice a test makes passes the business rules
        "CHECK_UNSAVED_CHANGES": True,  # a request that leaves changes uncommitted fails
    }


def _migrate(url: str) -> None:
    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


DEMO_SINCE_DAYS = 40


def _demo_uploads(directory) -> str:
    return str(directory / "demo-uploads")


def _demo_instance(directory) -> str:
    """The demo template's instance folder: the bank statement it leaves for the newcomer to
    import belongs to that template, whatever other tests seed meanwhile."""
    return str(directory / "demo-instance")


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    directory = tmp_path_factory.mktemp("db-templates")

    def seed_demo(url: str) -> None:
        """The demo association (40 days of history), seeded once per backend."""
        from backoffice.demo.seed import seed

        shared = os.environ["BACKOFFICE_INSTANCE_PATH"]
        os.environ["BACKOFFICE_INSTANCE_PATH"] = _demo_instance(directory)
        try:
            app = create_app(base_config(url) | {"UPLOAD_FOLDER": _demo_uploads(directory)})
        finally:
            os.environ["BACKOFFICE_INSTANCE_PATH"] = shared
        with app.app_context():
            with transaction():
                seed(db.session, settings_of(app),
                     since=clock.today() - timedelta(days=DEMO_SINCE_DAYS))
            db.session.remove()
            db.engine.dispose()

    def seed_users(url: str) -> None:
        """One user per role (the ``users`` fixture's), made once per backend."""
        app = create_app(base_config(url))
        with app.app_context():
            with transaction():
                _make_users()
            db.session.remove()
            db.engine.dispose()

    holder = Templates(directory, _migrate, demo=seed_demo, users=seed_users)
    yield holder
    holder.cleanup()


#: The backend of the tests that run on one database only: PostgreSQL, production's, when
#: TEST_DATABASE_URL is set; SQLite otherwise.
ONE_BACKEND = BACKENDS[-1]
E2E = Path(__file__).parent / "e2e"


def runs_on_one_backend(definition) -> bool:
    """Browser tests (tests/e2e/) check pages, not the database: they run once, on
    ``ONE_BACKEND``. What a page shows of the database (numbers, races, locks, a query that only
    one database refuses) is proven on both backends by the tests outside tests/e2e/, among them
    the walks over every page (test_hostile_input.py, board/test_auditor_access.py). A browser
    test whose database behaviour no other test proves is marked ``both_backends``."""
    return E2E in definition.path.parents and definition.get_closest_marker("both_backends") is None


def pytest_generate_tests(metafunc):
    """Every test that uses a database (the ``backend`` fixture, through ``app``) runs on each
    of ``BACKENDS``, but for those ``runs_on_one_backend`` names."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", [ONE_BACKEND] if runs_on_one_backend(metafunc.definition)
                             else BACKENDS, indirect=True)


@pytest.fixture
def backend(request):
    return request.param


def _wants_demo(request) -> bool:
    return request.node.get_closest_marker("demo_data") is not None


def _template_kind(request) -> str:
    if _wants_demo(request):
        return "demo"
    return "users" if "users" in request.fixturenames else "schema"


@pytest.fixture
def database_url(request, backend, templates, tmp_path):
    """A fresh database for the test: migrated and empty, with the ``users`` fixture's users
    when the test asks for them, or with the demo association for tests marked
    ``@pytest.mark.demo_data``."""
    url, cleanup = templates.clone(backend, tmp_path, _template_kind(request))
    yield url
    cleanup()


@pytest.fixture
def app(request, database_url, smtp_server, templates, tmp_path, monkeypatch):
    if _wants_demo(request):
        monkeypatch.setenv("BACKOFFICE_INSTANCE_PATH", _demo_instance(templates.directory))
    app = create_app(base_config(database_url, smtp_server[0]))
    # Never the working tree's instance/ (demo receipts live beside the demo template).
    app.config["UPLOAD_FOLDER"] = _demo_uploads(templates.directory) if _wants_demo(request) \
        else str(tmp_path / "uploads")
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def mailbox(smtp_server):
    sink = smtp_server[1]
    sink.messages.clear()
    return sink.messages


@pytest.fixture
def client(app):
    return app.test_client()


def _make_users() -> dict:
    from backoffice.auth.services import create_user

    return {role: create_user(db.session, email_for(role), settings=app_settings(), roles=[role],
                              password=PASSWORD, name=f"Test {role.value.capitalize()}")
            for role in Role}


@pytest.fixture
def users(request, app):
    """One user per role, all with the password ``helpers.PASSWORD``: in the template the test's
    database was cloned from (made once, not ~50 ms a test), or made here beside the demo
    association."""
    if _template_kind(request) != "users":
        with transaction():
            return _make_users()
    from backoffice.auth.models import User

    found = {user.email: user for user in db.session.scalars(select(User))}
    return {role: found[email_for(role)] for role in Role}


@pytest.fixture
def today():
    return clock.today()
