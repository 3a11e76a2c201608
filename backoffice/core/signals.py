"""The named signals: how one package offers something to another without the other importing it.

Every extension point of the back office is one of these (blinker signals in one ``Namespace``).
The package that needs the answers *sends* the signal and collects what the receivers return;
the packages that have something to offer *connect* a receiver in their ``__init__.py``, so that
importing a package (``backoffice.models`` imports them all) is what plugs it in. The sender
imports no receiver, so the import graph keeps pointing one way: core → ledger → domains → web.

A receiver is a module-level function ``receiver(sender, **kwargs)`` (blinker keeps weak
references: a lambda or a bound method of a temporary object would be dropped). Receivers are
called in the order they were connected; a sender that shows their answers in an order of its own
sorts them. A receiver that raises stops the sender (a domain error reaches the user as usual).

The signals (sender → what each receiver returns):

``payable_sources``
    Sent by ``payouts.services`` whenever it needs the kinds of documents a payout batch can
    pay. Sender: None. Returns one ``payouts.services.PayableSource`` (kind, label, the open
    payables and the hooks called when a batch is executed, cancelled or a transfer comes back).
    Connected by: expenses (claims), grants (grant payments), invoicing (sponsor refunds).

``open_item_providers``
    Sent by ``banking.matching`` for the kinds of things a bank line can be. Sender: None.
    Returns one ``banking.matching.Provider``. Connected by: banking (booked postings, invoices,
    payout batches and returned transfers, Stripe payouts).

``waiting_work``
    Sent by the start page (``core.tasks.waiting_for``) for the kinds of work that can wait for
    somebody. Sender: None; keyword argument ``settings`` (``core.settings.Settings``). Returns
    a list of ``core.tasks.TaskKind`` (label, permission, a cheap count, where the work is done,
    position on the page). Connected by: expenses, payouts, banking, invoicing, groups, grants,
    donation receipts.

``page_panels``
    Sent by a page that shows what other packages know about its object. Sender: the page's
    endpoint (``"core.dashboard"``, ``"groups.detail"``, ``"invoicing.invoice"``); keyword
    arguments: ``session``, ``user``, ``settings`` and the page's object (``group=``,
    ``invoice=``; none on the start page). Returns a dict of named values for the page's template (``{}`` or None:
    nothing for this user); the page merges them into ``panels`` (``core.signals.panels``).
    Connect with ``sender=`` the endpoint. Connected by: ledger (the start page's books),
    funds and expenses (a group's fee, money and claims), payments (an invoice's Stripe fees).

``entries_posted``
    Sent by the ledger (``ledger.services.post_entry``, ``ledger.bulk.post_entries``) in the
    unit of work that posts entries, once their postings are inserted and before the cached
    totals take them. Sender: None; keyword arguments ``session``, ``entry_ids`` (the new
    entries), ``reversed_ids`` (the entries the new ones reverse) and ``accounts`` (a set of
    (account id, currency) the new postings are on). Returns nothing; raise to refuse (the whole
    unit of work rolls back). Connected by: banking (``banking.open_postings``: the bank
    postings the reconciliation queue still offers).

``group_dissolve_blockers``
    Sent by ``groups.services`` before a group is dissolved. Sender: the ``MemberGroup``;
    keyword argument ``session``. Returns a list of sentences saying what still keeps the group
    open (empty: nothing); the first one refuses the change. Connected by: expenses (claims not
    decided or paid).

``group_admitted``
    Sent by ``groups.services.admit`` in the unit of work that makes an applicant group active
    and opens its fund. Sender: the ``MemberGroup``; keyword arguments ``session``, ``fund``,
    ``fee_percent`` (``Decimal``), ``actor``, ``on`` (the day). Returns nothing; raise a domain
    error to refuse. Connected by: funds (the admin-fee policy of the new fund).

``stripe_event``
    Sent by ``payments.services`` for every Stripe webhook event it stores and processes (after
    its own handler, in the same transaction). Sender: the event type
    (``"checkout.session.completed"``, ``"invoice.paid"``, ...); keyword arguments ``session``,
    ``obj`` (the event's object as a dict), ``event`` and ``config`` (``settings.Stripe``).
    Returns a short note of what it did when the object was its own (None: not ours). Connect
    with ``sender=`` each event type handled. Connected by: donations (its Checkout Sessions,
    subscriptions, refunds and disputes of its payments).

``donation_reversed``
    Sent by ``donations`` in the unit of work that reverses a booked donation (a refund, a lost
    dispute, a treasurer's correction). Sender: the ``Donation``; keyword arguments ``session``,
    ``actor``, ``reason``, ``settings``. Returns nothing. Connected by: donation receipts (an issued receipt is
    cancelled and the donor told).

``donation_reduced``
    Sent by ``donations.refunds`` in the unit of work that books a partial refund of a booked
    donation (or undoes one that failed): the donation stays booked for less (``net``). Sender:
    the ``Donation``; keyword arguments ``session``, ``actor``, ``reason``, ``settings``.
    Returns nothing. Connected by: donation receipts (an issued receipt is cancelled, the donor
    told, and a replacement for what is left issued after the commit).

``donors_merged``
    Sent by ``donations.donors.merge`` in the unit of work that merges one donor into another,
    after the donations moved. Sender: the surviving ``Donor``; keyword arguments ``session``,
    ``merged`` (the donor merged away), ``actor``. Returns nothing. Connected by: nobody yet
    (issued receipts never change: the donation receipts find a merged donor's receipts through
    its ``merged_into_id``).

``personal_data``
    Sent by ``core.privacy`` to find what the product holds about one person. Sender: None;
    keyword arguments ``session``, ``email`` (lower case). Returns a list of
    ``core.privacy.Holding`` (kind, label, data, files, and how to erase it: erased where no
    duty to keep applies, anonymised where one does, with the reason). Connected by: auth (the
    account), groups (join applications, group contacts), grants (applications), invoicing
    (sponsor contacts), expenses (claims), donations (donors, with their receipts).

``retention_due``
    Sent by ``core.privacy.sweep`` (the daily ``privacy.retention`` job). Sender: None; keyword
    arguments ``session``, ``today``, ``settings``. Returns ``{rule: rows handled}`` after
    anonymising or removing what outlived its retention rule (docs/RETENTION.md); running it
    twice does nothing more. Connected by: auth, groups, grants, donations (core's outbox is
    swept by ``sweep`` itself).

``resolution_required``
    Sent by a package whose change may only be made under a passed board resolution naming it:
    grants (an award above the programme's board threshold), banking (an invoice write-off),
    payouts (a batch above ``BOARD_PAYOUT_BATCH_LIMIT``). Sender: the kind of subject
    (``"grant_application"``, ``"invoice_write_off"``, ``"payout_batch"``,
    ``"annual_budget"``); keyword arguments ``session``, ``subject_id``, ``amount`` (a
    ``Money``, or None) and ``actor``. Returns a ``Resolved`` (the resolution's id and number);
    raises ``ValidationError`` saying what is missing. No answer means no board records are
    installed: the sender refuses. Connected by: board.

``source_pages``
    Sent by whatever links a journal entry to the document it books (``JournalEntry.source_kind``
    and ``source_id``): the reports' drill-down and Beancount export, the auditors' checklist.
    Sender: None. Returns ``{source kind: (endpoint of the document's page, name of its id
    argument)}`` (``{"invoice": ("invoicing.invoice", "invoice_id")}``); merged by
    ``source_pages()``. Connected by: invoicing (invoices, sponsors), expenses (claims), grants
    (grants and grant returns), payouts (batches), donations (donations).

``exemption_notices``
    Sent by ``donations.receipts.notice.exemption_notice`` whenever a German donation receipt
    needs the tax office's exemption notice. Sender: None; keyword arguments ``session`` and
    ``on`` (the receipt's date). Returns the ``core.settings.ExemptionNotice`` kept in the
    database that is in force on ``on`` (None: none kept); the newest answer wins over the
    configured ``RECEIPTS_NOTICE``. Connected by: board (``board.documents.exemption_notice``,
    the latest tax-exemption notice of the document register).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from blinker import NamedSignal, Namespace


class _ConnectionOrder(dict):
    """The set blinker keeps receiver ids in, remembering the order they were connected in
    (blinker calls receivers in the iteration order of this set; a plain ``set`` has none)."""

    def add(self, item) -> None:
        self[item] = None

    def discard(self, item) -> None:
        self.pop(item, None)

    def copy(self) -> _ConnectionOrder:
        return _ConnectionOrder(self)

    def __or__(self, other) -> _ConnectionOrder:
        joined = self.copy()
        joined.update(dict.fromkeys(other))
        return joined


class Signal(NamedSignal):
    """A named signal whose receivers are called in the order they were connected."""

    set_class = _ConnectionOrder


class _Namespace(Namespace):
    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        if name not in self:
            self[name] = Signal(name, doc)
        return self[name]


signals = _Namespace()

payable_sources = signals.signal(
    "payable-sources", "Kinds of documents a payout batch can pay (see the module docstring).")
open_item_providers = signals.signal(
    "open-item-providers", "Kinds of things a bank line can be (see the module docstring).")
waiting_work = signals.signal(
    "waiting-work", "Kinds of work that wait on the start page (see the module docstring).")
page_panels = signals.signal(
    "page-panels", "What other packages show on a page (see the module docstring).")
entries_posted = signals.signal(
    "entries-posted", "Entries were posted to the ledger (see the module docstring).")
group_dissolve_blockers = signals.signal(
    "group-dissolve-blockers", "What keeps a group from being dissolved (see the module docstring).")
group_admitted = signals.signal(
    "group-admitted", "An applicant group became active (see the module docstring).")
source_pages_signal = signals.signal(
    "source-pages", "Where a journal entry's source document is shown (see the module docstring).")
exemption_notices = signals.signal(
    "exemption-notices", "The stored tax-exemption notice (see the module docstring).")

stripe_event = signals.signal(
    "stripe-event", "A Stripe event for other packages' objects (see the module docstring).")
donation_reversed = signals.signal(
    "donation-reversed", "A booked donation was reversed (see the module docstring).")
donation_reduced = signals.signal(
    "donation-reduced", "A booked donation was refunded in part (see the module docstring).")
donors_merged = signals.signal(
    "donors-merged", "One donor was merged into another (see the module docstring).")

personal_data = signals.signal(
    "personal-data", "What the product holds about a person (see the module docstring).")
retention_due = signals.signal(
    "retention-due", "Apply the retention rules (see the module docstring).")


resolution_required = signals.signal(
    "resolution-required", "A change that needs a board resolution (see the module docstring).")


@dataclass(frozen=True)
class Resolved:
    """The passed board resolution a change rests on (``resolution_required``)."""

    id: int
    number: str
    title: str


def answers(signal: NamedSignal, sender: Any = None, **kwargs: Any) -> list:
    """What the receivers returned, in the order they were connected (None left out)."""
    return [value for _, value in signal.send(sender, **kwargs) if value is not None]


def source_pages() -> dict[str, tuple[str, str]]:
    """{source kind: (endpoint, id argument)} of the documents journal entries book
    (``source_pages``), merged."""
    merged: dict[str, tuple[str, str]] = {}
    for value in answers(source_pages_signal):
        merged.update(value)
    return merged


def panels(page: str, **kwargs: Any) -> dict:
    """The named values other packages add to ``page`` (``page_panels``), merged."""
    merged: dict = {}
    for value in answers(page_panels, page, **kwargs):
        merged.update(value)
    return merged
