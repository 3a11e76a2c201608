"""`make run-prod` as an operator starts it: gunicorn with two workers, a Celery worker and beat,
in production mode, against PostgreSQL and Redis. A treasurer logs in and issues and mails an
invoice (the mail leaves through the worker), the sponsor pays and Stripe's signed webhook reaches
one of the web workers, and a statement import runs as a job whose page shows its result. Then
SIGTERM stops all three processes.

Needs PostgreSQL (TEST_DATABASE_URL; skipped without it) and Redis (a failure where it is required,
BACKOFFICE_REQUIRE_REDIS=1 as in CI), as CI has."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from backoffice import create_app
from backoffice.auth.services import create_user
from backoffice.banking import services as banking
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.extensions import settings as app_settings
from backoffice.ledger import services as ledger

from .. import stripe_standin as sis
from ..banking.conftest import IBAN, sample
from ..conftest import MailSink, _free_port, base_config
from ..databases import PG_URL, create_pg_database, drop_pg_database
from ..helpers import PASSWORD, email_for
from ..invoicing import factories
from ..test_worker import wait_for
from .conftest import ARTIFACTS, log_in

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_SMOKE_URL", "redis://127.0.0.1:6379/14")
PUBLIC = "https://backoffice.example.org"
pytestmark = pytest.mark.slow


def _redis():
    import redis  # noqa: PLC0415

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        client.close()
        if os.environ.get("BACKOFFICE_REQUIRE_REDIS"):  # CI: never skipped
            pytest.fail(f"Redis does not answer at {REDIS_URL}")
        pytest.skip(f"production smoke test skipped: Redis does not answer at {REDIS_URL}")
    return client


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def database():
    if not PG_URL:
        pytest.skip("production smoke test skipped: it runs on PostgreSQL (TEST_DATABASE_URL)")
    name = f"bo_prod_smoke_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(name)
    yield url
    drop_pg_database(name)


@pytest.fixture
def mail():
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, sink.messages
    controller.stop()


@pytest.fixture(scope="module")
def stripe_server():
    server = sis.StripeStandIn()
    yield server
    server.close()


@pytest.fixture
def run_prod(database, mail, stripe_server, tmp_path):
    """`make run-prod` in its own process group; yields its address once /readyz answers 200."""
    redis = _redis()
    redis.flushdb()
    port = _free_port()
    env = {**os.environ, "BACKOFFICE_ENV": "production", "SECRET_KEY": uuid.uuid4().hex * 2,
           "DATABASE_URL": database, "BACKOFFICE_INSTANCE_PATH": str(tmp_path / "instance"),
           "BACKOFFICE_BASE_URL": PUBLIC, "BACKOFFICE_TRUSTED_HOSTS": "backoffice.example.org,127.0.0.1",
           "BACKOFFICE_QUEUE_BROKER_URL": REDIS_URL, "REDIS_URL": REDIS_URL,
           "BACKOFFICE_MAIL_SERVER": "127.0.0.1", "BACKOFFICE_MAIL_PORT": str(mail[0]),
           "BACKOFFICE_STRIPE_SECRET_KEY": sis.API_KEY,
           "BACKOFFICE_STRIPE_WEBHOOK_SECRET": sis.WEBHOOK_SECRET,
           "BACKOFFICE_STRIPE_API_BASE": stripe_server.url,
           "BACKOFFICE_STRIPE_CHECKOUT_ORIGIN": stripe_server.url,
           "BACKOFFICE_BANK_IMPORT_JOB_BYTES": "100",  # every statement is imported as a job
           "BACKOFFICE_SEPA_DEBTOR_IBAN": "DE75512108001245126199",
           "BACKOFFICE_INVOICE_SELLER": json.dumps({
               "street": "Hauptstraße 1", "tax_number": "27/123/45678", "vat_id": "DE999999999",
               "register": "VR 99999, Amtsgericht Berlin", "board": "A. Vorstand, B. Kasse",
               "email": "kasse@smoke.example.org", "website": "https://smoke.example.org",
               "iban": "DE75512108001245126199", "bic": "INGDDEFFXXX"})}
    env.pop("TEST_DATABASE_URL", None)
    log = tmp_path / "run-prod.log"
    with log.open("wb") as output:
        process = subprocess.Popen(["make", "-s", "run-prod", f"PORT={port}", "HOST=127.0.0.1",
                                    "WORKERS=2"], cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.poll() is not None or _ready(url), 120, "/readyz to answer 200")
        assert process.poll() is None, log.read_text()
        yield url, process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        redis.flushdb()
        redis.close()


def _seed(database: str) -> tuple[int, int]:
    """A treasurer, a sponsor's draft invoice and the bank account, written as another process
    would (the production app only serves)."""
    app = create_app(base_config(database))
    with app.app_context():
        with transaction():
            treasurer = create_user(db.session, email_for(Role.TREASURER), settings=app_settings(),
                                    roles=[Role.TREASURER], password=PASSWORD, name="Tessa Treasurer")
            account = banking.create_bank_account(
                db.session, name="Current account", iban=IBAN, bic="COBADEFFXXX", currency="EUR",
                ledger_account=ledger.account_by_role(db.session, "bank"), actor=treasurer)
        draft = factories.draft(factories.sponsor("NL"), [
            ("Gold sponsorship PyConf 2026", 1000, 250000, "standard")])
        ids = draft.id, account.id
        db.session.remove()
        db.engine.dispose()
    return ids


def test_make_run_prod_serves_invoices_webhooks_mail_and_jobs(run_prod, database, mail, browser,
                                                             stripe_server, tmp_path):
    url, process, log = run_prod
    invoice_id, account_id = _seed(database)
    context = browser.new_context(base_url=url, locale="en-GB")
    page = context.new_page()

    # Log in and issue the invoice; mail it: the web worker only writes the outbox.
    log_in(page, email_for("treasurer"), PASSWORD)
    page.goto(f"/invoices/{invoice_id}")
    page.click("#issue")
    expect(page.locator(".alert-success")).to_contain_text("is issued and booked")
    number = page.locator("h1").inner_text().split()[1]
    page.click("text=Send by email")
    expect(page.locator(".alert-success")).to_be_visible()
    sent = wait_for(lambda: mail[1], 60, "the invoice mail, sent by the job worker")
    assert sent[0]["To"] == "ap@sponsor.example" and number in sent[0]["Subject"]
    assert any(part.get_filename() == f"{number}.pdf" for part in sent[0].iter_attachments())

    # The sponsor pays online; Stripe's signed event reaches a web worker.
    pay_link = page.locator("[data-testid=pay-link]").inner_text()
    assert pay_link.startswith(f"{PUBLIC}/pay/")  # absolute URLs from the configured base URL
    sponsor = browser.new_context(base_url=url, locale="en-GB")
    pay_page = sponsor.new_page()
    pay_page.goto(pay_link.removeprefix(PUBLIC))
    pay_page.click("#pay-online")
    pay_page.wait_for_url(f"{stripe_server.url}/c/pay/*")
    session_id = pay_page.locator("#session").inner_text()
    sponsor.close()
    payload, headers = sis.delivery(sis.event("checkout.session.completed",
                                              stripe_server.complete(session_id)))
    request = urllib.request.Request(f"{url}/stripe/webhook", data=payload, headers=headers,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["status"] == "processed"
    page.reload()
    expect(page.locator("[data-testid=status]").first).to_have_text("Paid")

    # A statement import runs as a job on the worker; its page shows the result.
    page.goto(f"/bank/accounts/{account_id}")
    statement = tmp_path / "march.xml"
    statement.write_bytes(sample("camt053-v02-two-statements.xml"))
    page.set_input_files("#file", str(statement))
    page.click("#import")
    page.wait_for_url("**/jobs/*")
    wait_for(lambda: page.reload() and "5 new lines" in page.content(), 60,
             "the import job's result on its page")
    page.screenshot(path=str(ARTIFACTS / "production-job-page.png"), full_page=True)
    context.close()

    # SIGTERM stops web, worker and beat together.
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(60)
    output = log.read_text()
    assert "started web (pid" in output and "worker (pid" in output and "beat (pid" in output
    assert "Booting worker with pid" in output  # gunicorn's web workers
    assert "mail.drain" in output  # the worker ran the outbox job
