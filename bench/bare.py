"""The yardstick of the load benchmark (bench/load.py): a bare Flask + Flask-SQLAlchemy page that
reads twenty rows and renders them, served by the same gunicorn on the same database.

``gunicorn 'bench.bare:create()'`` with DATABASE_URL set.
"""
from __future__ import annotations

import os

from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Users</title></head>
<body><h1>Users</h1><table>{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.email }}</td>
</tr>{% endfor %}</table></body></html>"""


def create() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db = SQLAlchemy(app)

    @app.get("/")
    def users():
        rows = db.session.execute(text("SELECT id, email FROM users ORDER BY id LIMIT 20")).all()
        return render_template_string(PAGE, rows=rows)

    return app
