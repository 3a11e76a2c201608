"""Issuing, mailing, cancelling and replacing donation receipts.

A receipt is issued in a short unit of work of its own, its PDF rendered *before* it
(``_render_first``, as invoices are): rendering takes 50-100 ms, and inside the unit of work it
would hold the series' counter (on SQLite: the whole database) that long. The PDF is rendered for
the number the series gives next; the unit of work takes the number and uses the PDF only if it
was made for exactly the document it computes, else renders again (the last attempt inside), so
numbers stay gap-free and each receipt's PDF shows its own number.

The database keeps the rules nobody may break: one valid receipt per donation (a partial unique
index: a second one surfaces as ``Conflict`` with nothing written), a receipt never changes but
for its cancellation (triggers). The services refuse first, with the reason in words.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, false, func, select
from sqlalchemy.orm import Session

from ...core import audit, clock, numbering
from ...core.actors import Actor
from ...core.db import transaction, utcnow
from ...core.errors import AlreadyDone, InvalidTransition, NotFound, ValidationError
from ...core.i18n import _
from ...core.mail import queue_mail
from ...core.money import Money
from ...core.queue import enqueue_on_commit, job, job_settings
from ...core.settings import Settings, refuse_unless_set_up
from ...core.templates import render_email
from ...core.uploads import StoredFile, read_stored, store_upload
from ...core.urls import absolute_url
from ...extensions import db
from ..models import Donation, DonationKind, DonationStatus, Donor
from . import render
from .document import (
    Gift,
    GiftKind,
    InKind,
    Origin,
    Party,
    ReceiptDocument,
    ReceiptKind,
    Replaces,
    compose,
)
from .models import Receipt, ReceiptGift, ReceiptMailing, ReceiptNumberCounter
from .notice import ReceiptRefused, exemption_notice

MAX_PDF_BYTES = 5_000_000
#: How often a receipt is rendered again when another issuer took the number it was rendered
#: for, before it is rendered inside the unit of work (which then holds the others up, but ends).
RENDER_ATTEMPTS = 5
REISSUE_JOB = "donations.receipts.reissue"


# --- what a receipt confirms ------------------------------------------------------------------

_GIFT_KINDS = {DonationKind.MONEY: GiftKind.MONEY, DonationKind.MEMBERSHIP_FEE: GiftKind.MEMBERSHIP,
               DonationKind.WAIVED_REIMBURSEMENT: GiftKind.MONEY,
               DonationKind.IN_KIND: GiftKind.IN_KIND}


def gift_of(donation: Donation) -> Gift:
    """The donation as a receipt confirms it. A gift in kind's valuation basis is what the
    association holds as the documents of its value, so the model's box "suitable documents
    ... are available" is ticked when one is recorded (the donations table requires one)."""
    kind = _GIFT_KINDS[DonationKind(donation.kind)]
    in_kind = None
    if kind is GiftKind.IN_KIND:
        in_kind = InKind(description=donation.in_kind_description,
                         origin=Origin(donation.in_kind_origin or Origin.UNKNOWN),
                         valuation_basis=donation.valuation_basis,
                         documents=bool(donation.valuation_basis.strip()))
    goods = min(donation.goods_value or 0, donation.net)
    return Gift(donation_id=donation.id, day=donation.donated_on, amount=donation.net,
                goods_description=donation.goods_description if goods else "", goods_value=goods,
                currency=donation.currency, kind=kind, waiver=donation.waived, in_kind=in_kind)


def needs_receipt(donation: Donation, settings: Settings) -> bool:
    """Whether the year-end run (or the receipts-due list) issues a receipt for ``donation``.

    German: gifts of money or membership fees up to the simplified-proof limit (§ 50 Abs. 4
    EStDV, ``RECEIPTS_SIMPLIFIED_PROOF_LIMIT``) are proven by the bank or card statement and the
    donation e-mail, so they get a receipt only when the donor asked; gifts in kind and waived
    reimbursements have no statement to prove them and always get one. US: an acknowledgment is
    required from ``RECEIPTS_US_THRESHOLD`` on, or when asked.
    """
    receipts = settings.receipts
    if receipts.style == "none":
        return False
    if donation.receipt_wanted:
        return True
    amount = Money(donation.net, donation.currency).to_decimal()
    if receipts.style == "us":
        return amount >= receipts.us_threshold
    if donation.kind in (DonationKind.IN_KIND, DonationKind.WAIVED_REIMBURSEMENT):
        return True
    return amount > receipts.simplified_proof_limit


