"""The migrations build the schema from nothing on both databases, and match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from backoffice import create_app
from backoffice.extensions import db

from .conftest import base_config
from .databases import create_pg_database, drop_pg_database


def _fresh(backend, tmp_path):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}", lambda: None
    name = f"bo_empty_{tmp_path.name[-20:].replace('-', '_').lower()}"
    return create_pg_database(name), lambda: drop_pg_database(name)


def test_upgrade_from_empty_downgrade_and_upgrade_again_matches_the_models(backend, tmp_path):
    url, cleanup = _fresh(backend, tmp_path)
    try:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
                assert diff == [], diff
                assert connection.execute(text("SELECT count(*) FROM accounts")).scalar() > 30
                assert connection.execute(text("SELECT code FROM funds")).scalars().all() == ["GEN"]
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert "postings" in inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        cleanup()
