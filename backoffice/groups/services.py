"""Member groups: applications, approval (which opens the fund), profile, status, organisers.

Functions take the session and the acting user, work inside the caller's transaction and never
commit. Invitations carry links under ``BASE_URL`` (``auth.services.set_password_link``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..auth import services as auth
from ..auth.models import User
from ..core import audit, clock
from ..core.actors import Actor
from ..core.errors import NotFound, ValidationError
from ..core.i18n import _
from ..core.permissions import GroupScope, Permission, Role
from ..core.public_forms import check_rate
from ..core.settings import Settings
from ..core.signals import answers, group_admitted, group_dissolve_blockers
from ..ledger import services as ledger
from ..ledger.balances import by_fund, fund_balance, fund_balances
from ..ledger.chart import Fund
from . import notify
from .models import (
    GROUP_STATES,
    GroupApplicant,
    GroupKind,
    GroupStatus,
    GroupStatusChange,
    MemberGroup,
)

MAX_CONTACTS = 5

PROFILE_FIELDS = ("name", "kind", "city", "country", "website", "contact_email", "description",
                  "needs", "founded_on", "coc_contact")
AGREEMENT_FIELDS = ("agreement_version", "agreement_signed_on", "agreement_signed_by")


@lru_cache(maxsize=8)
def countries(locale: str = "en") -> dict[str, str]:
    """ISO 3166 alpha-2 code -> name in ``locale``, sorted by name."""
    names = Locale.parse(locale).territories
    return dict(sorted(((code, name) for code, name in names.items()
                        if len(code) == 2 and code.isalpha() and code not in ("ZZ", "EU", "EZ",
                                                                                 "UN", "QO")),
                       key=lambda item: item[1]))


# --- reading ---------------------------------------------------------------------------------

def get_group(session: Session, group_id: int, scope: GroupScope) -> MemberGroup:
    """The group, or ``NotFound`` when it does not exist or lies outside the user's scope."""
    group = session.get(MemberGroup, group_id)
    if group is None or not scope.allows(group.id):
        raise NotFound(_("No such group."))
    return group


def group_of_fund(session: Session, fund_id: int) -> MemberGroup | None:
    return session.scalar(select(MemberGroup).where(MemberGroup.fund_id == fund_id))


@dataclass
class DirectoryPage:
    rows: list[tuple[MemberGroup, dict[str, int]]]  # group, {currency: fund balance}
    total: int
    page: int
    pages: int


