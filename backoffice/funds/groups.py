"""What funds add to member groups (``core.signals``): the admin-fee policy a group's new fund
starts with, and the fee and recent movements on the group's page."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from ..core import clock
from ..core.actors import Actor
from .fees import policy_on, set_policy
from .models import IncomeKind
from .statements import recent_movements

#: The income a group's fund pays the admin fee on, from its admission.
FEE_KINDS = (IncomeKind.SPONSORSHIP, IncomeKind.DONATION, IncomeKind.TICKETS)


def admitted(sender: object, *, session: Session, fund, fee_percent, actor: Actor, on: date, **kwargs: Any) -> None:
    """An applicant group became active (``group_admitted``): its fund pays the admin fee."""
    set_policy(session, fund, rate_percent=fee_percent, kinds=FEE_KINDS, effective_from=on,
               actor=actor)


def group_panel(sender: object, *, session: Session, group, **kwargs: Any) -> dict:
    """The fee policy in force and the latest movements of the group's fund (``page_panels``)."""
    return {"fee_policy": policy_on(session, group.fund_id, clock.today()) if group.fund_id
            else None,
            "movements": recent_movements(session, group.fund, 8) if group.fund else []}
