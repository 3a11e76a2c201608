"""Documents render from the values they are given, without an app: the HTML through
``core.templates.render_document`` (money and dates in the locale the caller names), the PDF
through ``pdf.html_to_pdf``."""
from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace

import pypdf
import pytest
from flask import has_app_context

from backoffice.core.templates import render_document
from backoffice.funds.statements import Statement, to_pdf

FUND = SimpleNamespace(code="F-NUE", name="PyNürnberg")
START, END = date(2026, 1, 1), date(2026, 3, 31)


def _account(code: str, name: str) -> SimpleNamespace:
    return SimpleNamespace(code=code, name=name)


def _statement() -> Statement:
    """Opening 100.00, income 1,234.50, fees 86.42, expenses 80.00: closing 1,168.08."""
    return Statement(FUND, "EUR", START, END, 10000,
                     income=[(_account("4100", "Sponsorship"), 123450)],
                     expenses=[(_account("5100", "Venue hire"), 8000)], transfers=[],
                     closing=116808, fees=[(_account("5900", "Admin fees"), 8642)])


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_a_fund_statement_renders_to_pdf_without_an_app():
    assert not has_app_context()
    assert _statement().reconciles
    pdf = to_pdf(FUND, [_statement()], start=START, end=END, group_name="PyNürnberg e.V.",
                 organisation="Python Software Verband", locale="en", today=date(2026, 4, 2))
    text = _text(pdf)
    for shown in ("PyNürnberg (F-NUE)", "Restricted fund of PyNürnberg e.V.",
                  "Python Software Verband", "2026-01-01", "2026-03-31", "2026-04-02",
                  "€100.00", "€1,234.50", "€86.42", "€80.00", "€1,168.08", "Closing balance"):
        assert shown in text, shown
    assert not has_app_context()


def test_money_in_a_document_follows_the_locale_it_is_rendered_in():
    html = render_document("pdf/fund_statement.html", fund=FUND, group_name=None, start=START,
                           end=END, statements=[_statement()], organisation="PSV",
                           locale="de_DE", today=END)
    assert "1.234,50\xa0€" in html and "1.168,08\xa0€" in html and "€1,234.50" not in html
    assert "Restricted fund" not in html


def test_a_document_that_formats_money_must_be_given_its_locale():
    with pytest.raises(ValueError, match="_statement.html formats money but sees no locale"):
        render_document("pdf/fund_statement.html", fund=FUND, group_name=None, start=START,
                        end=END, statements=[_statement()], organisation="PSV", today=END)


def test_a_document_escapes_what_it_is_given():
    html = render_document("pdf/fund_statement.html", fund=SimpleNamespace(
        code="F1", name="<script>alert(1)</script>"), group_name=None, start=START, end=END,
        statements=[], organisation="PSV", locale="en", today=END)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