def needs_receipt_sql(settings: Settings):
    """``needs_receipt`` as an SQL condition on ``Donation`` (for counting what is due)."""
    receipts = settings.receipts
    if receipts.style == "us":
        limit = Money.from_decimal(receipts.us_threshold, "USD").amount
        return Donation.receipt_wanted | ((Donation.currency == "USD")
                                          & (Donation.amount - Donation.refunded >= limit))
    if receipts.style != "de":
        return false()
    limit = Money.from_decimal(receipts.simplified_proof_limit, "EUR").amount
    return (Donation.currency == "EUR") & (
        Donation.receipt_wanted | Donation.kind.in_((DonationKind.IN_KIND,
                                                     DonationKind.WAIVED_REIMBURSEMENT))
        | (Donation.amount - Donation.refunded > limit))


def due_count(session: Session, settings: Settings, before: date | None = None) -> int:
    """Booked donations (given before ``before``) that need a receipt and have none."""
    query = select(func.count()).select_from(Donation).where(
        Donation.status == DonationStatus.BOOKED, needs_receipt_sql(settings),
        unreceipted(Donation.id))
    if before is not None:
        query = query.where(Donation.donated_on < before)
    return session.scalar(query)


def issuer_of(settings: Settings) -> Party:
    seller = settings.invoicing.seller
    return Party(seller.name, tuple(line for line in (
        seller.street, f"{seller.postcode} {seller.city}".strip()) if line))


def donor_party(donor: Donor) -> Party:
    return Party(donor.name, tuple(donor.address_lines) if donor.has_postal_address else ())


def current_donor(session: Session, donor: Donor) -> Donor:
    """The donor a merged donor became (merges may chain)."""
    seen = set()
    while donor.merged_into_id is not None and donor.id not in seen:
        seen.add(donor.id)
        donor = session.get(Donor, donor.merged_into_id)
    return donor


def series_for(settings: Settings, day: date) -> str:
    return f"{settings.receipts.number_prefix}{day.year}"


def format_number(series: str, sequence: int) -> str:
    return f"{series}-{sequence:05d}"


def valid_receipt_of(session: Session, donation_id: int) -> Receipt | None:
    return session.scalar(select(Receipt).join(ReceiptGift).where(
        ReceiptGift.donation_id == donation_id, ReceiptGift.cancelled.is_(False)))


def valid_receipts_of(session: Session, donation_ids) -> dict[int, Receipt]:
    """{donation id: its valid receipt} for those of ``donation_ids`` that have one."""
    return {donation_id: receipt for donation_id, receipt in session.execute(
        select(ReceiptGift.donation_id, Receipt).join(Receipt).where(
            ReceiptGift.donation_id.in_(list(donation_ids)), ReceiptGift.cancelled.is_(False)))}


def receipts_for_donation(session: Session, donation_id: int) -> Sequence[Receipt]:
    """Every receipt that confirmed the donation (at most one valid), newest first."""
    return session.scalars(select(Receipt).join(ReceiptGift).where(
        ReceiptGift.donation_id == donation_id).order_by(Receipt.id.desc())).all()


def unreceipted(column):
    """SQL: the donation (``column``: its id) has no valid receipt."""
    return ~exists().where(ReceiptGift.donation_id == column, ReceiptGift.cancelled.is_(False))


