"""One statement value, four formats: CSV, XLSX, the PDF and the page (the last two share
``templates/reports/_statement.html``). Nothing here computes a figure.

- CSV: one header row (code, line, kind, the columns), amounts as plain decimals ("1234.50"),
  through ``core.exports.csv_writer`` (no cell is ever run as a formula).
- XLSX (openpyxl, write-only: constant memory): the title and period above a frozen header row,
  amounts as numbers with the currency's number format, ratios as percentages, subtotals bold.
- PDF: WeasyPrint through ``core.templates.render_document`` (no app needed: the pack renders in a job).
"""
from __future__ import annotations

import io
import re
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from babel.numbers import format_decimal
from markupsafe import Markup, escape

from ..core import catalogs
from ..core.exports import csv_writer
from ..core.formatting import format_money
from ..core.i18n import N_, _
from ..core.money import exponent, formatter
from ..core.templates import render_document
from ..pdf import html_to_pdf
from .statements import HEADING, SUBTOTAL, TOTAL, Statement

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from .statements import Drill, Line

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def decimal_of(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-exponent(currency))


def money_format(currency: str) -> str:
    """The spreadsheet number format for ``currency``: thousands, its digits, its code."""
    digits = exponent(currency)
    number = "#,##0" + ("." + "0" * digits if digits else "")
    return f'{number} "{currency}";-{number} "{currency}"'


RATIO_FORMAT = "0.0%"
#: The numbers at the foot of each page of a report's PDF (CSS counters fill them in).
PAGE_NUMBERS = N_("Page %(page)s of %(pages)s")


def page_numbers_css(locale: str) -> Markup:
    """The CSS ``content`` of the page numbers in ``locale``: ``"Seite " counter(page) " von "
    counter(pages)``."""
    text = catalogs.translations(locale).gettext(PAGE_NUMBERS)
    parts = re.split(r"%\((page|pages)\)s", text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"counter({part})")
        elif part:
            out.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return Markup(" ".join(out))


def cell_text(statement: Statement, column: int, value: int | None, locale: str = "en_IE") -> str:
    """A figure as the page and the PDF show it, written in ``locale`` ("1.234,50 €")."""
    if value is None:
        return ""
    if column in statement.ratio_columns:
        return f"{format_decimal(Decimal(value) / 100, '0.0', locale=locale)} %"
    if column in statement.count_columns:
        return str(value)
    return format_money(value, statement.currency, locale)


def line_cells(statement: Statement, line: Line, *, locale: str = "en_IE",
               link: Callable[[Drill], str] | None = None) -> list[tuple[str, str | None]]:
    """A line's figures as the page and the PDF show them: each one's text in ``locale`` and the
    URL of the postings behind it (``link``; None without one or for a zero)."""
    return list(_cells(statement, line, locale, link))


def _cells(statement: Statement, line: Line, locale: str,
           link: Callable[[Drill], str] | None) -> Iterator[tuple[str, str | None]]:
    money = formatter(statement.currency, locale)  # looked up once a line, not once a figure
    other = statement.ratio_columns or statement.count_columns
    drills = line.drill if link else ()
    for column, value in enumerate(line.values):
        if value is None:
            text = ""
        elif other and (column in statement.ratio_columns or column in statement.count_columns):
            text = cell_text(statement, column, value, locale)
        else:
            text = money(int(value))
        drill = drills[column] if value and column < len(drills) else None
        yield text, link(drill) if drill else None


def line_html(statement: Statement, line: Line, *, locale: str = "en_IE",
              link: Callable[[Drill], str] | None = None) -> Markup:
    """A line's figure cells (``<td class="num">``; a figure with postings behind it links to
    them) as one piece of HTML, ``line_cells`` written once a line rather than by the template
    once a figure (issue 17: the balance sheet shows ~300 figures, the statement of activities
    ~250, and the template's output, escaping and lookups cost more than the figures)."""
    parts = []
    for text, url in _cells(statement, line, locale, link):
        if url:
            parts.append(f'\n        <td class="num"><a href="{_html(url)}">{_html(text)}</a></td>')
        else:
            parts.append(f'\n        <td class="num">{_html(text)}</td>')
    return Markup("".join(parts))


