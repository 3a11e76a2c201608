"""A large statement file is imported as a job: the page starts it and shows the job's page, with
the same notes the import page gives; the same file again names the job started before; only its
starter and admins see the job."""
from __future__ import annotations

from sqlalchemy import func, select

from backoffice.banking.models import BankLine
from backoffice.core.jobs import DONE, Job
from backoffice.core.permissions import Role

from ..helpers import login, logout
from .conftest import sample
from .test_views import upload


def test_a_large_file_is_imported_as_a_job(app, client, session, users, bank):
    app.config["BANK_IMPORT_JOB_BYTES"] = 100  # every sample is "large"
    login(client, Role.TREASURER)
    response = upload(client, bank, sample("camt053-v02-two-statements.xml"), "march.xml")
    job = session.scalar(select(Job))
    assert response.status_code == 302 and response.location.endswith(f"/jobs/{job.id}")
    assert (job.kind, job.state, job.attempts, job.total, job.done) == ("bank.import", DONE, 1, 5, 5)
    assert job.payload is None  # the file is not kept once imported
    page = client.get(response.location).get_data(as_text=True)
    assert "march.xml imported (CAMT.053 (XML), 2 statements): 5 new lines." in page
    assert f'href="/bank/accounts/{bank.id}/reconcile"' in page and 'value="100"' in page
    assert session.scalar(select(func.count()).select_from(BankLine)) == 5

    again = upload(client, bank, sample("camt053-v02-two-statements.xml"), "march.xml")
    assert again.location.endswith(f"/jobs/{job.id}")  # the same job: nothing imported twice
    assert session.scalar(select(func.count()).select_from(Job)) == 1
    assert session.scalar(select(func.count()).select_from(BankLine)) == 5


def test_a_job_page_is_for_its_starter_and_admins(app, client, session, users, bank):
    app.config["BANK_IMPORT_JOB_BYTES"] = 100
    login(client, Role.TREASURER)
    location = upload(client, bank, sample("camt053-v08-usd.xml"), "usd.xml").location
    assert client.get(location).status_code == 200
    login(client, Role.BOARD)
    assert client.get(location).status_code == 404
    login(client, Role.ADMIN)
    assert client.get(location).status_code == 200
    logout(client)
    assert client.get(location).status_code == 302  # to the login page


def test_a_file_the_job_cannot_read_fails_the_job_with_the_reason(app, client, session, users,
                                                                    bank):
    app.config["BANK_IMPORT_JOB_BYTES"] = 100
    login(client, Role.TREASURER)
    response = upload(client, bank, sample("camt053-v02-two-statements.xml")[:1500], "cut.xml")
    page = client.get(response.location).get_data(as_text=True)
    assert "The job failed: line" in page and "the XML is not" in page
    assert session.scalar(select(func.count()).select_from(BankLine)) == 0
