"""What reports keep: tax-sphere assignments, budgets with their revisions, the annual packs.

- ``report_account_spheres``: the sphere of an account (absent: the default by its role,
  ``spheres.DEFAULT_BY_ROLE``); ``report_posting_spheres``: one posting placed elsewhere, with
  the reason (the override where an account mixes spheres).
- ``budget_revisions`` / ``budget_lines``: a fiscal year's budget is its latest approved
  revision; a change is a new revision (the old ones stay as they were: lines are append-only,
  database triggers), approved once, by a board resolution on the annual budget.
- ``report_packs``: every annual report pack made, its PDF stored with its SHA-256 (append-only),
  so what was handed out can be shown again.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import BigIntKey, UTCDateTime, string_enum, utcnow
from ..core.i18n import _, _l
from ..extensions import db


class Sphere(StrEnum):
    """The four areas of a German tax-privileged association (§§ 14, 64-68 AO)."""

    IDEELL = "ideell"                      # ideeller Bereich: the purpose itself, tax-free
    VERMOEGEN = "vermoegen"                # Vermögensverwaltung: interest, rents, tax-free
    ZWECKBETRIEB = "zweckbetrieb"          # Zweckbetrieb: business serving the purpose
    WIRTSCHAFTLICH = "wirtschaftlich"      # wirtschaftlicher Geschäftsbetrieb: taxable

    @property
    def label(self) -> str:
        """The sphere's name in the reader's language (the German term, explained in English)."""
        return str(SPHERE_LABELS[self])

    @property
    def short_label(self) -> str:
        """The sphere's name alone: "Zweckbetrieb"."""
        return str(SPHERE_SHORT_LABELS[self])


SPHERE_LABELS = {
    Sphere.IDEELL: _l("Ideeller Bereich (non-profit purpose)"),
    Sphere.VERMOEGEN: _l("Vermögensverwaltung (asset management)"),
    Sphere.ZWECKBETRIEB: _l("Zweckbetrieb (purpose-related business)"),
    Sphere.WIRTSCHAFTLICH: _l("Wirtschaftlicher Geschäftsbetrieb (taxable business)"),
}
SPHERE_SHORT_LABELS = {
    Sphere.IDEELL: _l("Ideeller Bereich"),
    Sphere.VERMOEGEN: _l("Vermögensverwaltung"),
    Sphere.ZWECKBETRIEB: _l("Zweckbetrieb"),
    Sphere.WIRTSCHAFTLICH: _l("Wirtschaftlicher Geschäftsbetrieb"),
}


class AccountSphere(db.Model):
    __tablename__ = "report_account_spheres"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    sphere: Mapped[Sphere] = mapped_column(string_enum(Sphere, "tax_sphere"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PostingSphere(db.Model):
    __tablename__ = "report_posting_spheres"

    posting_id: Mapped[int] = mapped_column(BigIntKey, ForeignKey("postings.id"), primary_key=True)
    sphere: Mapped[Sphere] = mapped_column(string_enum(Sphere, "tax_sphere"))
    reason: Mapped[str] = mapped_column(String(300))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class BudgetRevision(db.Model):
    __tablename__ = "budget_revisions"
    __table_args__ = (UniqueConstraint("year", "number", name="uq_budget_revisions_year_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)    # the fiscal year (the year it begins in)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the year, without gaps
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The board resolution that approved it (board_resolutions, subject "annual budget").
    resolution_id: Mapped[int | None] = mapped_column(ForeignKey("board_resolutions.id"))

    lines: Mapped[list[BudgetPlanLine]] = relationship(back_populates="revision",
                                                   order_by="BudgetPlanLine.id")

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    @property
    def label(self) -> str:
        """"Budget 2026, revision 2", in the reader's language (the audit log keeps the English:
        ``source_label``)."""
        return _("Budget %(year)s, revision %(number)s", year=self.year, number=self.number)

    @property
    def source_label(self) -> str:
        return f"Budget {self.year}, revision {self.number}"


class BudgetPlanLine(db.Model):
    """Append-only (database triggers): a revision's figures never change."""

    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("revision_id", "account_id", "fund_id", "currency",
                                       name="uq_budget_lines_revision_account_fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("budget_revisions.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"))
    amount: Mapped[int] = mapped_column(BigInteger)  # positive: income expected, expense planned
    currency: Mapped[str] = mapped_column(String(3))

    revision: Mapped[BudgetRevision] = relationship(back_populates="lines")


class ReportPack(db.Model):
    """An annual report pack as handed out (append-only, database triggers)."""

    __tablename__ = "report_packs"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    data_as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
