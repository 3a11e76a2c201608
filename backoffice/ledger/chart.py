"""The chart: the ledger's accounts and funds, and their kinds.

Public, unlike the ledger's other tables (``models``: entries, postings, closed periods, cached
totals), which only the ledger reads and writes: any package may read an account or a fund, keep
one on its own rows (a claim's fund, a bank account's ledger account) and hand it to the posting
service. The chart changes through the ledger's services (``create_account``, ``create_fund``,
``update_account``, ``update_fund``), which write the audit log; an account's ``role`` is how code finds it
(``services.account_by_role``) while the treasurer stays free to renumber and rename.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cache

from sqlalchemy import Boolean, Index, Select, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import UTCDateTime, string_enum, utcnow
from ..core.i18n import lazy_pgettext
from ..extensions import db


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    NET_ASSETS = "net_assets"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def label(self):
        """The kind's name in the reader's language (a lazy string)."""
        return _TYPE_LABELS[self]

    @property
    def is_balance_sheet(self) -> bool:
        return self in (AccountType.ASSET, AccountType.LIABILITY, AccountType.NET_ASSETS)

    @property
    def is_fund_resource(self) -> bool:
        """Assets and liabilities: their signed sum in a fund is the fund's balance."""
        return self in (AccountType.ASSET, AccountType.LIABILITY)


_TYPE_LABELS = {AccountType.ASSET: lazy_pgettext("account type", "Asset"),
                AccountType.LIABILITY: lazy_pgettext("account type", "Liability"),
                AccountType.NET_ASSETS: lazy_pgettext("account type", "Net assets"),
                AccountType.INCOME: lazy_pgettext("account type", "Income"),
                AccountType.EXPENSE: lazy_pgettext("account type", "Expense")}


class Account(db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[AccountType] = mapped_column(string_enum(AccountType, "account_type"))
    # What the application uses the account for ("bank", "interfund", "payables", ...), so that
    # code finds its accounts by purpose while the treasurer stays free to renumber and rename.
    role: Mapped[str | None] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    def __repr__(self) -> str:
        return f"<Account {self.code}>"


@cache
def ids_of_types(types: tuple[str, ...]) -> Select:
    """A select of the ids of the accounts of ``types`` (``AccountType`` values), to pass as a
    balance query's ``account_ids`` (a sub-select, not a list of thousands of ids). The same
    object for the same types: the balance query built around it is built once."""
    return select(Account.id).where(Account.type.in_([AccountType(kind) for kind in types]))


class FundKind(StrEnum):
    GENERAL = "general"        # the association's unrestricted money; exactly one
    RESTRICTED = "restricted"  # held for a member group or a programme


class Fund(db.Model):
    __tablename__ = "funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FundKind] = mapped_column(string_enum(FundKind, "fund_kind"), default=FundKind.RESTRICTED)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("uq_funds_one_general", "kind", unique=True,
              sqlite_where=text("kind = 'general'"), postgresql_where=text("kind = 'general'")),
    )

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"

    def __repr__(self) -> str:
        return f"<Fund {self.code}>"