# --- issuing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    """What to issue: these donations of this donor, on this day (``period``: a collective
    receipt's period, else the gifts' days), possibly replacing a receipt."""

    donor_id: int
    donation_ids: tuple[int, ...]
    issue_date: date
    period: tuple[date, date] | None = None
    replaces_id: int | None = None


@dataclass(frozen=True)
class Rendering:
    document: ReceiptDocument
    pdf: bytes


class StaleRendering(Exception):
    """The number a rendering was made for was taken meanwhile (nothing was written)."""


def _donations(session: Session, request: Request) -> list[Donation]:
    donations = list(session.scalars(select(Donation).where(
        Donation.id.in_(request.donation_ids)).order_by(Donation.donated_on, Donation.id)))
    if len(donations) != len(set(request.donation_ids)):
        raise NotFound(_("A donation to confirm does not exist."))
    held_by = valid_receipts_of(session, request.donation_ids)  # one query for a collective's
    for donation in donations:
        if donation.status is not DonationStatus.BOOKED:
            raise ReceiptRefused(_("Donation %(ref)s is not booked (%(status)s): only booked "
                                   "donations are confirmed.", ref=donation.ref,
                                   status=donation.status.label.lower()))
        owner = current_donor(session, session.get(Donor, donation.donor_id))
        if owner.id != request.donor_id:
            raise ReceiptRefused(_("Donation %(ref)s was given by another donor.",
                                   ref=donation.ref))
        held = held_by.get(donation.id)
        if held is not None and held.id != request.replaces_id:
            raise AlreadyDone(_("Donation %(ref)s is confirmed by receipt %(number)s already; "
                                "cancel that one to issue another.", ref=donation.ref,
                                number=held.number))
    return donations


def document_for(session: Session, request: Request, *, settings: Settings,
                 number: str) -> ReceiptDocument:
    """The receipt ``request`` makes with ``number`` (``ReceiptRefused`` saying why none)."""
    donations = _donations(session, request)
    donor = session.get(Donor, request.donor_id)
    replaces = None
    if request.replaces_id is not None:
        old = session.get(Receipt, request.replaces_id)
        replaces = Replaces(old.number, old.issue_date)
    return compose(gifts=[gift_of(d) for d in donations], donor=donor_party(donor),
                   issuer=issuer_of(settings), number=number, issue_date=request.issue_date,
                   receipts=settings.receipts,
                   notice=exemption_notice(session, settings, request.issue_date),
                   period=request.period, replaces=replaces)


def render_for(session: Session, request: Request, *, settings: Settings) -> Rendering:
    """The PDF ``request`` gets if issued now as the next number of its series (writes nothing)."""
    series = series_for(settings, request.issue_date)
    number = format_number(series, numbering.peek(session, ReceiptNumberCounter, series))
    doc = document_for(session, request, settings=settings, number=number)
    return Rendering(doc, render.render_pdf(doc))


def _issue(session: Session, request: Request, rendering: Rendering | None, *, settings: Settings,
           actor: Actor | None, send: bool, last_attempt: bool) -> Receipt:
    """Inside the unit of work: take the number, check what the PDF shows, store it all."""
    series = series_for(settings, request.issue_date)
    sequence = numbering.take(session, ReceiptNumberCounter, series)  # SQLite: the write lock first
    doc = document_for(session, request, settings=settings,
                       number=format_number(series, sequence))
    fits = rendering is not None and rendering.document == doc
    if not fits and not last_attempt:
        raise StaleRendering
    pdf = rendering.pdf if fits else render.render_pdf(doc)
    if request.replaces_id is not None:
        old = session.get(Receipt, request.replaces_id)
        if old.valid:
            _cancel(session, old, reason=f"replaced by {doc.number}", actor=actor)
    stored = store_upload(session, folder=settings.paths.uploads, filename=f"{doc.number}.pdf",
                          data=pdf, allowed={"pdf"}, max_bytes=MAX_PDF_BYTES, actor=actor)
    receipt = Receipt(
        number=doc.number, series=series, sequence=sequence, kind=doc.kind,
        donor_id=request.donor_id, donor_name=doc.donor.name,
        donor_address="\n".join(doc.donor.address), currency=doc.currency, total=doc.total,
        period_start=doc.period[0], period_end=doc.period[1], issue_date=doc.issue_date,
        replaces_id=request.replaces_id, pdf_file_id=stored.id, pdf_sha256=stored.sha256,
        created_by_id=getattr(actor, "id", None))
    receipt.gifts = [ReceiptGift(donation_id=g.donation_id, day=g.day, amount=g.amount,
                                 kind=g.kind, waiver=g.waiver, cancelled=False) for g in doc.gifts]
    session.add(receipt)
    session.flush()  # a second valid receipt for a donation: the unique index refuses here
    audit.record(session, actor, "receipt.issued", "receipt", receipt.id,
                 summary=f"{receipt.number} {doc.donor.name} {Money(doc.total, doc.currency)}"
                         + (f", replaces {doc.replaces.number}" if doc.replaces else ""),
                 after={"number": receipt.number, "kind": doc.kind.value,
                        "donations": [g.donation_id for g in doc.gifts],
                        "pdf_sha256": receipt.pdf_sha256})
    if send:
        mail_receipt(session, receipt, settings=settings, pdf=pdf)
    return receipt


def issue(session: Session, request: Request, *, settings: Settings, actor: Actor | None,
          send: bool = False) -> Receipt:
    """Issue the receipt ``request`` asks for in a unit of work of its own, its PDF rendered
    before it; mail it to the donor with ``send``. Call it outside a unit of work. Refused
    (``SetupIncomplete``) while the association's details are incomplete."""
    refuse_unless_set_up(settings, "a donation receipt")
    for attempt in range(1, RENDER_ATTEMPTS + 1):
        last = attempt == RENDER_ATTEMPTS
        rendering = None if last else render_for(session, request, settings=settings)
        try:
            with transaction(session):
                return _issue(session, request, rendering, settings=settings, actor=actor,
                              send=send, last_attempt=last)
        except StaleRendering:
            continue
    raise AssertionError("unreachable: the last attempt renders inside its unit of work")


