"""The matcher: open items from pluggable providers, indexed once, ranked for each bank line.

A **provider** is one kind of thing a bank line can pay: a booked posting on the bank's ledger
account (here), an open invoice, an executed payout batch, a Stripe payout (each answers the signal
``core.signals.open_item_providers``, connected in ``banking/__init__.py``). It yields ``OpenItem``s and knows what accepting and undoing a match
means for its items. The matcher itself knows nothing about any kind.

Ranking is linear in lines plus items: items are indexed by folded reference, by amount and by
counterparty IBAN; a line looks up the references that occur in its text (windows of one to
three words, folded the same way), its amount and its IBAN, and scores only those candidates.

References are folded to be tolerant of how people type them: case, spaces, dashes, slashes
and dots do not count, and the letters most often mistaken for digits (O/Q -> 0, I/L -> 1,
S -> 5, Z -> 2, B -> 8) read as those digits, on both sides. A reference must be at least five
characters and contain a digit to count (so "PAYMENT" or a year alone never match).
"""
from __future__ import annotations

import bisect
import re
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.orm import Session

from ..core import i18n
from ..core.actors import Actor
from ..core.i18n import N_
from ..core.settings import Settings
from ..core.signals import answers, open_item_providers
from ..ledger.services import Line

if TYPE_CHECKING:
    from gettext import NullTranslations

    from ..ledger.models import JournalEntry
    from .models import BankAccount, BankLine, BankMatch, BankMatchItem

T = TypeVar("T")

# --- the provider interface ------------------------------------------------------------------


@dataclass(frozen=True)
class OpenItem:
    """Something a bank line may pay, as a provider describes it."""

    provider: str
    key: str                           # stable within the provider (e.g. the invoice id)
    amount: int                        # what is still open, signed as the bank shows it (in > 0)
    currency: str
    date: date | None                  # when it was booked / issued / executed / due
    label: str                         # "Invoice 2026-00042 to ACME GmbH"
    references: tuple[str, ...] = ()   # what a payer or the bank may quote: numbers, e2e ids
    ibans: tuple[str, ...] = ()        # counterparty accounts known for this item
    counterparty: str = ""             # name, for the reason shown ("sponsor ACME")
    kind: str = ""                     # short word for reasons: "invoice", "payout batch"
    url: str | None = None             # where the treasurer can look at the item
    allow_partial: bool = True         # may be paid in instalments / part of a split
    #: The postings on the bank's ledger account this item *is*, if the books already have it:
    #: (posting id, amount of it that belongs to this item). Accepting a match records them as
    #: confirmed by the bank (``bank_match_items.posting_id``, one row per posting).
    postings: tuple[tuple[int, int], ...] = ()
    counterparty_role: str = ""        # "sponsor": reasons say "IBAN matches sponsor ACME"
    #: The one bank line the item is for (a line offered as what it is itself: "record as
    #: donation"); never suggested for another line. None: any line may pay it.
    bank_line_id: int | None = None
    #: The label without what identifies the item ("Membership fee → 4000 Membership fees (GEN)"
    #: of "#3458 Membership fee → …"): open items of one provider with the same ``alike`` and
    #: amount are interchangeable, and a line is offered them as one suggestion.
    alike: str = ""
    #: What active matches of the bank account allocated to the item, where the provider read
    #: it with the item (issue 17: a statement fewer on every page of the queue); None: the
    #: service reads it (``services.allocations``).
    allocated: int | None = None

    @property
    def handle(self) -> str:
        """What tells the item from its alike ones ("#3458")."""
        return self.label.removesuffix(self.alike).strip() or self.label


