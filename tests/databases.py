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
    """Builds each backend's migrated template once, on first use."""

    def __init__(self, directory: Path, migrate):
        self.directory = directory
        self.migrate = migrate  # callable(url) that runs the migrations
        self.built: dict[str, str] = {}

    def template(self, backend: str) -> str:
        if backend not in self.built:
            if backend == "sqlite":
                path = self.directory / "template.db"
                self.migrate(f"sqlite:///{path}")
                self.built[backend] = str(path)
            else:
                name = f"bo_tmpl_{_RUN}"
                self.migrate(create_pg_database(name))
                self.built[backend] = name
        return self.built[backend]

    def clone(self, backend: str, directory: Path) -> tuple[str, callable]:
        """A fresh database for one test: (url, cleanup)."""
        template = self.template(backend)
        if backend == "sqlite":
            path = directory / f"test-{next(_counter)}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", lambda: None
        name = f"bo_t_{_RUN}_{next(_counter)}"
        url = create_pg_database(name, template=template)
        return url, lambda: drop_pg_database(name)

    def cleanup(self) -> None:
        if "postgresql" in self.built:
            drop_pg_database(self.built["postgresql"])
