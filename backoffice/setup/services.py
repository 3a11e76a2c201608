"""The first run (one admin and the association's details, in one unit of work) and what the
start page says is missing."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..auth.services import create_user
from ..core import stored_settings
from ..core.errors import AlreadyDone
from ..core.i18n import _
from ..core.iban import normalise_iban
from ..core.permissions import Permission, Role
from ..core.settings import Settings, setup_problems
from ..core.stored_settings import StoredSetting

if TYPE_CHECKING:
    from ..core.actors import Actor

#: The row the first run writes: a second wizard sent at the same time fails on its key.
SETUP_DONE = "setup.completed"


def needs_setup(session: Session) -> bool:
    """A first run: nobody can log in yet."""
    return not session.scalar(select(exists().where(User.id.isnot(None))))


def first_run(session: Session, settings: Settings, config: Mapping[str, Any], *,
              email: str, name: str, password: str, details: Mapping[str, Any],
              instance_path: str = "instance") -> User:
    """Create the first admin and store the association's details; refused once anybody has an
    account (the wizard is for the very first visitor only)."""
    if not needs_setup(session):
        raise AlreadyDone(_("The association is set up already: log in instead."))
    session.add(StoredSetting(key=SETUP_DONE, value=True))
    session.flush()  # a wizard sent twice at once stops here (the key exists)
    details = dict(details)
    for iban, bic in (("INVOICE_SELLER.iban", "INVOICE_SELLER.bic"),
                      ("SEPA_DEBTOR_IBAN", "SEPA_DEBTOR_BIC")):
        if details.get(iban) and not details.get(bic):  # derived where the bank registry knows it
            details[bic] = normalise_iban(details[iban])[1] or ""
    admin = create_user(session, email, roles=[Role.ADMIN], settings=settings, name=name,
                        password=password)
    session.flush()
    stored_settings.save(session, config, details, actor=admin, instance_path=instance_path)
    return admin


def start_page_panel(sender: str, *, session: Session, user: Actor,
                     settings: Settings | None = None, **_: object) -> dict | None:
    """What is missing before documents go out, for those who can set it."""
    if settings is None or not user.can(Permission.SETTINGS_MANAGE):
        return None
    problems = setup_problems(settings)
    return {"setup": problems} if problems else None