class Provider(ABC):
    """One kind of open item: an instance answers ``core.signals.open_item_providers``."""

    name: str = ""    # stored in bank_match_items.provider; never change it once used
    label: str = ""   # "Booked bank postings", "Open invoices"

    @abstractmethod
    def open_items(self, session: Session, bank_account: BankAccount) -> Iterable[OpenItem]:
        """Every item still (partly) open for this bank account's currency.

        ``OpenItem.amount`` is what remains open *before* this matcher's own allocations: the
        service subtracts the active allocations it recorded (``bank_match_items``), so a
        provider whose own state does not change on a partial payment can return the full
        amount. A provider whose state does change (an invoice's amount paid) returns what its
        state says is open and sets ``counts_own_allocations = True``."""

    def items_for(self, session: Session, bank_account: BankAccount,
                  lines: Sequence[BankLine] | None) -> Iterable[OpenItem]:
        """The open items that may be suggested for ``lines`` (None: for any line): all of
        them, unless the items are each one line's own (``OpenItem.bank_line_id``), when a
        provider reads only those of ``lines`` (issue 17: the queue shows a few lines)."""
        return self.open_items(session, bank_account)

    counts_own_allocations: bool = False
    #: Whether the items are what a line is only when nothing else explains it (a gift): ``rank``
    #: drops them for a line that an item of another provider matches by reference or by IBAN
    #: (an invoice paid from a donor's account), and they rank as usual otherwise (an amount
    #: alone explains nothing).
    fallback: bool = False
    #: Whether ``accept`` may return ledger lines or change state. A provider that never does
    #: (booked postings) lets confident matches be written in bulk on import.
    posts_entries: bool = True

    @abstractmethod
    def accept(self, session: Session, *, bank_account: BankAccount, match: BankMatch, item: OpenItem, amount: int,
               booking_date: date, actor: Actor) -> list[Line]:
        """Record that ``amount`` (signed like the bank line) of ``item`` was paid.

        Return the ledger lines that book it, *except* the bank side (the service adds the
        bank-account line and posts one journal entry for the whole match, source
        ``("bank_match", match.id)``): e.g. a credit to receivables for an invoice. Return []
        when the money is already on the bank's ledger account in the books (a booked posting,
        a payout batch whose execution already credited the bank). Change the item's own state
        here (invoice paid) and write its audit record; never commit. Raise ``DomainError`` to
        refuse."""

    #: Entry sources (``JournalEntry.source_kind``) whose bank postings this provider offers
    #: itself, as richer items (a payout batch, a Stripe payout): the booked-postings provider
    #: leaves out the postings of such entries that name their document (``source_id``), so that
    #: one bank posting is never offered twice.
    claims_sources: tuple[str, ...] = ()

    def posted(self, session: Session, *, bank_account: BankAccount, match: BankMatch, entry: JournalEntry | None, allocations: list[tuple[OpenItem, int]],  # noqa: B027
               booking_date: date, actor: Actor, settings: Settings) -> None:  # (an optional hook)
        """Called once per match and provider after the match's journal entry is posted (``entry``
        is None when nothing was posted), with ``allocations``: [(item, amount)] of this
        provider. Record here what needs the entry (an invoice payment that links to it);
        ``settings`` are the typed settings, for what the change tells somebody."""

    def written_off(self, session: Session, *, match: BankMatch, item: OpenItem, amount: int, entry: JournalEntry,  # noqa: B027 (optional hook)
                    booking_date: date, actor: Actor) -> None:
        """Called after ``posted`` for an item whose shortfall was written off in the match's
        entry (``amount``, signed like the bank; ``accept`` was given the item's whole open
        amount, ``posted`` only what the lines paid). Record it on the document."""

    def refusal(self, session: Session, bank_account: BankAccount, key: str) -> str | None:
        """Why the item ``key`` cannot be matched on this bank account (another currency, not
        open), for a clear message; None when there is nothing to say."""
        return None

    def undo(self, session: Session, *, match: BankMatch, item_row: BankMatchItem, actor: Actor,  # noqa: B027 (optional hook)
             settings: Settings) -> None:
        """Undo the item's own state change when a match is undone (called once per item, with
        its first ``bank_match_items`` row). The service reverses the match's journal entry
        itself (``match.undo_entry_id``); a provider that changed no state has nothing to do."""


def _by_name() -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    for each in answers(open_item_providers):
        if not each.name:
            raise ValueError("a provider needs a name")
        found[each.name] = each
    return found


def providers() -> list[Provider]:
    """Every provider (``core.signals.open_item_providers``), in the order they were connected."""
    return list(_by_name().values())


