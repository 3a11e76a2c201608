"""Sponsors (who is invoiced, with their VAT ID checked) and sponsorship packages (what is sold,
with its VAT treatment). Drafts copy a sponsor's details when they are made (``services``)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session
from stdnum import util as stdnum_util
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from ..core import audit
from ..core.actors import Actor
from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.money import Money
from .amounts import EU_COUNTRIES
from .models import (
    Language,
    Sponsor,
    SponsorshipPackage,
    TaxTreatment,
)

# --- sponsors ----------------------------------------------------------------------------------

def normalise_vat_id(vat_id: str | None, country: str) -> str | None:
    """The VAT ID in compact form, checked for format and check digits; None when empty.

    EU IDs must belong to the sponsor's country (Greece uses the prefix EL); IDs of other
    countries are checked where python-stdnum knows that country's VAT number.
    """
    vat_id = (vat_id or "").strip()
    if not vat_id:
        return None
    country = country.upper()
    try:
        if country in EU_COUNTRIES or vat_id[:2].upper() in EU_COUNTRIES | {"EL"}:
            compact = eu_vat.validate(vat_id)
            prefix = "EL" if country == "GR" else country
            if compact[:2] != prefix:
                raise ValidationError(
                    _("%(vat_id)s is a VAT ID of another country than the sponsor's (%(country)s).",
                      vat_id=compact, country=country), field="vat_id")
            return compact
        module = stdnum_util.get_cc_module(country.lower(), "vat")
        if module is None:
            return stdnum_util.clean(vat_id, " -.").upper()
        return module.validate(vat_id)
    except StdnumError as error:
        raise ValidationError(_("%(vat_id)s is not a valid VAT ID (%(reason)s).", vat_id=vat_id,
                                reason=error.message.lower()), field="vat_id") from None


@dataclass
class SponsorData:
    name: str
    street: str
    postcode: str
    city: str
    country: str
    vat_id: str | None = None
    billing_emails: str = ""
    po_reference: str = ""
    language: str = Language.EN.value
    contacts: str = ""
    notes: str = ""

    def cleaned(self) -> dict:
        country = (self.country or "").strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationError(_("Choose the sponsor's country."), field="country")
        name = (self.name or "").strip()
        if not name:
            raise ValidationError(_("Give the sponsor's legal name."), field="name")
        if not (self.street or "").strip() or not (self.city or "").strip():
            raise ValidationError(_("Give the sponsor's full address."), field="street")
        if self.language not in {lang.value for lang in Language}:
            raise ValidationError(_("Choose English or German."), field="language")
        return {
            "name": name, "street": self.street.strip(), "postcode": (self.postcode or "").strip(),
            "city": self.city.strip(), "country": country,
            "vat_id": normalise_vat_id(self.vat_id, country),
            "billing_emails": "\n".join(e.strip() for e in (self.billing_emails or "")
                                        .replace(",", "\n").splitlines() if e.strip()),
            "po_reference": (self.po_reference or "").strip(), "language": self.language,
            "contacts": (self.contacts or "").strip(), "notes": (self.notes or "").strip(),
        }


def create_sponsor(session: Session, data: SponsorData, *, actor: Actor) -> Sponsor:
    sponsor = Sponsor(**data.cleaned())
    session.add(sponsor)
    session.flush()
    audit.record(session, actor, "sponsor.created", "sponsor", sponsor.id, summary=sponsor.name,
                 after=data.cleaned())
    return sponsor


def update_sponsor(session: Session, sponsor: Sponsor, data: SponsorData, *, actor: Actor) -> Sponsor:
    new = data.cleaned()
    before, after = audit.changes(sponsor, list(new), new)
    for key, value in after.items():
        setattr(sponsor, key, value)
    session.flush()
    if after:
        audit.record(session, actor, "sponsor.updated", "sponsor", sponsor.id,
                     summary=sponsor.name, before=before, after=after)
    return sponsor


# --- packages ----------------------------------------------------------------------------------

def check_treatment(treatment: str, exempt_reason: str) -> tuple[str, str]:
    try:
        treatment = TaxTreatment(treatment)
    except ValueError:
        raise ValidationError(_("Choose a VAT treatment."), field="tax_treatment") from None
    exempt_reason = (exempt_reason or "").strip()
    if treatment is TaxTreatment.EXEMPT and not exempt_reason:
        raise ValidationError(_("An exempt line must say why it is exempt (e.g. the paragraph of "
                                "the VAT act)."), field="exempt_reason")
    return treatment.value, exempt_reason if treatment is TaxTreatment.EXEMPT else ""


def save_package(session: Session, package: SponsorshipPackage | None, *, actor: Actor, name: str, event: str,
                 group_id: int | None, description: str, price: Money, tax_treatment: str,
                 exempt_reason: str = "", active: bool = True) -> SponsorshipPackage:
    if not (name or "").strip():
        raise ValidationError(_("Name the package."), field="name")
    if price.amount < 0:
        raise ValidationError(_("The price cannot be negative."), field="price")
    treatment, reason = check_treatment(tax_treatment, exempt_reason)
    values = {"name": name.strip(), "event": (event or "").strip(), "group_id": group_id,
              "description": (description or "").strip(), "price": price.amount,
              "currency": price.currency, "tax_treatment": treatment, "exempt_reason": reason,
              "active": active}
    created = package is None
    package = package or SponsorshipPackage()
    before, after = audit.changes(package, list(values), values) if not created else ({}, values)
    for key, value in values.items():
        setattr(package, key, value)
    session.add(package)
    session.flush()
    audit.record(session, actor, "package.created" if created else "package.updated", "package",
                 package.id, summary=package.label, before=before or None, after=after)
    return package


