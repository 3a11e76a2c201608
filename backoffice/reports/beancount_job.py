"""A Beancount history imported as a job (``beancount.import``): the command hands the file to the
queue, a worker imports it (all or nothing, as ``beancount_import.import_file``) and keeps the
report as the job's result, on the job's page and for ``backoffice jobs show``. The same file
asked for again names the job started before."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from ..core import jobs
from ..core.actors import Actor
from ..core.queue import job
from . import beancount_import

KIND = "beancount.import"


def start(session: Session, *, filename: str, data: bytes, mapping_toml: str | None,
          dry_run: bool, actor: Actor | None) -> jobs.Job:
    digest = hashlib.sha256(data + (mapping_toml or "").encode()).hexdigest()
    return jobs.start(session, KIND, title=f"Import {filename} (Beancount)"
                      + (", dry run" if dry_run else ""),
                      key=f"{KIND}:{digest}:{int(dry_run)}", actor=actor, payload=data,
                      params={"filename": filename, "mapping": mapping_toml, "dry_run": dry_run})


def _work(session: Session, row: jobs.Job, progress: jobs.Progress) -> dict:
    with tempfile.TemporaryDirectory(prefix="beancount-") as work:
        books = Path(work) / Path(row.params["filename"]).name
        books.write_bytes(row.payload)
        mapping = None
        if row.params.get("mapping"):
            mapping = Path(work) / "mapping.toml"
            mapping.write_text(row.params["mapping"], encoding="utf-8")
        report = beancount_import.import_file(
            session, books, mapping=beancount_import.read_mapping(mapping),
            actor=row.started_by, dry_run=bool(row.params.get("dry_run")))
    return {"notes": report.lines()}


@job(KIND)
def import_books(job_id: int) -> None:
    jobs.run(job_id, _work)