def row_html(statement: Statement, line: Line, *, locale: str = "en_IE",
             link: Callable[[Drill], str] | None = None) -> Markup:
    """A line's whole row of the statement table (``_statement.html``): its code, its label
    (indented by depth; a heading spans the figures) and its figure cells (``line_html``),
    written at once rather than by the template once a line (the balance sheet has ~190)."""
    kind = line.kind
    head = (f'\n    <tr class="{_html(str(kind))}">\n      <td class="code">{_html(str(line.code))}'
            f'</td>\n      <td class="{"indent" if line.depth else ""} depth-{line.depth}"')
    if kind == HEADING:
        return Markup(f'{head} colspan="{len(statement.columns) + 1}">{escape(line.label)}</td>'
                      '\n    </tr>\n  ')
    return Markup(f'{head}>{escape(line.label)}</td>'
                  f'{line_html(statement, line, locale=locale, link=link)}\n    </tr>\n  ')


def _html(text: str) -> str:
    """``escape(text)``'s characters as a plain string (no Markup made for each figure): an
    address's "&" is the only one a figure's text or address usually holds."""
    if "<" in text or ">" in text or '"' in text or "'" in text:
        return str(escape(text))
    return text.replace("&", "&amp;") if "&" in text else text


def _plain(statement: Statement, column: int, value: int | None):
    if value is None:
        return ""
    if column in statement.ratio_columns:
        return f"{Decimal(value) / 10000:.4f}"
    if column in statement.count_columns:
        return str(value)
    return str(decimal_of(value, statement.currency))


def to_csv(statements: Iterable[Statement]) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    for number, statement in enumerate(statements):
        if number:
            writer.writerow([])
        writer.writerow([statement.title, statement.period, statement.currency])
        writer.writerow([_("Code"), _("Line"), _("Kind"), *statement.columns])
        for line in statement.lines:
            writer.writerow([line.code, line.label, line.kind,
                             *(_plain(statement, i, v) for i, v in enumerate(line.values))])
    return out.getvalue()


def to_xlsx(statements: Iterable[Statement], *, generated: str = "") -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 (only downloads need it)
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()
    for statement in statements:
        # A sheet's name may not hold any of :\/?*[] (a fund's name may).
        name = re.sub(r"[:\\/?*\[\]]", " ", f"{statement.title[:26]} {statement.currency}")
        while name in used:
            name = name[:-1] + "_"
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "A4"
        sheet.column_dimensions["A"].width = 10
        sheet.column_dimensions["B"].width = 42
        for index in range(len(statement.columns)):
            sheet.column_dimensions[chr(ord("C") + index)].width = 16
        title = WriteOnlyCell(sheet, statement.title)
        title.font = Font(bold=True, size=14)
        sheet.append([title])
        sheet.append([statement.period, "", *([generated] if generated else [])])
        header = [WriteOnlyCell(sheet, text) for text in (_("Code"), _("Line"), *statement.columns)]
        for cell in header:
            cell.font = bold
        sheet.append(header)
        money = money_format(statement.currency)
        for line in statement.lines:
            emphasis = line.kind in (HEADING, SUBTOTAL, TOTAL)
            label = WriteOnlyCell(sheet, ("  " * line.depth) + line.label)
            if emphasis:
                label.font = bold
            row = [line.code or None, label]
            for column, value in enumerate(line.values):
                if value is None:
                    row.append(None)
                    continue
                if column in statement.ratio_columns:
                    cell = WriteOnlyCell(sheet, float(Decimal(value) / 10000))
                    cell.number_format = RATIO_FORMAT
                elif column in statement.count_columns:
                    cell = WriteOnlyCell(sheet, value)
                    cell.number_format = "0"
                else:
                    cell = WriteOnlyCell(sheet, decimal_of(value, statement.currency))
                    cell.number_format = money
                if emphasis:
                    cell.font = bold
                row.append(cell)
            sheet.append(row)
        for note in (*statement.warnings, *statement.notes):
            sheet.append([None, note])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def statement_html(statements: list[Statement], *, organisation: str, generated: str,
                   charts: list[str] = (), link: Callable | None = None,
                   locale: str = "en_IE") -> str:
    """The statements as a standalone HTML document for the PDF, written in ``locale``."""
    return render_document("reports/pdf_statement.html", statements=statements,
                           organisation=organisation, generated=generated, charts=charts,
                           row=partial(row_html, locale=locale, link=link), locale=locale,
                           lang=locale.split("_")[0], page_numbers=page_numbers_css(locale))


def to_pdf(statements: list[Statement], *, organisation: str, generated: str,
           charts: list[str] = (), locale: str = "en_IE") -> bytes:
    return html_to_pdf(statement_html(statements, organisation=organisation, generated=generated,
                                      charts=charts, locale=locale))
