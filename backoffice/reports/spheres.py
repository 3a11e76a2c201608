"""German tax spheres: every income and expense placed in one of the four areas of a
tax-privileged association, the result per area for a fiscal year, and a warning as the taxable
business area's gross receipts near the limit (§ 64 (3) AO).

Where a figure goes, in order:
1. a posting placed elsewhere by hand (``PostingSphere``, with its reason);
2. sponsorship income by its invoices' VAT treatment: sponsorship invoiced without VAT
   (exempt: the sponsor is only named, "passive" sponsorship) is asset management, invoiced with
   VAT (advertising for the sponsor) the taxable business area;
3. the account's sphere (``AccountSphere``), or the default for its role (``DEFAULT_BY_ROLE``),
   or the non-profit area.

Amounts come from the ledger's cached totals (``account_movements``); only the postings placed
by hand are read one by one.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..core.audit import record
from ..core.errors import ValidationError
from ..core.formatting import format_money
from ..core.i18n import _, ngettext, pgettext
from ..invoicing.amounts import CATEGORY_EXEMPT
from ..ledger.balances import account_movements
from ..ledger.reads import chart_accounts, postings_by_id
from . import invoices_tax
from .models import AccountSphere, PostingSphere, Sphere
from .statements import HEADING, LINE, SUBTOTAL, TOTAL, Drill, Line, Statement, period

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..core.actors import Actor
    from ..core.settings import Reports

DEFAULT_SPHERE = Sphere.IDEELL
DEFAULT_BY_ROLE = {
    "membership_income": Sphere.IDEELL,
    "donation_income": Sphere.IDEELL,
    "grants_income": Sphere.IDEELL,
    "admin_fee_income": Sphere.IDEELL,
    "interest_income": Sphere.VERMOEGEN,
    "ticket_income": Sphere.ZWECKBETRIEB,
    "sponsorship_income": Sphere.WIRTSCHAFTLICH,
}
SPONSORSHIP_ROLE = "sponsorship_income"
#: Where sponsorship invoiced without VAT goes (the sponsor is named, nothing advertised).
PASSIVE_SPONSORSHIP = Sphere.VERMOEGEN


def account_spheres(session: Session) -> dict[int, Sphere]:
    """{account id: sphere} for every income and expense account."""
    chosen = dict(session.execute(select(AccountSphere.account_id, AccountSphere.sphere)).all())
    return {a.id: chosen.get(a.id) or DEFAULT_BY_ROLE.get(a.role or "", DEFAULT_SPHERE)
            for a in chart_accounts(session) if a.type in ("income", "expense")}


def set_account_sphere(session: Session, account_id: int, sphere: Sphere, *, actor: Actor) -> None:
    row = session.get(AccountSphere, account_id) or AccountSphere(account_id=account_id)
    before = row.sphere
    row.sphere, row.changed_by_id = Sphere(sphere), getattr(actor, "id", None)
    session.add(row)
    record(session, actor, "reports.sphere", "account", account_id,
           summary=f"Tax sphere: {before or 'default'} → {Sphere(sphere).value}")


def posting_sphere(session: Session, posting_id: int) -> PostingSphere | None:
    """The sphere a posting was placed in by hand, if it was."""
    return session.get(PostingSphere, posting_id)


def placed_by_hand(session: Session, posting_ids: list[int]) -> dict[int, Sphere]:
    """{posting id: sphere} of those of ``posting_ids`` placed by hand (the drill-down's
    column; a dict, empty when none is)."""
    if not posting_ids:
        return {}
    return dict(session.execute(select(PostingSphere.posting_id, PostingSphere.sphere).where(
        PostingSphere.posting_id.in_(posting_ids))).all())


def _reason(reason: str, missing: str) -> str:
    """The reason given, stripped; ``missing`` is the refusal when there is none."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError(missing, field="reason")
    if len(text) > 300:
        raise ValidationError(_("Keep the reason under 300 characters."), field="reason")
    return text


def set_posting_sphere(session: Session, posting_id: int, sphere: Sphere, *, reason: str,
                       actor: Actor | None) -> None:
    """Place one posting in ``sphere`` whatever its account's sphere (audited, with why)."""
    text = _reason(reason, _("Say why this posting belongs to another sphere."))
    if not postings_by_id(session, [posting_id]):
        raise ValidationError(_("There is no such posting."), field="posting")
    row = session.get(PostingSphere, posting_id) or PostingSphere(posting_id=posting_id)
    before = {"sphere": row.sphere.value, "reason": row.reason} if row.sphere else None
    row.sphere, row.reason, row.changed_by_id = Sphere(sphere), text, getattr(actor, "id", None)
    session.add(row)
    record(session, actor, "reports.sphere", "posting", posting_id,
           summary=f"Placed in {Sphere(sphere).value}: {text}", before=before,
           after={"sphere": Sphere(sphere).value, "reason": text})


def clear_posting_sphere(session: Session, posting_id: int, *, reason: str,
                         actor: Actor | None) -> None:
    """Let the posting follow its account's sphere again (audited, with why)."""
    text = _reason(reason, _("Say why the posting goes back to its account's sphere."))
    row = session.get(PostingSphere, posting_id)
    if row is None:
        raise ValidationError(_("This posting follows its account's sphere already."),
                              field="reason")
    before = {"sphere": row.sphere.value, "reason": row.reason}
    session.delete(row)
    record(session, actor, "reports.sphere", "posting", posting_id,
           summary=f"Back to the account's sphere: {text}", before=before,
           after={"sphere": None, "reason": text})


