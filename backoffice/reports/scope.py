"""Which funds a report covers and how they are grouped into columns.

Fund groups (the columns of the statement of activities, the subtotals of restricted net
assets): the unrestricted general fund, the funds of member groups, the funds of grant
programmes, and any other restricted fund.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import String, exists, select, type_coerce

from ..banking.models import BankAccount
from ..core.i18n import _l
from ..grants.models import Programme
from ..groups.models import MemberGroup
from ..ledger.chart import Fund, FundKind
from ..ledger.reads import ChartFund

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..core.actors import Actor

UNRESTRICTED = "unrestricted"
GROUPS = "groups"
PROGRAMMES = "programmes"
OTHER = "other"
GROUP_LABELS = {UNRESTRICTED: _l("Unrestricted"), GROUPS: _l("Member groups"),
                PROGRAMMES: _l("Grant programmes"), OTHER: _l("Other restricted")}
#: The subtotal line of each fund group.
GROUP_TOTALS = {UNRESTRICTED: _l("Total unrestricted"), GROUPS: _l("Total member groups"),
                PROGRAMMES: _l("Total grant programmes"), OTHER: _l("Total other restricted")}
GROUP_ORDER = tuple(GROUP_LABELS)


@dataclass(frozen=True)
class FundRow:
    fund: ChartFund
    group: str  # one of GROUP_ORDER

    @property
    def group_label(self) -> str:
        return str(GROUP_LABELS[self.group])


def fund_rows(session: Session) -> list[FundRow]:
    """Every fund with its fund group, in group order then code order: one statement (issue 17:
    the funds, then the member groups' and the programmes' funds, were three)."""
    rows = []
    for id_, code, name, kind, active, programme, group in session.connection().execute(
            _FUND_ROWS).all():
        fund = ChartFund(id_, code, name, kind != FundKind.GENERAL.value, active)
        rows.append(FundRow(fund, UNRESTRICTED if not fund.restricted else PROGRAMMES
                            if programme else GROUPS if group else OTHER))
    return sorted(rows, key=lambda row: (GROUP_ORDER.index(row.group), row.fund.code))


#: Every fund, whether a programme holds it, whether a member group does.
_FUND_ROWS = select(
    Fund.id, Fund.code, Fund.name, type_coerce(Fund.kind, String), Fund.active,
    exists().where(Programme.fund_id == Fund.id), exists().where(MemberGroup.fund_id == Fund.id))


@dataclass(frozen=True)
class OwnFund:
    group_name: str
    fund_id: int


def organised_funds(session: Session, user: Actor) -> list[OwnFund]:
    """The funds of the member groups ``user`` organises (an organiser's only report)."""
    ids = getattr(user, "organised_group_ids", None) or []
    if not ids:
        return []
    return [OwnFund(name, fund_id) for name, fund_id in session.execute(
        select(MemberGroup.name, MemberGroup.fund_id)
        .where(MemberGroup.id.in_(list(ids)), MemberGroup.fund_id.is_not(None))
        .order_by(MemberGroup.name))]


def bank_ledger_accounts(session: Session) -> set[int]:
    """The ledger accounts of the association's bank accounts (cash, whatever their role)."""
    return set(session.scalars(select(BankAccount.ledger_account_id)))