def issue_for_donation(session: Session, donation: Donation, *, settings: Settings,
                       actor: Actor | None, send: bool = True,
                       issue_date: date | None = None) -> Receipt:
    """A single receipt for one donation, now (a donor asked, or a treasurer issues it)."""
    donor = current_donor(session, donation.donor)
    return issue(session, Request(donor.id, (donation.id,), issue_date or clock.today()),
                 settings=settings, actor=actor, send=send)


# --- mail -------------------------------------------------------------------------------------

class TamperedPdf(RuntimeError):
    """The stored PDF's bytes are not those issued (their SHA-256 differs)."""


def stored_pdf(session: Session, receipt: Receipt, settings: Settings) -> bytes:
    """The bytes stored at issue, checked against their SHA-256 (never a new rendering)."""
    data = read_stored(session.get(StoredFile, receipt.pdf_file_id), settings.paths.uploads)
    if hashlib.sha256(data).hexdigest() != receipt.pdf_sha256:
        raise TamperedPdf(f"The stored PDF of receipt {receipt.number} was changed after issue.")
    return data


def _language(receipt: Receipt, donor: Donor) -> str:
    return "en" if receipt.kind is ReceiptKind.US else str(donor.language.value)


#: The locale each donor language's mails are written in.
_LOCALES = {"de": "de_DE", "en": "en_IE"}


def mail_receipt(session: Session, receipt: Receipt, *, settings: Settings,
                 pdf: bytes | None = None) -> ReceiptMailing | None:
    """Put the receipt, its PDF attached, in the outbox for its donor (once; None when the
    donor has no e-mail address or it was mailed before)."""
    donor = current_donor(session, session.get(Donor, receipt.donor_id))
    if not donor.email or session.scalar(select(ReceiptMailing.id).where(
            ReceiptMailing.receipt_id == receipt.id)):
        return None
    language = _language(receipt, donor)
    subject, body = render_email(
        "donations/emails/receipt.txt", locale=_LOCALES[language], receipt=receipt, name=donor.name,
        org=settings.invoicing.seller.name, amount=_money(receipt.total, receipt.currency, language),
        replaces=receipt.replaces.number if receipt.replaces_id else None,
        link=receipts_url(settings, donor))
    queue_mail(session, [donor.email], subject, body, attachments=[
        (f"{receipt.number}.pdf", "application/pdf",
         pdf if pdf is not None else stored_pdf(session, receipt, settings))])
    mailing = ReceiptMailing(receipt_id=receipt.id, recipient=donor.email)
    session.add(mailing)
    session.flush()
    return mailing


def _money(amount: int, currency: str, language: str) -> str:
    return Money(amount, currency).format({"de": "de_DE", "en": "en_IE"}[language])


# --- cancelling and replacing -----------------------------------------------------------------

def _reason(reason: str | None, done: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the receipt is cancelled.") if done == "cancelled"
                              else _("Say why the receipt is replaced."), field="reason")
    return reason


def _cancel(session: Session, receipt: Receipt, *, reason: str, actor: Actor | None) -> None:
    reason = _reason(reason, "cancelled")
    if not receipt.valid:
        raise AlreadyDone(_("Receipt %(number)s was cancelled already (%(reason)s).",
                            number=receipt.number, reason=receipt.cancel_reason))
    receipt.cancelled_at, receipt.cancel_reason = utcnow(), reason[:500]
    receipt.cancelled_by_id = getattr(actor, "id", None)
    session.flush()  # the receipt first: the gifts' trigger asks whether it is cancelled
    for gift in receipt.gifts:
        gift.cancelled = True
    session.flush()
    audit.record(session, actor, "receipt.cancelled", "receipt", receipt.id,
                 summary=f"{receipt.number} cancelled: {reason}")