@dataclass(frozen=True)
class SphereFigures:
    """{sphere: {account id: (income, expenses)}} and the taxable area's gross receipts."""

    by_sphere: dict[Sphere, dict[int, list[int]]]
    taxable_receipts: int  # income of the taxable business area plus its output VAT
    moved_by_hand: int     # postings placed elsewhere by hand


def figures(session: Session, start: date, end: date, currency: str) -> SphereFigures:
    accounts = {a.id: a for a in chart_accounts(session) if a.type in ("income", "expense")}
    spheres = account_spheres(session)
    moved = account_movements(session, start, end, account_ids=list(accounts))
    by_sphere: dict[Sphere, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))

    def place(sphere: Sphere, account_id: int, amount: int) -> None:
        if accounts[account_id].type == "income":
            by_sphere[sphere][account_id][0] -= amount
        else:
            by_sphere[sphere][account_id][1] += amount

    for (account_id, cur), amount in moved.items():
        if cur == currency:
            place(spheres[account_id], account_id, amount)
    # Sponsorship by its invoices' treatment: what was invoiced without VAT moves out of the
    # account's sphere into the passive-sponsorship sphere (never more than the account holds).
    taxable_vat = 0
    sponsorship = next((a for a in accounts.values() if a.role == SPONSORSHIP_ROLE), None)
    if sponsorship is not None:
        exempt = 0
        for invoice in invoices_tax.issued_between(session, start, end):
            if invoice.currency != currency:
                continue
            for group in invoice.groups:
                if group.category == CATEGORY_EXEMPT:
                    exempt += group.net
                elif spheres[sponsorship.id] is Sphere.WIRTSCHAFTLICH:
                    taxable_vat += group.tax
        held = -moved.get((sponsorship.id, currency), 0)
        shift = max(0, min(exempt, held))
        if shift:
            place(spheres[sponsorship.id], sponsorship.id, shift)
            place(PASSIVE_SPONSORSHIP, sponsorship.id, -shift)
    # Postings placed by hand.
    overrides = dict(session.execute(select(PostingSphere.posting_id, PostingSphere.sphere)).all())
    moved_by_hand = 0
    for posting in postings_by_id(session, overrides).values():
        if not (start <= posting.booking_date <= end) or posting.currency != currency \
                or posting.account_id not in accounts:
            continue
        place(spheres[posting.account_id], posting.account_id, -posting.amount)
        place(overrides[posting.id], posting.account_id, posting.amount)
        moved_by_hand += 1
    taxable = sum(income for income, _ in by_sphere[Sphere.WIRTSCHAFTLICH].values())
    return SphereFigures({s: dict(v) for s, v in by_sphere.items()}, taxable + taxable_vat,
                         moved_by_hand)


def compute(session: Session, start: date, end: date, settings: Reports,
            currency: str = "EUR", locale: str = "en_IE") -> Statement:
    """Income, expenses and result per sphere for ``start``..``end``; the amounts in its
    sentences written in ``locale``."""
    found = figures(session, start, end, currency)
    accounts = {a.id: a for a in chart_accounts(session)}
    lines: list[Line] = []
    total = [0, 0, 0]
    for sphere in Sphere:
        rows = found.by_sphere.get(sphere, {})
        lines.append(Line(sphere.label, kind=HEADING))
        income = expenses = 0
        for account_id in sorted(rows, key=lambda a: accounts[a].code):
            received, spent = rows[account_id]
            if not (received or spent):
                continue
            drill = Drill(account_id, start=start, end=end)
            lines.append(Line(accounts[account_id].name, (received, spent, received - spent),
                              LINE, accounts[account_id].code, 1, (drill, drill, None)))
            income += received
            expenses += spent
        lines.append(Line(_("Result: %(sphere)s", sphere=sphere.short_label),
                          (income, expenses, income - expenses), SUBTOTAL))
        total = [total[0] + income, total[1] + expenses, total[2] + income - expenses]
    lines.append(Line(_("Result of all spheres"), tuple(total), TOTAL))
    limit = settings.taxable_receipts_limit
    receipts = format_money(found.taxable_receipts, currency, locale)
    most = format_money(limit, currency, locale)
    warnings = []
    if found.taxable_receipts >= limit:
        warnings.append(_("The taxable business area's gross receipts (%(receipts)s) exceed the "
                          "limit of %(limit)s (§ 64 (3) AO): its profit is subject to "
                          "corporation and trade tax.", receipts=receipts, limit=most))
    elif found.taxable_receipts * 100 >= limit * settings.warn_at_percent:
        warnings.append(_("The taxable business area's gross receipts (%(receipts)s) have "
                          "reached %(percent)s %% of the limit of %(limit)s (§ 64 (3) AO).",
                          receipts=receipts, percent=found.taxable_receipts * 100 // limit,
                          limit=most))
    notes = [_("Gross receipts of the taxable business area (VAT included): %(receipts)s of "
               "%(limit)s.", receipts=receipts, limit=most)]
    if found.moved_by_hand:
        notes.append(ngettext("%(num)s posting placed in another sphere by hand.",
                              "%(num)s postings placed in another sphere by hand.",
                              found.moved_by_hand))
    return Statement("spheres", _("Result per tax sphere"), period(start, end),
                     currency, (pgettext("statement", "Income"), pgettext("statement", "Expenses"),
                                _("Result")), tuple(lines),
                     notes=tuple(notes), warnings=tuple(warnings))
