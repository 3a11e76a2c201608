from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import UTCDateTime, utcnow
from ..extensions import db


class IncomeKind(StrEnum):
    """What income is, for deciding whether the admin fee applies to it."""

    SPONSORSHIP = "sponsorship"
    DONATION = "donation"
    TICKETS = "tickets"
    MEMBERSHIP = "membership"
    GRANT = "grant"
    OTHER = "other"


class FeePolicy(db.Model):
    """From ``effective_from`` on, ``rate_bp`` basis points (700 = 7 %) of the listed income kinds
    go from the fund to the general fund. A new rate is a new row: the past is never rewritten."""

    __tablename__ = "fee_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    rate_bp: Mapped[int] = mapped_column(Integer)
    income_kinds: Mapped[str] = mapped_column(String(200))  # comma-separated IncomeKind values
    # Donations often pay a lower rate than other income: when set, this rate applies to them
    # (whether donations pay at all is still ``income_kinds``).
    donation_rate_bp: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    fund = relationship("Fund")

    __table_args__ = (
        UniqueConstraint("fund_id", "effective_from", name="uq_fee_policies_fund_from"),
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_range"),
        CheckConstraint("donation_rate_bp IS NULL OR (donation_rate_bp >= 0 AND "
                        "donation_rate_bp <= 10000)", name="donation_rate_range"),
    )

    @property
    def kinds(self) -> frozenset[IncomeKind]:
        return frozenset(IncomeKind(k) for k in self.income_kinds.split(",") if k)

    def rate_for(self, kind: IncomeKind) -> int:
        """The rate in basis points this policy takes from income of ``kind`` (0: none)."""
        if IncomeKind(kind) not in self.kinds:
            return 0
        if kind is IncomeKind.DONATION and self.donation_rate_bp is not None:
            return self.donation_rate_bp
        return self.rate_bp

    def applies_to(self, kind: IncomeKind) -> bool:
        return self.rate_for(kind) > 0