def cancel(session: Session, receipt: Receipt, *, reason: str, actor: Actor | None,
           settings: Settings, notify: bool = True) -> Receipt:
    """Cancel ``receipt`` (it is void from now on) and tell the donor, in the caller's unit of
    work. Its donations may be confirmed again (``replace`` does both at once)."""
    _cancel(session, receipt, reason=reason, actor=actor)
    if notify:
        _notify_cancelled(session, receipt, settings=settings)
    return receipt


def _notify_cancelled(session: Session, receipt: Receipt, *, settings: Settings) -> None:
    donor = current_donor(session, session.get(Donor, receipt.donor_id))
    if not donor.email:
        return
    language = _language(receipt, donor)
    subject, body = render_email(
        "donations/emails/receipt_cancelled.txt", locale=_LOCALES[language], receipt=receipt, name=donor.name,
        org=settings.invoicing.seller.name, reason=receipt.cancel_reason,
        issued=receipt.issue_date.strftime("%d.%m.%Y" if language == "de" else "%d %b %Y"),
        amount=_money(receipt.total, receipt.currency, language))
    queue_mail(session, [donor.email], subject, body)


def replace(session: Session, receipt: Receipt, *, reason: str, actor: Actor | None,
            settings: Settings, issue_date: date | None = None, send: bool = True) -> Receipt:
    """Cancel a wrong receipt and issue its replacement (which says which receipt it replaces)
    in one unit of work; the replacement confirms the same donations, as they are now recorded
    (a corrected address or value), less any reversed since. Call outside a unit of work."""
    reason = _reason(reason, "replaced")
    if not receipt.valid:
        raise InvalidTransition(_("Receipt %(number)s is cancelled; confirm its donations "
                                  "with a new receipt instead.", number=receipt.number))
    request = _replacement_request(session, receipt, issue_date or clock.today())
    replacement = issue(session, request, settings=settings, actor=actor, send=send)
    with transaction(session):
        audit.record(session, actor, "receipt.replaced", "receipt", receipt.id,
                     summary=f"{receipt.number} replaced by {replacement.number}: {reason}")
    return replacement


def _replacement_request(session: Session, receipt: Receipt, on: date) -> Request:
    donor = current_donor(session, session.get(Donor, receipt.donor_id))
    ids = tuple(session.scalars(select(ReceiptGift.donation_id).join(Donation, Donation.id == ReceiptGift.donation_id).where(
        ReceiptGift.receipt_id == receipt.id, Donation.status == DonationStatus.BOOKED)))
    if not ids:
        raise InvalidTransition(_("Every donation receipt %(number)s confirmed was reversed: "
                                  "cancel it instead of replacing it.", number=receipt.number))
    period = (receipt.period_start, receipt.period_end) \
        if receipt.kind is ReceiptKind.COLLECTIVE and len(ids) > 1 else None
    return Request(donor.id, ids, on, period=period, replaces_id=receipt.id)


def donation_reversed(session: Session, donation: Donation, *, actor: Actor | None,
                      settings: Settings, reason: str = "") -> Receipt | None:
    """A refund, a lost dispute or a correction reversed ``donation`` (called in the unit of work
    that reverses it, through the ``donation_reversed`` signal): the valid receipt confirming it
    is cancelled and the donor told; if it confirmed other donations too, a replacement for
    those is issued after the commit (``REISSUE_JOB``)."""
    receipt = valid_receipt_of(session, donation.id)
    if receipt is None:
        return None
    why = f"donation {donation.ref} of {donation.donated_on:%d.%m.%Y} was reversed"
    cancel(session, receipt, actor=actor, settings=settings,
           reason=f"{why}: {reason.strip()}" if reason.strip() else why)
    if len(receipt.gifts) > 1:
        enqueue_on_commit(session, REISSUE_JOB, receipt_id=receipt.id)
    return receipt


