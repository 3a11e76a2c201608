"""The ``backoffice`` command: Flask's commands (db, run, shell, routes) plus each package's."""
from flask.cli import FlaskGroup

from . import create_app

cli = FlaskGroup(create_app=lambda: create_app(), name="backoffice",
                 help="Backoffice of an umbrella nonprofit. Run `backoffice COMMAND --help`.")


def main() -> None:
    cli.main(prog_name="backoffice")