_PASS = "banking.matching.one_pass"


@contextmanager
def one_pass(session: Session) -> Iterator[None]:
    """Gathering every provider's items once (``services.open_items``): what several providers
    read alike is read once for all of them meanwhile (``shared``), and afresh after."""
    session.info[_PASS] = {}
    try:
        yield
    finally:
        session.info.pop(_PASS, None)


def shared(session: Session, key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, once per ``key`` within ``one_pass`` (issue 17: the queue's three providers
    of bank postings sent the same statement three times); outside one, every time."""
    reads = session.info.get(_PASS)
    if reads is None:
        return read()
    if key not in reads:
        reads[key] = read()
    return reads[key]


def split_over_postings(amount: int, postings: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """[(posting id, part)] of an allocation to an item made of ``postings``, in order, each
    taking at most its own amount (the last takes what is left, so the parts add up)."""
    parts, remaining = [], amount
    for number, (posting_id, own) in enumerate(postings):
        last = number == len(postings) - 1
        part = remaining if last or abs(remaining) <= abs(own) else own
        if part:
            parts.append((posting_id, part))
        remaining -= part
        if not remaining:
            break
    return parts


def provider(name: str) -> Provider:
    return _by_name()[name]


# --- folding references ----------------------------------------------------------------------

_MISREAD = str.maketrans({"O": "0", "Q": "0", "I": "1", "L": "1", "S": "5", "Z": "2", "B": "8"})
_CHUNKS = re.compile(r"[A-Za-z0-9]+")
MIN_REFERENCE = 5
WINDOW = 3


@lru_cache(maxsize=8192)  # the queue folds its items' references on every page (issue 17)
def fold(text: str) -> str:
    """'RE 2026-0OO42' -> 'RE202600042' (case, separators and misreadings ignored)."""
    return "".join(_CHUNKS.findall(text)).upper().translate(_MISREAD)


@lru_cache(maxsize=8192)
def usable(reference: str) -> bool:
    """Long enough once folded, and a real digit in it as written ("STRIPE" folds to "5TR1PE"
    but is no reference)."""
    return any(map(str.isdigit, reference)) and len(fold(reference)) >= MIN_REFERENCE


def text_keys(text: str) -> set[str]:
    """Folded windows of one to three consecutive words of ``text``."""
    chunks = _CHUNKS.findall(text.upper())
    keys = set()
    for start in range(len(chunks)):
        joined = ""
        for chunk in chunks[start:start + WINDOW]:
            joined += chunk
            if len(joined) >= MIN_REFERENCE:
                keys.add(joined)
    return {key.translate(_MISREAD) for key in keys}


# --- ranking ---------------------------------------------------------------------------------

SCORE_REFERENCE = 100
SCORE_AMOUNT = 50
SCORE_IBAN = 40
SCORE_NAME = 15
SCORE_DATE = 10
MIN_NAME = 5  # a counterparty name shorter than this is not looked for in an item's label
NEAREST_BY_AMOUNT = 8  # amount-only candidates considered per line (nearest in date)


class Reason:
    """One reason why an item is suggested, in words: the reader's language where it is shown
    (``str``), English where it is stored (``source``: a match's reason, as an audit summary).
    ``message`` is marked with ``N_``; a value that is itself a ``Reason`` (an item's kind, "sponsor")
    is translated with it."""

    def __init__(self, message: str, **variables: object):
        self.message, self.variables = message, variables

    def texts(self, translations: NullTranslations) -> tuple[str, str]:
        """(shown, source) in one pass: the queue shows the one and stores the other for every
        suggestion (issue 17)."""
        shown, source = {}, {}
        for name, value in self.variables.items():
            shown[name], source[name] = value.texts(translations) if isinstance(value, Reason) \
                else (value, value)
        return (_filled(translations.gettext(self.message), shown),
                _filled(self.message, source))

    def __str__(self) -> str:
        return self.texts(i18n.translations())[0]

    @property
    def source(self) -> str:
        return self.texts(i18n.NULL)[1]


def _filled(text: str, values: dict[str, object]) -> str:
    return text % values if values or "%%" in text else text


@dataclass
class Suggestion:
    item: OpenItem
    score: int
    reasons: list[Reason]
    reference: str | None = None  # the reference found in the text
    exact_amount: bool = False
    allocate: int = 0             # what accepting would allocate to the item
    #: Further items accepted together with ``item`` (a line naming several invoices whose open
    #: amounts add up to it); the line's amount is allocated over them in this order.
    also: tuple[OpenItem, ...] = ()
    open_amount: int = 0          # what the item still has open (for a line that differs)
    #: Items interchangeable with ``item`` (``OpenItem.alike``), ranked after it; accepting
    #: takes ``item``, they stay open for the next line.
    alike: tuple[OpenItem, ...] = ()

    @property
    def confident(self) -> bool:
        """Exact reference and exact amount of one item: safe to accept without asking."""
        return self.reference is not None and self.exact_amount and not self.also

    @property
    def items(self) -> tuple[OpenItem, ...]:
        return (self.item, *self.also)

    @property
    def reason(self) -> str:
        """Why, in the reader's language."""
        return self.why()[0]

    @property
    def reason_source(self) -> str:
        """Why, in English: what a match stores."""
        return "; ".join(reason.source for reason in self.reasons)

    def why(self) -> tuple[str, str]:
        """(``reason``, ``reason_source``), worked out together (a page shows both)."""
        translations = i18n.translations()
        texts = [reason.texts(translations) for reason in self.reasons]
        return "; ".join(shown for shown, _ in texts), "; ".join(source for _, source in texts)


@dataclass
class LineFacts:
    """What the matcher reads from a bank line (so it works on rows or on parsed lines)."""

    amount: int
    currency: str
    booking_date: date
    text: str
    counterparty_name: str = ""
    counterparty_iban: str = ""
    bank_line_id: int | None = None  # the stored line's id (None: a line not stored yet)


@dataclass
class ItemIndex:
    """Open items indexed for lookup; ``remaining`` tracks allocations made meanwhile."""

    items: dict[tuple[str, str], OpenItem] = field(default_factory=dict)
    remaining: dict[tuple[str, str], int] = field(default_factory=dict)
    by_reference: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    by_iban: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    by_amount: dict[int, list[tuple[date, tuple[str, str]]]] = field(
        default_factory=lambda: defaultdict(list))
    fallback: set[str] = field(default_factory=set)  # providers whose items are a last resort

    @classmethod
    def build(cls, items: Iterable[OpenItem], allocated: dict[tuple[str, str], int] | None = None):
        index = cls()
        allocated = allocated or {}
        known = _by_name()
        for item in items:
            key = (item.provider, item.key)
            provider_ = known.get(item.provider)
            own = provider_ is not None and provider_.counts_own_allocations
            if provider_ is not None and provider_.fallback:
                index.fallback.add(item.provider)
            open_amount = item.amount - (0 if own else allocated.get(key, 0))
            if open_amount == 0 or (open_amount > 0) != (item.amount > 0):
                continue
            index.items[key] = item
            index.remaining[key] = open_amount
            for reference in item.references:
                if usable(reference):
                    index.by_reference[fold(reference)].append(key)
            for iban in item.ibans:
                if iban:
                    index.by_iban[iban.replace(" ", "").upper()].append(key)
            index.by_amount[open_amount].append((item.date or date.min, key))
        for entries in index.by_amount.values():
            entries.sort()
        return index

    def allocate(self, key: tuple[str, str], amount: int) -> None:
        self.remaining[key] -= amount

    def open(self, key: tuple[str, str]) -> int:
        return self.remaining.get(key, 0)

    def nearest_by_amount(self, amount: int, day: date) -> list[tuple[str, str]]:
        entries = self.by_amount.get(amount)
        if not entries:
            return []
        position = bisect.bisect_left(entries, (day, ("", "")))
        lo, hi = position - 1, position
        chosen = []
        while len(chosen) < NEAREST_BY_AMOUNT and (lo >= 0 or hi < len(entries)):
            before = (day - entries[lo][0]).days if lo >= 0 else None
            after = (entries[hi][0] - day).days if hi < len(entries) else None
            if after is None or (before is not None and before <= after):
                chosen.append(entries[lo][1])
                lo -= 1
            else:
                chosen.append(entries[hi][1])
                hi += 1
        return chosen


def _word(item: OpenItem) -> Reason:
    """The item's kind ("invoice"), translated where it is shown (the providers mark it ``N_``)."""
    return Reason(item.kind or N_("item"))


def rank(line: LineFacts, index: ItemIndex, limit: int = 3) -> list[Suggestion]:
    """The best candidates for one line, best first."""
    found: dict[tuple[str, str], str | None] = {}
    in_text = text_keys(line.text)
    for key_text in sorted(in_text):  # sorted: the same item found the same way in every process
        for key in index.by_reference.get(key_text, ()):
            found.setdefault(key, key_text)
    iban = line.counterparty_iban.replace(" ", "").upper()
    iban_hits = set(index.by_iban.get(iban, ())) if iban else set()
    candidates = set(found) | iban_hits
    candidates.update(index.nearest_by_amount(line.amount, line.booking_date))
    suggestions = []
    name = line.counterparty_name.lower()
    for key in candidates:
        open_amount = index.open(key)
        if open_amount == 0 or (open_amount > 0) != (line.amount > 0):
            continue
        item = index.items[key]
        if item.currency != line.currency or (item.bank_line_id is not None
                                              and item.bank_line_id != line.bank_line_id):
            continue
        score, reasons = 0, []
        exact = open_amount == line.amount
        reference = None
        if key in found:
            # The item's own first reference the text names (an invoice's number before the
            # sponsor's order number), whichever of them the lookup met first.
            reference = next((r for r in item.references if usable(r) and fold(r) in in_text),
                             found[key])
            score += SCORE_REFERENCE
            reasons.append(Reason(N_("%(kind)s %(reference)s in the reference"), kind=_word(item),
                                  reference=reference))
        if exact:
            score += SCORE_AMOUNT
        if key in iban_hits:
            score += SCORE_IBAN
            reasons.append(_iban_reason(item, exact))
        elif exact:
            reasons.append(Reason(N_("same amount")))
        if not exact and reference is None and key not in iban_hits:
            continue
        if not exact and abs(line.amount) > abs(open_amount) and not item.allow_partial:
            continue
        if name and item.counterparty and (item.counterparty.lower() in name
                                            or name in item.counterparty.lower()):
            score += SCORE_NAME
            if key not in iban_hits:
                reasons.append(Reason(N_("name %(name)s"), name=item.counterparty))
        elif len(name) >= MIN_NAME and name in item.label.lower():
            score += SCORE_NAME
            reasons.append(Reason(N_("name %(name)s in the %(kind)s"), name=line.counterparty_name,
                                  kind=_word(item)))
        if item.date is not None:
            days = abs((line.booking_date - item.date).days)
            score += max(0, SCORE_DATE - days // 3)
            if not reference and key not in iban_hits:
                reasons[-1] = Reason(N_("%(reason)s, %(days)s"), reason=reasons[-1],
                                     days=_days(days))
        if not exact:
            reasons.append(Reason(N_("part of what is open") if abs(line.amount) < abs(open_amount)
                                  else N_("more than what is open")))
        allocate = line.amount if abs(line.amount) <= abs(open_amount) else open_amount
        suggestions.append(Suggestion(item, score, reasons, reference, exact, allocate,
                                      open_amount=open_amount))
    together = _together(line, index, found)
    if together is not None and not any(s.exact_amount and s.reference for s in suggestions):
        suggestions.append(together)
    if index.fallback and any(s.item.provider not in index.fallback and (
            s.reference is not None or (s.item.provider, s.item.key) in iban_hits)
            for s in suggestions):  # explained by something else: not a last resort
        suggestions = [s for s in suggestions if s.item.provider not in index.fallback]
    suggestions.sort(key=lambda s: (-s.score, s.item.date or date.min, s.item.key))
    return _grouped(suggestions)[:limit]


def _grouped(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Interchangeable items (same provider, ``alike`` and open amount) as one suggestion: the
    best ranked takes the others along as ``alike``, so that three identical booked entries do
    not fill the places of something different."""
    first: dict[tuple, Suggestion] = {}
    result = []
    for suggestion in suggestions:
        item = suggestion.item
        key = (item.provider, item.alike, suggestion.open_amount, suggestion.exact_amount)
        if not item.alike or suggestion.also or key not in first:
            result.append(suggestion)
            if item.alike and not suggestion.also:
                first[key] = suggestion
            continue
        leader = first[key]
        leader.alike += (item,)
    for suggestion in result:
        if suggestion.alike:
            count = len(suggestion.alike)
            suggestion.reasons.append(
                Reason(N_("1 more alike, accepting takes this one")) if count == 1 else
                Reason(N_("%(count)s more alike, accepting takes this one"), count=count))
    return result


def _together(line: LineFacts, index: ItemIndex, found: dict) -> Suggestion | None:
    """Several items named in the text whose open amounts add up to the line (one transfer
    paying two invoices): one suggestion for all of them."""
    keys = [key for key in found if index.items[key].currency == line.currency
            and index.open(key) and (index.open(key) > 0) == (line.amount > 0)]
    if not 2 <= len(keys) <= 10 or sum(index.open(key) for key in keys) != line.amount:
        return None
    keys.sort(key=lambda key: (index.items[key].date or date.min, key))
    items = [index.items[key] for key in keys]
    named = [next((r for r in item.references if fold(r) == found[key]), found[key])
             for key, item in zip(keys, items, strict=True)]
    reason = _joined([Reason(N_("%(kind)s %(reference)s"), kind=_word(item), reference=ref)
                      for item, ref in zip(items, named, strict=True)])
    return Suggestion(items[0], SCORE_REFERENCE + SCORE_AMOUNT,
                      [Reason(N_("%(items)s in the reference; together the same amount"),
                              items=reason)], named[0],
                      exact_amount=True, allocate=index.open(keys[0]), also=tuple(items[1:]))


def _joined(reasons: list[Reason]) -> Reason:
    """``a + b + c``, each part translated."""
    joined = reasons[0]
    for reason in reasons[1:]:
        joined = Reason("%(first)s + %(then)s", first=joined, then=reason)
    return joined


def _iban_reason(item: OpenItem, exact: bool) -> Reason:
    """The IBAN of the line is the item's counterparty's ("amount and IBAN match sponsor ACME")."""
    name = item.counterparty
    if item.counterparty_role and name:
        return Reason(N_("amount and IBAN match %(role)s %(name)s") if exact
                      else N_("IBAN matches %(role)s %(name)s"),
                      role=Reason(item.counterparty_role), name=name)
    if name:
        return Reason(N_("amount and IBAN match %(name)s") if exact else N_("IBAN matches %(name)s"),
                      name=name)
    return Reason(N_("amount and IBAN match") if exact else N_("IBAN matches"))


def _days(days: int) -> Reason:
    if days == 0:
        return Reason(N_("same day"))
    return Reason(N_("1 day apart")) if days == 1 else Reason(N_("%(days)s days apart"), days=days)


# --- reasons stored in English, shown in the reader's language -------------------------------

#: The kinds of items and counterparties the providers name (``OpenItem.kind``, ``.counterparty_role``).
KINDS = ("returned transfer", "payout batch", "booked entry", "Stripe payout", "transfer", "invoice",
         "donation", "item")
ROLES = ("sponsor", "donor")
_GROUPS = {"kind": "|".join(map(re.escape, KINDS)), "role": "|".join(ROLES), "count": r"\d+",
           "reason": ".+", "items": ".+", "days": r"same day|1 day apart|\d+ days apart"}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(template: str, **groups: str) -> re.Pattern:
    """``template`` as a regular expression: each placeholder a named group."""
    parts = _PLACEHOLDER.split(template)
    regex = "".join(re.escape(part) if index % 2 == 0 else
                    f"(?P<{part}>{groups.get(part, _GROUPS.get(part, '.+?'))})"
                    for index, part in enumerate(parts))
    return re.compile(f"^{regex}$")


#: (English template, its pattern): the reasons ``rank`` and the services store, most specific
#: first (the services' own two are marked here; they are stored as English f-strings).
_STORED = [(template, _pattern(template, **groups)) for template, groups in (
    ("%(items)s in the reference; together the same amount", {}), ("%(reason)s, %(days)s", {}),
    ("%(kind)s %(reference)s in the reference", {}), ("same amount", {}),
    ("part of what is open", {}), ("more than what is open", {}),
    ("1 more alike, accepting takes this one", {}),
    ("%(count)s more alike, accepting takes this one", {}),
    ("amount and IBAN match %(role)s %(name)s", {}), ("IBAN matches %(role)s %(name)s", {}),
    ("amount and IBAN match %(name)s", {}), ("IBAN matches %(name)s", {}),
    ("amount and IBAN match", {}), ("IBAN matches", {}), ("name %(name)s in the %(kind)s", {}),
    ("name %(name)s", {}), ("found by search", {}), ("same day", {}), ("1 day apart", {}),
    ("%(days)s days apart", {"days": r"\d+"}), ("%(kind)s %(reference)s", {}),
    (N_("rule %(name)s"), {}), (N_("booked to %(label)s"), {}))]


#: The labels providers give their items (``OpenItem.label``, stored as ``BankMatchItem.label``).
_LABELS = [(template, _pattern(template, **groups)) for template, groups in (
    (N_("Invoice %(number)s to %(name)s"), {}),
    (N_("Payout batch %(batch)s: 1 transfer"), {}),
    (N_("Payout batch %(batch)s: %(count)s transfers"), {}),
    (N_("Transfer %(reference)s to %(name)s (batch %(batch)s)"), {"name": ".+"}),
    (N_("Stripe payout %(payout)s"), {}))]


def shown_label(stored: str) -> str:
    """An item's label (English, as its provider gave it and a match stores it) in the reader's
    language; as it is when no provider's template fits."""
    for template, pattern in _LABELS:
        found = pattern.match(stored)
        if found is not None:
            return i18n.translations().gettext(template) % found.groupdict()
    return stored


def shown_reason(stored: str) -> str:
    """A match's stored reason (English, ``Suggestion.reason_source`` or the services' "rule …")
    in the reader's language; as stored when it is not one the matcher writes."""
    pieces = _pieces(stored)
    translated = [_translated(piece) for piece in pieces]
    return stored if None in translated else "; ".join(translated)


def _pieces(stored: str) -> list[str]:
    together = "; together the same amount"
    if together in stored:  # one reason with a "; " inside
        head, tail = stored.split(together, 1)
        return [head + together, *[p for p in tail.split("; ") if p]]
    return stored.split("; ")


def _translated(text: str) -> str | None:
    for template, pattern in _STORED:
        found = pattern.match(text)
        if found is None:
            continue
        values = found.groupdict()
        for name in ("kind", "role"):
            if name in values:
                values[name] = i18n.translations().gettext(values[name])
        for name in ("reason", "days"):
            if name in values and not values[name].isdigit():
                values[name] = _translated(values[name])
        if "items" in values:
            values["items"] = " + ".join(
                _translated(part) or "" for part in values["items"].split(" + "))
        if any(value is None or value == "" for value in values.values()):
            continue
        text = i18n.translations().gettext(template)
        return text % values if values else text
    return None


def allocate(line_total: int, items: Sequence[tuple[tuple[str, str], int]]) -> list[int]:
    """Split ``line_total`` over items in order, each getting at most what is open for it.

    Returns the allocation per item; raises ``ValueError`` when the items cannot take the whole
    amount or an item would get nothing."""
    remaining = line_total
    result = []
    for _, open_amount in items:
        if remaining == 0 or (open_amount > 0) != (line_total > 0):
            raise ValueError("item")
        part = remaining if abs(remaining) <= abs(open_amount) else open_amount
        result.append(part)
        remaining -= part
    if remaining:
        raise ValueError("rest")
    return result