def donation_reduced(session: Session, donation: Donation, *, actor: Actor | None,
                     settings: Settings, reason: str = "") -> Receipt | None:
    """A partial refund (or its failure) changed what ``donation`` is worth (called in that unit
    of work, through the ``donation_reduced`` signal): the valid receipt confirming it is
    cancelled with the reason and the donor told; its replacement, for the donations as they
    now stand, is issued after the commit (``REISSUE_JOB``) and says which receipt it replaces."""
    receipt = valid_receipt_of(session, donation.id)
    if receipt is None:
        return None
    why = f"donation {donation.ref} of {donation.donated_on:%d.%m.%Y} now amounts to " \
          f"{Money(donation.net, donation.currency)}"
    cancel(session, receipt, actor=actor, settings=settings,
           reason=f"{why}: {reason.strip()}" if reason.strip() else why)
    enqueue_on_commit(session, REISSUE_JOB, receipt_id=receipt.id)
    return receipt


def reissue_rest(session: Session, receipt: Receipt, *, settings: Settings,
                 actor: Actor | None = None) -> Receipt | None:
    """The replacement of a receipt cancelled because one of its donations was reversed, for the
    donations still booked (once: a replacement names what it replaces, uniquely)."""
    if receipt.valid or session.scalar(select(Receipt.id).where(Receipt.replaces_id == receipt.id)):
        return None
    try:
        request = _replacement_request(session, receipt, clock.today())
    except InvalidTransition:
        return None
    if any(valid_receipt_of(session, i) for i in request.donation_ids):
        return None  # confirmed otherwise meanwhile
    return issue(session, request, settings=settings, actor=actor, send=True)


@job(REISSUE_JOB)
def reissue_job(receipt_id: int) -> None:
    settings = job_settings()
    with Session(db.engine, expire_on_commit=False) as session:
        receipt = session.get(Receipt, receipt_id)
        if receipt is not None:
            reissue_rest(session, receipt, settings=settings)


# --- the donor's own link -----------------------------------------------------------------------

def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="donor-receipts")


def receipts_token(settings: Settings, donor: Donor) -> str:
    return _serializer(settings).dumps(donor.id)


def receipts_url(settings: Settings, donor: Donor) -> str:
    return absolute_url(settings, "receipts.donor_receipts", token=receipts_token(settings, donor))


def donor_for_token(session: Session, settings: Settings, token: str) -> Donor:
    """The donor a signed receipts link names (the donor they were merged into); ``NotFound``
    for a changed or unknown token."""
    try:
        donor_id = _serializer(settings).loads(token)
    except BadSignature:
        raise NotFound(_("There is nothing at this address.")) from None
    donor = session.get(Donor, donor_id) if isinstance(donor_id, int) else None
    if donor is None:
        raise NotFound(_("There is nothing at this address."))
    return current_donor(session, donor)


def receipts_of(session: Session, donor: Donor) -> Sequence[Receipt]:
    """The donor's receipts (those of donors merged into them too), newest first."""
    ids = {donor.id} | set(session.scalars(select(Donor.id).where(Donor.merged_into_id == donor.id)))
    return session.scalars(select(Receipt).where(Receipt.donor_id.in_(ids))
                           .order_by(Receipt.issue_date.desc(), Receipt.id.desc())).all()


# --- the simplified proof ---------------------------------------------------------------------

def simplified_proof_note(session: Session, donation: Donation, *, settings: Settings,
                          language: str) -> str | None:
    """What the donation e-mail says when the gift gets no receipt (``needs_receipt`` is
    False): what to keep instead (§ 50 Abs. 4 EStDV: the bank or card statement together with
    this e-mail, which states the exemption notice and that it is a donation). None when a
    receipt follows, or for US associations and gifts outside the simplified proof."""
    receipts = settings.receipts
    if receipts.style != "de" or needs_receipt(donation, settings) or donation.currency != "EUR":
        return None
    notice = exemption_notice(session, settings)
    if notice is None:
        return None
    limit = Money.from_decimal(receipts.simplified_proof_limit, "EUR")
    _, body = render_email("donations/emails/_simplified_proof.txt", notice=notice,
                           locale=_LOCALES[language],
                           limit=_money(limit.amount, "EUR", language),
                           membership=donation.kind is DonationKind.MEMBERSHIP_FEE,
                           date=notice.date.strftime("%d.%m.%Y"),
                           purposes=", ".join(notice.purposes))
    return body.strip()

