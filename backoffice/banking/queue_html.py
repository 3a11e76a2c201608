"""One line of the reconciliation queue as HTML, written at once (issue 17): open with its
suggestions, or just matched. It was ``templates/banking/_line.html``, whose ~200 outputs a line
went up through five nested templates' generators, each text escaped into a ``Markup`` of its
own: half the queue's CPU time. The HTML is the template's, byte for byte
(``tests/banking/test_queue_html.py`` renders both).

Nothing here reads the request: the view gives what a page shares (``QueuePage``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from ..core.iban import grouped

if TYPE_CHECKING:
    from .matching import Suggestion
    from .models import BankLine, BankMatch


@dataclass(frozen=True)
class QueuePage:
    """What the lines of one page share: their fixed texts (markup, ``views._line_texts``), the
    form's hidden fields, the links' builders, what the reader may do, and how amounts, days,
    labels and reasons are written in the reader's language."""

    texts: dict[str, str]
    hidden: str
    accept_url: Callable[[int], str]
    line_url: Callable[[int], str]
    book_form_url: Callable[[int], str]
    undo_url: Callable[[int], str]
    accepting: bool
    undoing: bool
    booking: bool
    money: Callable[[int, str], str]   # (minor units, currency): the money span
    day: Callable[[date], str]
    label: Callable[[str], str]        # an item's stored label, shown
    #: the ways of accepting a suggestion whose amount differs (``views._choices``); None: none
    choices: Callable[[BankLine, Suggestion], list] | None = None


def html(value: Any) -> str:
    """``value`` escaped as Jinja's ``{{ value }}`` writes it, as a plain string (no Markup made
    for each text: most hold none of the five characters)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return str(escape(value))
        return value
    return str(escape(value))


def line_html(page: QueuePage, line: BankLine, suggestions: Sequence[Suggestion] = (), *,
              match: BankMatch | None = None, message: str | None = None,
              error: str | None = None) -> str:
    """The line's ``<div class="bank-line">`` (with the whitespace the template wrote)."""
    texts = page.texts
    currency = line.currency
    line_id = line.id
    is_open = line.status == "open"
    iban = line.counterparty_iban
    party = html(line.counterparty_name) if line.counterparty_name else (
        texts["bank"] if not iban else "")
    remittance = line.remittance
    refs = " ".join(word for word in line.references.split() if word not in remittance)
    out = [
        f'\n\n\n<div class="bank-line {"" if is_open else "is-done"}" id="line-{line_id}" '
        f'tabindex="0" data-line-id="{line_id}" data-testid="bank-line">\n'
        f'  <div class="bl-what">\n'
        f'    <div class="bl-date">{html(page.day(line.booking_date))}</div>\n'
        f'    <div class="bl-amount">{page.money(line.amount, currency)}</div>\n'
        f'    <div class="bl-party">{party}',
        f' <span class="badge text-bg-warning">{texts["reversal"]}</span>' if line.reversal else "",
        f'</div>\n    \n    <div class="bl-text">{html(remittance[:160])}',
        f' <span class="code">{html(refs[:60])}</span>' if refs else "",
        "</div>\n    ",
        f'<div class="bl-iban code">{html(grouped(iban))}</div>' if iban else "",
        "\n  </div>\n  <div class=\"bl-how\">\n    ",
        f'<div class="alert alert-danger py-1 px-2 small mb-2" role="alert">{html(error)}</div>'
        if error else "",
        "\n    ",
    ]
    if not is_open:
        out.append(f'\n      <div class="bl-done" role="status">\n        <span class="ok-mark">✓'
                   f'</span> {html(message) if message else texts["matched"]}\n        ')
        if match:
            out.extend(f'<div class="small muted">{html(page.label(item.label))}</div>'
                       for item in match.items)
            out.append("\n        ")
            if page.undoing:
                undo = html(page.undo_url(match.id))
                out.append(f'<form class="inline" method="post" action="{undo}" hx-post="{undo}" '
                           f'hx-target="closest .bank-line" hx-swap="outerHTML">\n          '
                           f'{page.hidden}<button class="btn btn-sm btn-link p-0 undo" '
                           f'type="submit">{texts["undo"]}</button>\n        </form>')
        out.append("\n      </div>\n    ")
    else:
        out.append("\n      ")
        if message:
            out.append(f'<div class="small muted mb-1" role="status">{html(message)}</div>')
        out.append("\n      \n      \n      ")
        line_url = html(page.line_url(line_id))
        if suggestions:
            accept_url = html(page.accept_url(line_id))
            for rank, suggestion in enumerate(suggestions, 1):
                out.append(_suggestion(page, line, suggestion, rank, accept_url))
        else:
            out.append(f'\n      <div class="small muted mb-1">{texts["no_suggestion"]}</div>\n      ')
        out.append('\n      <div class="bl-actions">\n        ')
        if page.booking:
            out.append(f'<details class="book" hx-get="{html(page.book_form_url(line_id))}" '
                       f'hx-trigger="toggle once" hx-target="find .book-slot">\n'
                       f'          <summary class="btn btn-sm btn-link p-0"><kbd>b</kbd> '
                       f'{texts["book"]}</summary>\n'
                       f'          <div class="book-slot"><a class="small" href="{line_url}">'
                       f'{texts["book_on_page"]}</a></div>\n        </details>')
        out.append(f'\n        <a class="btn btn-sm btn-link p-0 open-line" href="{line_url}">'
                   f'<kbd>o</kbd> {texts["open"]}</a>\n      </div>\n    ')
    out.append("\n  </div>\n</div>")
    return "".join(out)


