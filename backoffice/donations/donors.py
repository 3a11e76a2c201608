"""One donor, however they gave: found again by email and by IBAN, merged by a treasurer.

Matching is deliberately conservative: an email address (compared in lower case) or an IBAN
seen before names the donor; a name alone never does (two Anna Müllers are two donors until a
treasurer merges them). A merged donor keeps its row, pointing at the donor it became, so that
links sent earlier still resolve; everything it had follows the surviving donor.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..core import audit
from ..core.actors import Actor
from ..core.db import utcnow
from ..core.errors import ValidationError
from ..core.i18n import _, _l
from ..core.iban import normalise_iban
from ..core.signals import donors_merged
from .models import (
    Donation,
    DonationCheckout,
    Donor,
    DonorIban,
    DonorKind,
    Language,
    RecurringPlan,
)


@dataclass(frozen=True)
class DonorDetails:
    """What somebody told us about themselves (a form, a Checkout, a bank line)."""

    name: str
    email: str = ""
    kind: DonorKind = DonorKind.PERSON
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    language: Language = Language.EN
    consent_public: bool | None = None
    consent_thanks: bool | None = None


def clean_email(email: str | None) -> str:
    email = (email or "").strip().lower()
    if email and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
        raise ValidationError(_("%(email)s is not an email address.", email=repr(email)),
                              field="email")
    return email


def clean_iban(iban: str | None) -> str:
    """A compact IBAN, or '' (donors give from anywhere: not only the SEPA zone)."""
    if not (iban or "").strip():
        return ""
    return normalise_iban(iban, sepa=False)[0]


def current(session: Session, donor: Donor) -> Donor:
    """The donor a (possibly merged) donor became."""
    seen = set()
    while donor.merged_into_id is not None and donor.id not in seen:
        seen.add(donor.id)
        donor = session.get(Donor, donor.merged_into_id)
    return donor


def by_email(session: Session, email: str) -> Donor | None:
    email = clean_email(email)
    if not email:
        return None
    # One query: the first donor with it not merged into another, else (only merged ones carry
    # it) the one the first of them became.
    donor = session.scalar(select(Donor).where(Donor.email == email)
                           .order_by(Donor.merged_into_id.is_not(None), Donor.id).limit(1))
    return current(session, donor) if donor is not None else None


def by_iban(session: Session, iban: str) -> Donor | None:
    iban = clean_iban(iban)
    if not iban:
        return None
    row = session.scalar(select(DonorIban).where(DonorIban.iban == iban))
    return current(session, row.donor) if row else None


def by_name(session: Session, name: str) -> list[Donor]:
    """Donors of exactly this name (case-insensitive): candidates, never a match by itself."""
    name = " ".join((name or "").split())
    if not name:
        return []
    return list(session.scalars(select(Donor).where(
        func.lower(Donor.name) == name.lower(), Donor.merged_into_id.is_(None)).order_by(Donor.id)))


def remember_iban(session: Session, donor: Donor, iban: str) -> None:
    """Note that the donor gave from this account (an IBAN known for another donor stays
    theirs: a treasurer merges the two if they are one)."""
    iban = clean_iban(iban)
    if iban and session.scalar(select(DonorIban.id).where(DonorIban.iban == iban)) is None:
        with session.begin_nested():
            session.add(DonorIban(donor_id=donor.id, iban=iban))
            session.flush()


def _checked(details: DonorDetails) -> DonorDetails:
    name = " ".join((details.name or "").split())
    if not name:
        raise ValidationError(_("Give the donor's name."), field="name")
    if len(name) > 200:
        raise ValidationError(_("The name is longer than 200 characters."), field="name")
    country = (details.country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise ValidationError(_("Give the country as its two-letter code (DE, AT, US)."),
                              field="country")
    for field, limit, too_long in (
            ("street", 200, _l("The street is longer than %(limit)s characters.", limit=200)),
            ("postcode", 20, _l("The postcode is longer than %(limit)s characters.", limit=20)),
            ("city", 100, _l("The city is longer than %(limit)s characters.", limit=100))):
        if len(getattr(details, field) or "") > limit:
            raise ValidationError(str(too_long), field=field)
    return DonorDetails(
        name=name, email=clean_email(details.email), kind=DonorKind(details.kind),
        street=(details.street or "").strip(), postcode=(details.postcode or "").strip(),
        city=(details.city or "").strip(), country=country, language=Language(details.language),
        consent_public=details.consent_public, consent_thanks=details.consent_thanks)


def find_or_create(session: Session, details: DonorDetails, *, iban: str = "",
                   actor: Actor = None) -> Donor:
    """The donor with this email or IBAN, its blanks filled from ``details`` (an address given
    now completes one given without it); a new donor when neither is known."""
    details = _checked(details)
    donor = by_email(session, details.email) or by_iban(session, iban)
    if donor is None:
        donor = Donor(kind=details.kind, name=details.name, email=details.email or None,
                      street=details.street, postcode=details.postcode, city=details.city,
                      country=details.country, language=details.language,
                      consent_public=bool(details.consent_public),
                      consent_thanks=True if details.consent_thanks is None
                      else details.consent_thanks)
        session.add(donor)
        session.flush()
        audit.record(session, actor, "donor.created", "donor", donor.id,
                     summary=f"{donor.ref} {donor.name}")
    else:
        if details.street and details.postcode and details.city:
            donor.street, donor.postcode, donor.city = (details.street, details.postcode,
                                                        details.city)
            donor.country = details.country or donor.country
        if details.email and not donor.email:
            donor.email = details.email
        if details.consent_public is not None:
            donor.consent_public = details.consent_public
        donor.updated_at = utcnow()
    remember_iban(session, donor, iban)
    return donor


def of_checkout(session: Session, checkout: DonationCheckout) -> Donor:
    """The donor who filled in the page (matched by email, created once)."""
    if checkout.donor_id is not None:
        return current(session, session.get(Donor, checkout.donor_id))
    donor = find_or_create(session, DonorDetails(
        name=checkout.name, email=checkout.email, kind=checkout.donor_kind,
        street=checkout.street, postcode=checkout.postcode, city=checkout.city,
        country=checkout.country, language=checkout.language,
        consent_public=checkout.consent_public or None))
    checkout.donor_id = donor.id  # written with the caller's next flush
    return donor


def update_donor(session: Session, donor: Donor, details: DonorDetails, *, notes: str,
                 actor: Actor) -> Donor:
    details = _checked(details)
    if details.email:
        other = by_email(session, details.email)
        if other is not None and other.id != donor.id:
            raise ValidationError(_("%(email)s belongs to %(ref)s %(name)s: merge the two "
                                    "donors instead.", email=details.email, ref=other.ref,
                                    name=other.name), field="email")
    fields = ["kind", "name", "email", "street", "postcode", "city", "country", "language",
              "consent_public", "consent_thanks", "notes"]
    new = {"kind": details.kind, "name": details.name, "email": details.email or None,
           "street": details.street, "postcode": details.postcode, "city": details.city,
           "country": details.country, "language": details.language,
           "consent_public": bool(details.consent_public),
           "consent_thanks": bool(details.consent_thanks), "notes": (notes or "").strip()}
    before, after = audit.changes(donor, fields, new)
    for key, value in new.items():
        setattr(donor, key, value)
    donor.updated_at = utcnow()
    session.flush()
    if after:
        audit.record(session, actor, "donor.updated", "donor", donor.id,
                     summary=f"{donor.ref} {donor.name}", before=before, after=after)
    return donor


def merge(session: Session, keep: Donor, merged: Donor, *, actor: Actor) -> Donor:
    """Merge ``merged`` into ``keep``: its donations, plans, checkouts, IBANs (and, through
    ``donors_merged``, its receipts) follow; blanks of ``keep`` are filled from it. In the audit
    log, with what moved."""
    if keep.id == merged.id:
        raise ValidationError(_("A donor cannot be merged into itself."))
    if keep.merged_into_id is not None or merged.merged_into_id is not None:
        raise ValidationError(_("One of the two donors was merged already; merge the donor it "
                                "became."))
    moved = {}
    for model in (Donation, RecurringPlan, DonationCheckout):
        result = session.execute(update(model).where(model.donor_id == merged.id)
                                 .values(donor_id=keep.id)
                                 .execution_options(synchronize_session="fetch"))
        moved[model.__tablename__] = result.rowcount
    ibans = session.execute(update(DonorIban).where(DonorIban.donor_id == merged.id)
                            .values(donor_id=keep.id)
                            .execution_options(synchronize_session="fetch")).rowcount
    if not keep.has_postal_address and merged.has_postal_address:
        keep.street, keep.postcode, keep.city, keep.country = (
            merged.street, merged.postcode, merged.city, merged.country)
    if not keep.email and merged.email:
        keep.email = merged.email
    if merged.notes and merged.notes not in keep.notes:
        keep.notes = "\n".join(n for n in (keep.notes, merged.notes) if n)
    if keep.stripe_customer is None and merged.stripe_customer:
        customer, merged.stripe_customer = merged.stripe_customer, None
        session.flush()
        keep.stripe_customer = customer
    merged.merged_into_id = keep.id
    keep.updated_at = merged.updated_at = utcnow()
    session.flush()
    donors_merged.send(keep, session=session, merged=merged, actor=actor)
    audit.record(session, actor, "donor.merged", "donor", keep.id,
                 summary=f"{merged.ref} {merged.name} merged into {keep.ref} {keep.name}",
                 before={"merged": merged.id, "merged_name": merged.name,
                         "merged_email": merged.email},
                 after={"donations": moved["donations"], "plans": moved["recurring_plans"],
                        "checkouts": moved["donation_checkouts"], "ibans": ibans})
    return keep


def search(session: Session, text: str):
    """Donors (not merged away) whose name, email or IBAN contains ``text``: a query."""
    statement = select(Donor).where(Donor.merged_into_id.is_(None))
    text = (text or "").strip()
    if text:
        like = f"%{text.lower()}%"
        compact = text.replace(" ", "").upper()
        statement = statement.where(or_(
            func.lower(Donor.name).like(like), Donor.email.like(like),
            Donor.id.in_(select(DonorIban.donor_id).where(DonorIban.iban.like(f"%{compact}%")))))
    return statement
