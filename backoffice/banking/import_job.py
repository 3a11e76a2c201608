"""A large statement file imported as a job (``bank.import``): the page that received the file
starts the job and shows its page; a worker parses and writes the lines, reporting progress, and
leaves the same notes the page would have shown as the job's result."""
from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from ..core import jobs
from ..core.actors import Actor
from ..core.queue import job, job_settings
from . import imports
from .models import BankAccount

KIND = "bank.import"


def start(session: Session, account: BankAccount, *, filename: str, data: bytes,
          actor: Actor) -> jobs.Job:
    """The import job of this file into this account: a new one, or the one started before for
    the same bytes (a second upload starts nothing)."""
    digest = hashlib.sha256(data).hexdigest()
    return jobs.start(session, KIND, title=f"Import {filename} into {account.name}",
                      key=f"{KIND}:{account.id}:{digest}", actor=actor, payload=data,
                      params={"account_id": account.id, "filename": filename})


def _work(session: Session, job: jobs.Job, progress: jobs.Progress) -> dict:
    account = session.get(BankAccount, job.params["account_id"])
    filename = job.params["filename"]

    def tick(done: int, total: int) -> None:
        job.total = total  # written with the result
        progress(done, total)

    result = imports.import_statement(session, account, filename=filename, data=job.payload,
                                       actor=job.started_by, progress=tick, settings=job_settings())
    target = account.id if result.already_imported else result.record.bank_account_id
    return {"notes": imports.import_summary(session, result, filename),
            "link": {"endpoint": "banking.account" if result.already_imported
                     else "banking.reconcile", "account_id": target}}


@job(KIND)
def import_statement(job_id: int) -> None:
    jobs.run(job_id, _work)
