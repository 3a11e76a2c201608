"""Throwaway databases for tests: a migrated template per backend, cloned for every test.

SQLite: the template is a file, copied per test (about a millisecond).
PostgreSQL (when TEST_DATABASE_URL names a server's maintenance database): the template is a
database, cloned per test with CREATE DATABASE ... TEMPLATE.
"""
from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from backoffice.config import normalise_database_url

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_counter = itertools.count()
_RUN = uuid.uuid4().hex[:8]


def _admin_connection():
    url = make_url(normalise_database_url(PG_URL))
    return psycopg.connect(host=url.host, port=url.port, user=url.username,
                           password=url.password, dbname=url.database or "postgres",
                           autocommit=True)


def pg_url_for(name: str) -> str:
    return make_url(normalise_database_url(PG_URL)).set(database=name).render_as_string(
        hide_password=False)


def create_pg_database(name: str, template: str | None = None) -> str:
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.execute(f'CREATE DATABASE "{name}"{suffix}')
    return pg_url_for(name)


def drop_pg_database(name: str) -> None:
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Templates:
    """Builds each backend's template databases once, on first use.

    "schema" is the migrated, empty database; every other kind is built on a copy of it by the
    function given for that kind (e.g. "demo": the demo association seeded into it).
    """

    def __init__(self, directory: Path, migrate, **kinds):
        self.directory = directory
        self.migrate = migrate  # callable(url) that runs the migrations
        self.kinds = kinds      # kind -> callable(url) that fills a copy of the schema
        self.built: dict[tuple[str, str], str] = {}
        self.spares: dict[str, Future] = {}  # PostgreSQL template -> its next clone, being made
        self.background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clones")

    def template(self, backend: str, kind: str = "schema") -> str:
        key = (backend, kind)
        if key not in self.built:
            if kind == "schema":
                if backend == "sqlite":
                    path = self.directory / "template.db"
                    self.migrate(f"sqlite:///{path}")
                    self.built[key] = str(path)
                else:
                    name = f"bo_tmpl_{_RUN}"
                    self.migrate(create_pg_database(name))
                    self.built[key] = name
            else:
                url, _ = self._copy(backend, self.template(backend), f"tmpl_{kind}")
                self.kinds[kind](url)
                self.built[key] = url.rsplit("/", 1)[-1] if backend != "sqlite" else \
                    url.removeprefix("sqlite:///")
        return self.built[key]

    def _copy(self, backend: str, template: str, label: str) -> tuple[str, callable]:
        if backend == "sqlite":
            path = self.directory / f"{label}-{next(_counter)}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", lambda: None
        name = f"bo_{label}_{_RUN}_{next(_counter)}"
        url = create_pg_database(name, template=template)
        return url, lambda: drop_pg_database(name)

    def clone(self, backend: str, directory: Path, kind: str = "schema") -> tuple[str, callable]:
        """A fresh database for one test: (url, cleanup)."""
        template = self.template(backend, kind)
        if backend == "sqlite":
            path = directory / f"test-{next(_counter)}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", lambda: None
        return self._spare(template)

    def _spare(self, template: str) -> tuple[str, Callable[[], object]]:
        """A PostgreSQL clone of ``template`` made while the previous test ran (CREATE DATABASE
        takes ~0.2 s of the server, mostly spent beside the test's own work), the next one
        begun at once; dropped in the background too. Templates never change once built, so a
        clone made early is the same as one made now."""
        spare = self.spares.pop(template, None)
        url = spare.result() if spare is not None else \
            create_pg_database(f"bo_t_{_RUN}_{next(_counter)}", template=template)
        self.spares[template] = self.background.submit(
            create_pg_database, f"bo_t_{_RUN}_{next(_counter)}", template=template)
        return url, lambda: self.background.submit(drop_pg_database, url.rsplit("/", 1)[-1])

    def cleanup(self) -> None:
        for spare in self.spares.values():
            drop_pg_database(spare.result().rsplit("/", 1)[-1])
        self.background.shutdown(wait=True)
        for (backend, _), template in self.built.items():
            if backend == "postgresql":
                drop_pg_database(template)
