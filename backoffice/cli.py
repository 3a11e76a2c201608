"""The ``backoffice`` command: Flask's commands (db, run, shell, routes) plus each package's."""
from flask.cli import FlaskGroup

from . import create_app
from .reports.cli import import_cli, reports_cli

cli = FlaskGroup(create_app=lambda: create_app(), name="backoffice",
                 help="Backoffice of an umbrella nonprofit. Run `backoffice COMMAND --help`.")
# The reports' commands join here: nothing below the web layer imports ``reports``.
cli.add_command(reports_cli)
cli.add_command(import_cli)


def main() -> None:
    cli.main(prog_name="backoffice")
