import click
from flask.cli import AppGroup

from ..core.db import transaction
from ..core.errors import DomainError
from ..core.permissions import Role
from ..extensions import db, settings
from . import services

user_cli = AppGroup("user", help="Manage user accounts.")


@user_cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]), help="Repeat for several roles.")
@click.option("--name", default="", help="Full name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
def create_user(email: str, roles: tuple[str, ...], name: str, password: str):
    """Create a user who can log in at once."""
    try:
        with transaction():
            user = services.create_user(db.session, email, roles=roles, name=name, password=password,
                                        settings=settings())
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} ({', '.join(sorted(r.value for r in user.roles))}).")
