"""A client of the database that is not the application: its own connection, plain SQL, none of
the application's settings (no SQLite pragmas: what any other client would send)."""
from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.engine import make_url


class Outsider:
    """Plain SQL on its own connection, each statement committed at once (autocommit)."""

    def __init__(self, url, user: str | None = None):
        url = make_url(str(url) if not hasattr(url, "render_as_string")
                       else url.render_as_string(hide_password=False))
        self.backend = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
        if self.backend == "sqlite":
            self.connection = sqlite3.connect(url.database, isolation_level=None, timeout=10)
        else:
            self.connection = psycopg.connect(host=url.host, port=url.port, dbname=url.database,
                                              user=user or url.username, password=url.password,
                                              autocommit=True)

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.backend == "postgresql" else statement

    def execute(self, statement: str, params=()) -> None:
        self.connection.execute(self._sql(statement), params)

    def rows(self, statement: str, params=()) -> list[tuple]:
        return [tuple(row) for row in self.connection.execute(self._sql(statement), params)]

    def row(self, statement: str, params=()) -> dict:
        cursor = self.connection.execute(self._sql(statement), params)
        names = [column[0] for column in cursor.description]
        found = cursor.fetchone()
        assert found is not None, statement
        return dict(zip(names, found))

    def snapshot(self, table: str) -> list[tuple]:
        return sorted(map(repr, self.rows(f"SELECT * FROM {table}")))

    def close(self) -> None:
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
