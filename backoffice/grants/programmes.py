"""Keeping grant programmes: their fund, budget per year, rules, questions and rounds."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.money import Money
from ..ledger.chart import Fund
from .models import Budget, Programme, Question, QuestionKind, Round

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class ProgrammeInput:
    name: str
    slug: str
    fund_id: int
    max_per_grant: Money
    summary: str = ""
    description: str = ""
    rules: str = ""
    conditions: str = ""
    min_lead_days: int = 0
    board_threshold: Money | None = None
    quorum: int = 3
    report_days: int = 60
    uses_rounds: bool = False
    accepting: bool = True
    public_list: bool = False


def _values(session: Session, data: ProgrammeInput, programme: Programme | None) -> dict:
    name = (data.name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(_("Give a name of up to 200 characters."), field="name")
    slug = (data.slug or "").strip().lower()
    if not SLUG.match(slug) or len(slug) > 80:
        raise ValidationError(_("Use lower-case letters, digits and dashes, e.g. community-grants."),
                              field="slug")
    clash = session.scalar(select(Programme).where(Programme.slug == slug))
    if clash is not None and clash is not programme:
        raise ValidationError(_("The address %(slug)s is taken by %(programme)s.", slug=slug,
                                programme=clash.name), field="slug")
    fund = session.get(Fund, data.fund_id) if data.fund_id else None
    if fund is None or not fund.active:
        raise ValidationError(_("Choose an active fund."), field="fund_id")
    currency = data.max_per_grant.currency
    if data.max_per_grant.amount <= 0:
        raise ValidationError(_("The maximum per grant must be positive."), field="max_per_grant")
    if data.board_threshold is not None and (data.board_threshold.currency != currency
                                             or data.board_threshold.amount <= 0):
        raise ValidationError(_("Give a positive threshold, or none."), field="board_threshold")
    if data.quorum < 1:
        raise ValidationError(_("At least one vote is needed."), field="quorum")
    for name_, value in (("min_lead_days", data.min_lead_days), ("report_days", data.report_days)):
        if not 0 <= value <= 3650:
            raise ValidationError(_("Give a number of days from 0 to 3650."), field=name_)
    if programme is not None and programme.currency != currency:
        raise ValidationError(_("The programme works in %(currency)s.",
                                currency=programme.currency),
                              field="max_per_grant")
    values = asdict(data)
    values.update(name=name, slug=slug, currency=currency,
                  max_per_grant=data.max_per_grant.amount,
                  board_threshold=data.board_threshold.amount if data.board_threshold else None)
    for text in ("summary", "description", "rules", "conditions"):
        values[text] = (values[text] or "").strip()
    values["summary"] = values["summary"][:300]
    return values


def create_programme(session: Session, data: ProgrammeInput, *, actor: Actor) -> Programme:
    values = _values(session, data, None)
    programme = Programme(**values)
    session.add(programme)
    session.flush()
    audit.record(session, actor, "grant_programme.created", "grant_programme", programme.id,
                 summary=programme.name, after=values)
    return programme


def update_programme(session: Session, programme: Programme, data: ProgrammeInput, *,
                     actor: Actor) -> Programme:
    values = _values(session, data, programme)
    before, after = audit.changes(programme, list(values), values)
    if not after:
        return programme
    for key, value in after.items():
        setattr(programme, key, value)
    session.flush()
    audit.record(session, actor, "grant_programme.updated", "grant_programme", programme.id,
                 summary=programme.name, before=before, after=after)
    return programme


def set_budget(session: Session, programme: Programme, *, year: int, amount: Money, actor: Actor) -> Budget:
    if not 2000 <= year <= 2200:
        raise ValidationError(_("Give a year such as 2026."), field="year")
    if amount.currency != programme.currency or amount.amount < 0:
        raise ValidationError(_("Give an amount in %(currency)s, zero or more.",
                                currency=programme.currency),
                              field="amount")
    budget = session.scalar(select(Budget).where(Budget.programme_id == programme.id,
                                                 Budget.year == year))
    before = None if budget is None else budget.amount
    if budget is None:
        budget = Budget(programme=programme, year=year, amount=amount.amount)
        session.add(budget)
    budget.amount = amount.amount
    session.flush()
    audit.record(session, actor, "grant_programme.budget_set", "grant_programme", programme.id,
                 summary=f"{programme.name} {year}: {amount}", before={"amount": before},
                 after={"year": year, "amount": amount.amount})
    return budget


def add_question(session: Session, programme: Programme, *, label: str, kind: QuestionKind,
                 choices: str = "", required: bool = True, help_text: str = "",
                 actor: Actor) -> Question:
    label = (label or "").strip()
    if not label or len(label) > 300:
        raise ValidationError(_("Write the question (up to 300 characters)."), field="label")
    kind = QuestionKind(kind)
    options = [line.strip() for line in (choices or "").splitlines() if line.strip()]
    if kind is QuestionKind.CHOICE and len(options) < 2:
        raise ValidationError(_("Give at least two options, one per line."), field="choices")
    position = max((q.position for q in programme.questions), default=0) + 1
    question = Question(programme=programme, label=label, kind=kind, required=required,
                        choices="\n".join(options) if kind is QuestionKind.CHOICE else "",
                        help_text=(help_text or "").strip()[:500], position=position)
    session.add(question)
    session.flush()
    audit.record(session, actor, "grant_programme.question_added", "grant_programme",
                 programme.id, summary=f"{programme.name}: {label[:200]}",
                 after={"kind": kind, "required": required, "choices": options})
    return question


def retire_question(session: Session, question: Question, *, actor: Actor) -> Question:
    """Stop asking a question (earlier answers stay with their applications)."""
    question.active = False
    audit.record(session, actor, "grant_programme.question_retired", "grant_programme",
                 question.programme_id, summary=question.label[:200])
    return question


def add_round(session: Session, programme: Programme, *, name: str, opens_on: date, deadline: date,
              actor: Actor) -> Round:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError(_("Name the round, e.g. Spring 2027."), field="name")
    if opens_on is None or deadline is None or deadline < opens_on:
        raise ValidationError(_("The deadline must be on or after the opening day."),
                              field="deadline")
    round_ = Round(programme=programme, name=name, opens_on=opens_on, deadline=deadline)
    session.add(round_)
    session.flush()
    audit.record(session, actor, "grant_programme.round_added", "grant_programme", programme.id,
                 summary=f"{programme.name}: {name} {opens_on} to {deadline}")
    return round_