def directory(session: Session, scope: GroupScope, *, status: str | None = None,
              kind: str | None = None, country: str | None = None, text: str = "", page: int = 1,
              per_page: int = 50) -> DirectoryPage:
    """Groups in scope matching the filters, by name, with their funds' balances today."""
    statement = scope.filter(select(MemberGroup), MemberGroup.id)
    if status:
        statement = statement.where(MemberGroup.status == GroupStatus(status))
    if kind:
        statement = statement.where(MemberGroup.kind == GroupKind(kind))
    if country:
        statement = statement.where(MemberGroup.country == country)
    text = (text or "").strip()
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        statement = statement.where(or_(MemberGroup.name.ilike(pattern),
                                        MemberGroup.city.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    groups = session.scalars(statement.order_by(func.lower(MemberGroup.name), MemberGroup.id)
                             .options(selectinload(MemberGroup.organisers))
                             .offset((page - 1) * per_page).limit(per_page)).all()
    balances = by_fund(fund_balances(session, clock.today())) if groups else {}
    rows = [(g, balances.get(g.fund_id, {})) for g in groups]
    return DirectoryPage(rows, total, page, pages)


def countries_in_use(session: Session, scope: GroupScope) -> dict[str, str]:
    """{code: name} of the countries the groups in scope are in, for the directory's filter."""
    codes = set(session.scalars(scope.filter(select(MemberGroup.country).distinct(),
                                             MemberGroup.id)))
    return {code: name for code, name in countries().items() if code in codes}


# --- checking what people typed --------------------------------------------------------------

def _text(value, label: str, field: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(_("Give the %(label)s.", label=label), field=field)
    if len(value) > limit:
        raise ValidationError(_("The %(label)s is longer than %(limit)s characters.", label=label, limit=limit), field=field)
    return value


def _email(value, field: str, required: bool = False) -> str:
    value = (value or "").strip()
    if not value and not required:
        return ""
    try:
        return auth.normalise_email(value)
    except ValidationError as error:
        raise ValidationError(str(error), field=field) from None


def clean_profile(values: dict) -> dict:
    """The profile fields, checked and normalised (raises ``ValidationError`` with the field)."""
    clean = {
        "name": _text(values.get("name"), "group's name", "name", 200, required=True),
        "city": _text(values.get("city"), "city", "city", 100),
        "description": _text(values.get("description"), "description", "description", 5000),
        "needs": _text(values.get("needs"), "description of what you need", "needs", 5000),
        "contact_email": _email(values.get("contact_email"), "contact_email"),
        "coc_contact": _text(values.get("coc_contact"), "code-of-conduct contact", "coc_contact", 254),
        "founded_on": values.get("founded_on"),
    }
    try:
        clean["kind"] = GroupKind(values.get("kind") or GroupKind.MEETUP)
    except ValueError:
        raise ValidationError(_("Choose what kind of group it is."), field="kind") from None
    country = (values.get("country") or "").strip().upper()
    if country and country not in countries():
        raise ValidationError(f"{country!r} is not a country code.", field="country")
    clean["country"] = country
    website = _text(values.get("website"), "website", "website", 300)
    if website and not re.match(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$", website):
        raise ValidationError(_("Give the website as a full address (https://...)."), field="website")
    clean["website"] = website
    if clean["founded_on"] and clean["founded_on"] > clock.today():
        raise ValidationError(_("The founding date is in the future."), field="founded_on")
    return clean


def _slug_for(session: Session, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "group"
    slug, n = base, 1
    while session.scalar(select(MemberGroup.id).where(MemberGroup.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


#: Words that say nothing about which group it is; left out of fund codes where possible.
GENERIC_WORDS = {"python", "py", "user", "users", "usergroup", "group", "meetup", "the", "of"}


def _fund_code_for(session: Session, group: MemberGroup) -> str:
    words = [w for w in group.slug.split("-") if w]
    distinctive = [w for w in words if w not in GENERIC_WORDS] or words
    base = "-".join(distinctive).upper()[:16].strip("-") or "GROUP"
    code, n = base, 1
    while session.scalar(select(Fund.id).where(Fund.code == code)):
        n += 1
        code = f"{base}-{n}"
    return code


def _set_status(session: Session, group: MemberGroup, to: GroupStatus, *, actor: Actor | None,
                reason: str, on: date | None = None, initial: bool = False) -> None:
    on = on or clock.today()
    before = None if initial else group.status
    session.add(GroupStatusChange(group=group, from_status=before.value if before else None,
                                  to_status=to.value, effective_on=on, reason=reason,
                                  changed_by_id=getattr(actor, "id", None)))
    group.status, group.status_since = to, on
    session.flush()
    audit.record(session, actor, "group.status_changed", "member_group", group.id,
                 summary=f"{group.name}: {before.value if before else 'new'} → {to.value}",
                 before={"status": before} if before else None,
                 after={"status": to, "effective_on": on, "reason": reason})


# --- applications ----------------------------------------------------------------------------

def apply(session: Session, *, contacts: list[tuple[str, str]], settings: Settings,
          actor: Actor | None = None,
          address: str | None = None, **values) -> MemberGroup:
    """A group applies to join (the public form, or an admin registering it): status applicant.

    ``contacts`` are the (name, email) of the future organisers; each gets a confirmation.
    Applications sent over the public form (with the sender's ``address``) are limited per day
    for that address and for the first organiser's email address.
    """
    profile = clean_profile(values)
    people, seen = [], set()
    for name, email in contacts:
        if not (name or "").strip() and not (email or "").strip():
            continue
        name = _text(name, "organiser's name", "contacts", 200, required=True)
        if not (email or "").strip():
            raise ValidationError(_("Give the email address of %(name)s.", name=name), field="contacts")
        email = _email(email, "contacts", required=True)
        if email not in seen:
            seen.add(email)
            people.append((name, email))
    if not people:
        raise ValidationError(_("Name at least one organiser with their email address."),
                              field="contacts")
    if len(people) > MAX_CONTACTS:
        raise ValidationError(_("Name at most %(MAX_CONTACTS)s organisers.", MAX_CONTACTS=MAX_CONTACTS), field="contacts")
    if address is not None:
        day, limits = timedelta(days=1), settings.public_forms
        check_rate(session, "join", address=address, email=people[0][1], limits=[
            ("address", day, limits.join_applications_per_address_per_day),
            ("email", day, limits.join_applications_per_email_per_day)])
    group = MemberGroup(slug=_slug_for(session, profile["name"]), **profile)
    group.applicants = [GroupApplicant(name=n, email=e) for n, e in people]
    session.add(group)
    session.flush()
    audit.record(session, actor, "group.applied", "member_group", group.id, summary=group.name,
                 after={**profile, "contacts": [e for _, e in people]})
    _set_status(session, group, GroupStatus.APPLICANT, actor=actor, initial=True,
                reason="Application received" if actor is None else
                f"Registered by {actor.display_name}")
    for name, email in people:
        notify.application_received(session, email, name=name, group=group,
                                    organisation=settings.organisation.name)
    return group


def approve(session: Session, group: MemberGroup, *, actor: Actor, settings: Settings,
            agreement_version: str,
            address: str = "", agreement_signed_on: date, agreement_signed_by: str,
            fee_percent: Decimal | None = None, today: date | None = None) -> MemberGroup:
    """Make an applicant group active: record the signed agreement, open its restricted fund with
    the admin-fee policy, and invite the people named in the application as organisers."""
    GROUP_STATES.check(group, "approve")
    today = today or clock.today()
    agreement = {
        "agreement_version": _text(agreement_version, "agreement version", "agreement_version", 20,
                                   required=True),
        "agreement_signed_by": _text(agreement_signed_by, "name of who signed",
                                     "agreement_signed_by", 200, required=True),
        "agreement_signed_on": agreement_signed_on,
    }
    if agreement_signed_on is None or agreement_signed_on > today:
        raise ValidationError(_("Give the date the agreement was signed (not in the future)."),
                              field="agreement_signed_on")
    if fee_percent is None:
        fee_percent = settings.expenses.group_admin_fee_percent
    for key, value in agreement.items():
        setattr(group, key, value)
    fund = ledger.create_fund(session, code=_fund_code_for(session, group), name=group.name,
                              actor=actor, description=f"Money held for {group.name}.")
    group.fund_id = fund.id
    group_admitted.send(group, session=session, fund=fund, fee_percent=fee_percent, actor=actor,
                        on=today)  # funds: the admin-fee policy
    _set_status(session, group, GroupStatus.ACTIVE, actor=actor,
                reason=f"Application approved; agreement {agreement['agreement_version']} signed "
                       f"{agreement_signed_on.isoformat()} by {agreement['agreement_signed_by']}",
                on=today)
    for applicant in group.applicants:
        add_organiser(session, group, email=applicant.email, name=applicant.name, actor=actor,
                      address=address, settings=settings)
    return group


def decline(session: Session, group: MemberGroup, *, actor: Actor, reason: str,
            settings: Settings) -> MemberGroup:
    GROUP_STATES.check(group, "decline")
    reason = _text(reason, "reason", "reason", 2000, required=True)
    _set_status(session, group, GroupStatus.DECLINED, actor=actor, reason=reason)
    for applicant in group.applicants:
        notify.application_declined(session, applicant.email, name=applicant.name, group=group,
                                    organisation=settings.organisation.name, reason=reason)
    return group


# --- life of an active group -----------------------------------------------------------------

def update_group(session: Session, group: MemberGroup, *, actor: Actor, **values) -> MemberGroup:
    new = clean_profile(values)
    if group.status is not GroupStatus.APPLICANT:
        for key in AGREEMENT_FIELDS:
            if key in values:
                new[key] = values[key]
        if not (new.get("agreement_version") or "").strip():
            raise ValidationError(_("An active group's agreement version cannot be empty."),
                                  field="agreement_version")
    before, after = audit.changes(group, list(new), new)
    if not after:
        return group
    for key, value in after.items():
        setattr(group, key, value)
    if "name" in after and group.fund is not None:
        ledger.update_fund(session, group.fund, actor=actor, name=after["name"],
                           active=group.fund.active, description=group.fund.description)
    session.flush()
    audit.record(session, actor, "group.updated", "member_group", group.id, summary=group.name,
                 before=before, after=after)
    return group


def change_status(session: Session, group: MemberGroup, to: GroupStatus, *, actor: Actor,
                  reason: str, on: date | None = None) -> MemberGroup:
    """Active ⇄ dormant, and active or dormant → dissolved (only with an empty fund and no
    claims waiting; dissolving closes the fund)."""
    to = GroupStatus(to)
    GROUP_STATES.check(group, to.value)
    reason = _text(reason, "reason", "reason", 2000, required=True)
    if to is GroupStatus.DISSOLVED:
        _check_can_dissolve(session, group)
        if group.fund is not None and group.fund.active:
            ledger.update_fund(session, group.fund, actor=actor, name=group.fund.name,
                               active=False, description=group.fund.description)
    _set_status(session, group, to, actor=actor, reason=reason, on=on)
    return group


def _check_can_dissolve(session: Session, group: MemberGroup) -> None:
    if group.fund_id is None:
        return
    held = fund_balance(session, group.fund_id, date.max)
    if any(held.values()):
        raise ValidationError(_("%(name)s's fund still holds money. Transfer it to another fund (for example the general fund) before dissolving the group.", name=group.name))
    for blockers in answers(group_dissolve_blockers, group, session=session):
        if blockers:
            raise ValidationError(blockers[0])


# --- organisers ------------------------------------------------------------------------------

def add_organiser(session: Session, group: MemberGroup, *, email: str, name: str, actor: Actor,
                  settings: Settings, address: str = "") -> User:
    """Link a user (created if new) to the group as organiser. A user without a password gets an
    invitation with a single-use link to choose one; others are told by email. Users who cannot
    see every group are given the organiser role."""
    GROUP_STATES.check(group, "add_organiser")
    email = _email(email, "email", required=True)
    user = auth.find_user(session, email)
    if user is None:
        user = auth.create_user(session, email, roles=[Role.ORGANISER],
                                name=_text(name, "name", "name", 200), actor=actor,
                                settings=settings)
    elif not user.active:
        raise ValidationError(_("The account %(email)s is deactivated; an administrator can reactivate it first.", email=email), field="email")
    elif user in group.organisers:
        raise ValidationError(_("%(email)s already organises %(name)s.", email=email, name=group.name), field="email")
    elif Role.ORGANISER not in user.roles and not user.can(Permission.GROUPS_VIEW_ALL):
        auth.update_user(session, user, actor=actor, name=user.name,
                         roles=[*user.roles, Role.ORGANISER], active=True)
    group.organisers.append(user)
    session.flush()
    audit.record(session, actor, "group.organiser_added", "member_group", group.id,
                 summary=f"{user.email} organises {group.name}", after={"user": user.email})
    if user.password_hash is None:  # new (or never logged in): one mail, with the link
        auth.send_invitation(session, user, invited_by=actor, address=address, settings=settings)
        return user
    notify.organiser_added(session, user, group=group, organisation=settings.organisation.name)
    return user


def remove_organiser(session: Session, group: MemberGroup, user: User, *, actor: Actor) -> None:
    if user not in group.organisers:
        raise ValidationError(_("%(email)s does not organise %(name)s.", email=user.email, name=group.name))
    group.organisers.remove(user)
    session.flush()
    audit.record(session, actor, "group.organiser_removed", "member_group", group.id,
                 summary=f"{user.email} no longer organises {group.name}",
                 before={"user": user.email})
