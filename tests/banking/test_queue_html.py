"""A queue line's HTML is written at once by ``banking.queue_html`` (issue 17): byte for byte
what the template it replaced wrote (kept as ``data/queue_line_before_issue17.html``), for open
lines with every kind of suggestion, matched lines, messages and errors, in English and German,
for a treasurer and for a reader who may change nothing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from jinja2 import FileSystemLoader
from markupsafe import Markup
from sqlalchemy import select

from backoffice.banking import services, views, writers
from backoffice.banking.models import BankLine
from backoffice.banking.parsers import ParsedLine, ParsedStatement
from backoffice.core.db import transaction
from backoffice.core.forms import ConfirmForm
from backoffice.core.views import id_urls
from backoffice.extensions import settings as app_settings

from .conftest import DATA, IBAN, book, do_import

START = date(2026, 3, 2)
PAYER = "GB33BUKB20201555555555"
#: (amount the line pays, the posting it may be, name, IBAN, text, references, reversal)
LINES = [
    (12000, 12000, "A & B <Co>", PAYER, "Fee <b>&amp;</b> \"quoted\" 'single' 7", ("E2E-7", "X<&>Y"), False),
    (9500, 10000, "", PAYER, "Grant R&D 2026-00042", (), False),        # 5.00 short: a write-off
    (5000, 10000, "O'Brien", "", "Instalment 1 of 2", ("REF-1",), False),  # above the limit
    (10700, 10000, "Zoë \"Z\"", "", "More than asked", (), True),      # more than open, reversal
    (4321, None, "", "", "Nothing like it " * 20, ("NOWHERE-1",), False),  # no suggestion
    (6000, 6000, "Jonas Weber", "", "Mitgliedsbeitrag Jonas Weber", (), False),  # alike
]


@pytest.fixture
def queue(session, bank, treasurer):
    """The bank account with a line of each kind above, and the postings they may be."""
    with transaction():
        for n, (_paid, booked, name, *_rest) in enumerate(LINES):
            if booked:
                book(session, treasurer, START + timedelta(days=n + 1), booked,
                     f"{name} paid" if n == 5 else f"{name or 'Someone'} & co <{n}> ORDER-{n}0{n}")
        book(session, treasurer, START + timedelta(days=3), 6000, "Jonas Weber paid")  # alike
        book(session, treasurer, START + timedelta(days=2), 12000, "Something else <b>")
    lines = [ParsedLine(booking_date=START + timedelta(days=n + 1), amount=paid, currency="EUR",
                        counterparty_name=name, counterparty_iban=iban,
                        remittance=f"{text} ORDER-{n}0{n}" if booked else text,
                        references=refs, reversal=reversal)
             for n, (paid, _booked, name, iban, text, refs, reversal) in enumerate(LINES)]
    do_import(session, bank, writers.camt053(IBAN, [ParsedStatement(
        currency="EUR", opening=0, opening_date=START, closing=sum(x.amount for x in lines),
        closing_date=lines[-1].booking_date, lines=lines)]), treasurer)
    return list(session.scalars(select(BankLine).where(BankLine.bank_account_id == bank.id)
                                .order_by(BankLine.id)))


def _old(app, line, suggestions, may, **one) -> str:
    """The line as the template wrote it before issue 17, with the context the views gave it."""
    template = app.jinja_env.overlay(loader=FileSystemLoader(DATA)).get_template(
        "queue_line_before_issue17.html")
    texts = {name: Markup(text) for name, text in views._line_texts().items()}
    return template.render(
        line=line, suggestions={line.id: suggestions}, may=may, confirm=ConfirmForm(),
        choices=views._choices, texts=texts, accept_urls=id_urls("banking.accept", "line_id"),
        line_urls=id_urls("banking.line", "line_id"),
        book_form_urls=id_urls("banking.book_form", "line_id"), **one)


def _new(line, suggestions, may, **one) -> str:
    return views._rows([line], {line.id: suggestions}, views._choices, **one)(may)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("allowed", [True, False], ids=["treasurer", "read-only"])
def test_a_queue_line_is_written_as_the_template_wrote_it(app, session, bank, treasurer, queue,
                                                          language, allowed):
    def may(endpoint, method="POST"):
        return allowed

    with app.test_request_context("/bank/", headers={"Accept-Language": language}):
        found = services.suggestions_for(session, bank, queue)
        kinds = {bool(found[line.id]) for line in queue}
        assert kinds == {True, False}
        assert any(s.alike for line in queue for s in found[line.id])
        assert any(len(found[line.id]) > 1 for line in queue)
        assert any(views._choices(line, s) for line in queue for s in found[line.id])
        for line in queue:
            for one in ({}, {"message": "Undone: <it> & more"}, {"error": "Refused & \"why\""}):
                assert _new(line, found[line.id], may, **one) == \
                    _old(app, line, found[line.id], may, **one)


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_matched_line_is_written_as_the_template_wrote_it(app, session, bank, treasurer,
                                                            queue, language):
    line = queue[0]
    item = services.suggestions_for(session, bank, [line])[line.id][0].item
    with transaction():
        match = services.accept(session, bank, lines=[line], items=[(item.provider, item.key)],
                                actor=treasurer, settings=app_settings())
    with app.test_request_context("/bank/", headers={"Accept-Language": language}):
        for allowed in (True, False):
            def may(endpoint, method="POST", allowed=allowed):
                return allowed
            for one in ({"match": match, "message": "Matched & <done>"}, {"match": match},
                        {"match": None, "error": "Already matched"}):
                assert _new(line, [], may, **one) == _old(app, line, [], may, **one)
