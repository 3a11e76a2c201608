"""The journal page's entries as HTML, written a page at once in Python (issue 17): the
template's loop cost ~11 µs a posting (cells, escaping, lookups, the money filter), more than the
rest of the page; this writes the same bytes the template wrote (``tests/ledger/test_journal_html.py``
compares the two)."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

from ..core.formatting import day_writer, money_spans
from .queries import ShownEntry


def _html(text: str) -> str:
    """``escape(text)`` as a plain string, without a Markup made when nothing needs escaping."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return str(escape(text))
    return text


def entries_html(entries: Iterable[ShownEntry], *, locale: str,
                 entry_url: Callable[[int], str], account_url: Callable[[int], str],
                 reversal: str, nothing: str) -> Markup:
    """Each entry's ``<tbody>``: its date, number and description beside its first posting, one
    row a posting (account, fund, debit, credit); ``nothing`` when there is no entry. ``reversal``
    and ``nothing`` are the page's translated words, written as the template's ``_()`` writes
    them (unescaped); the URLs ``id_urls``' for entries and accounts."""
    day = day_writer(locale)
    spans: dict[str, Callable[[int, bool], str]] = {}
    accounts: dict[tuple[int, str, str], str] = {}
    parts = ["\n  "]
    write = parts.append
    for entry in entries:
        postings = entry.postings
        rows = len(postings)
        badge = (f'<span class="badge text-bg-warning">{reversal}</span>'
                 if entry.reverses_id else "")
        head = (f'\n      <td rowspan="{rows}" class="text-nowrap align-top">{_html(day(entry.booking_date))}</td>'
                f'\n      <td rowspan="{rows}" class="align-top"><a href="{_html(entry_url(entry.id))}">{_html(entry.ref)}</a></td>'
                f'\n      <td rowspan="{rows}" class="align-top">{_html(entry.description)}'
                f"\n        {badge}</td>\n      ")
        write('\n  <tbody class="border-bottom">\n    ')
        for posting in postings:
            key = (posting.account_id, posting.account_code, posting.account_name)
            account = accounts.get(key)
            if account is None:
                account = accounts[key] = (
                    f'<a class="link-secondary" href="{_html(account_url(posting.account_id))}">'
                    f"{_html(posting.account_label)}</a>")
            span = spans.get(posting.currency)
            if span is None:
                span = spans[posting.currency] = money_spans(posting.currency, locale)
            amount = posting.amount
            debit = span(amount, False) if amount > 0 else ""
            credit = span(-amount, False) if amount < 0 else ""
            write(f"\n    <tr>\n      {head}\n      <td class=\"small\">{account}</td>"
                  f'\n      <td class="small">{_html(posting.fund_code)}</td>'
                  f'\n      <td class="num">{debit}</td>\n      <td class="num">{credit}</td>'
                  "\n    </tr>\n    ")
            head = ""
        write("\n  </tbody>\n  ")
    if len(parts) == 1:
        write(f'\n  <tbody><tr><td colspan="7" class="muted">{nothing}</td></tr></tbody>\n  ')
    return Markup("".join(parts))