def _suggestion(page: QueuePage, line: BankLine, suggestion: Suggestion, rank: int,
                accept_url: str) -> str:
    texts = page.texts
    accepting = page.accepting
    ways = page.choices(line, suggestion) if page.choices else []
    reason, reason_source = suggestion.why()
    items = suggestion.items
    tag = "form" if accepting else "div"
    out = [f'\n      \n      <{tag} class="suggestion"']
    if accepting:
        out.append(f' method="post" action="{accept_url}" hx-post="{accept_url}" '
                   f'hx-target="closest .bank-line" hx-swap="outerHTML"')
    out.append(">\n        ")
    if accepting:
        inputs = "".join(f'<input type="hidden" name="item" value="{html(item.provider)}:'
                         f'{html(item.key)}">' for item in items)
        source = html(reason_source)
        first = rank == 1 and suggestion.exact_amount
        out.append(
            f'{page.hidden}\n        {inputs}\n'
            f'        <input type="hidden" name="reason" value="{source}">\n        ')
        if ways:
            out.append(f'<input type="hidden" name="difference" value="{html(ways[0].how)}">')
        label = texts["accept_way"] % {"way": html(ways[0].label)} if ways else texts["accept"]
        out.append(
            f'\n        <button class="btn btn-sm {"btn-success" if first else "btn-outline-secondary"}'
            f' accept" type="submit" data-rank="{rank}" title="'
            f'{texts["accept_rank"] % {"rank": rank}}"><kbd>{rank}</kbd> {label}</button>')
    out.append('\n        <div class="s-what">\n          ')
    money, day, shown = page.money, page.day, page.label
    currency = line.currency
    for item in items:
        label = html(shown(item.label))
        out.append('<div class="s-label">')
        out.append(f'<a href="{html(item.url)}">{label}</a>' if item.url else label)
        out.append(f'\n            <span class="s-amount">{money(item.amount, currency)}')
        if item.date:
            out.append(f" · {html(day(item.date))}")
        out.append("</span></div>")
    out.append("\n          ")
    if suggestion.alike:
        others = ", ".join(f'<a href="{html(other.url)}">{html(other.handle)}</a>'
                           for other in suggestion.alike)
        out.append(f'<div class="s-alike small">{texts["alike"]} {others}</div>')
    out.append(f'\n          <div class="s-reason">{html(reason)}')
    if ways and ways[0].note:
        out.append(f' · <span data-testid="difference-note">{html(ways[0].note)}</span>')
    out.append(f"</div>\n        </div>\n      </{tag}>\n      ")
    if accepting:
        for way in ways[1:]:
            out.append(
                f'\n      <form class="suggestion-alt mb-1" method="post" action="{accept_url}" '
                f'hx-post="{accept_url}" hx-target="closest .bank-line" hx-swap="outerHTML">\n'
                f"        {page.hidden}\n        {inputs}\n"
                f'        <input type="hidden" name="reason" value="{source}"><input type="hidden" '
                f'name="difference" value="{html(way.how)}">\n'
                f'        <button class="btn btn-sm btn-outline-secondary" type="submit">'
                f'{texts["accept_way"] % {"way": html(way.label)}}</button>')
            if way.note:
                out.append(f' <span class="small muted">{html(way.note)}</span>')
            out.append("\n      </form>\n      ")
    out.append("\n      ")
    return "".join(out)
