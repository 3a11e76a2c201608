"""Charts drawn on the server by pygal as SVG: the page shows the same picture as the PDF.

An SVG is embedded as a ``data:`` image (``img-src 'self' data:`` in the security headers): the
page needs no inline style or script, WeasyPrint reads ``data:`` URLs only, and pygal's
JavaScript (tooltips from a CDN) is left out (``js=[]``).
"""
from __future__ import annotations

import base64
import re
import sys
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from babel.numbers import format_decimal

from ..core.i18n import _, pgettext
from ..core.money import exponent

if TYPE_CHECKING:
    from collections.abc import Sequence

PALETTE = ("#1f3a5f", "#c2410c", "#15803d", "#7c3aed", "#0e7490", "#b45309", "#be123c")


def _pygal():
    """pygal, imported on first use (it loads lxml and its styles), without the import hook it
    adds to ``sys.meta_path`` for its map plugins (unused here): that hook answers every later
    import in the process with an ImportWarning."""
    import pygal  # noqa: PLC0415

    sys.meta_path[:] = [finder for finder in sys.meta_path
                        if type(finder).__name__ != "PluginImportFixer"]
    return pygal


def _style():
    from pygal.style import Style  # noqa: PLC0415 (after _pygal(), which every chart calls first)

    return Style(background="white", plot_background="white", foreground="#1f2937",
                 foreground_strong="#1f2937", foreground_subtle="#6b7280", colors=PALETTE,
                 font_family="DejaVu Sans, sans-serif", label_font_size=11,
                 major_label_font_size=11, legend_font_size=11, title_font_size=14)


def _options(title: str, currency: str, locale: str = "en_IE") -> dict:
    """A chart's look; its amounts written in ``locale`` ("1.200 EUR" in German)."""
    return dict(title=title, style=_style(), js=[], disable_xml_declaration=True,
                width=800, height=320, explicit_size=False, legend_at_bottom=True,
                legend_at_bottom_columns=3, print_values=False,
                value_formatter=lambda value: f"{format_decimal(value, '#,##0', locale=locale)} "
                                              f"{currency}",
                truncate_legend=-1)


def _units(values: Sequence[int], currency: str) -> list[float]:
    return [float(Decimal(v).scaleb(-exponent(currency))) for v in values]


def income_and_expenses(months: Sequence[str], income: Sequence[int], expenses: Sequence[int],
                        currency: str, title: str | None = None, *, locale: str = "en_IE") -> str:
    """Bars of income and expenses per month, titled and labelled in the reader's language,
    amounts written in ``locale``."""
    return _income_and_expenses(tuple(months), tuple(income), tuple(expenses), currency,
                                str(title or _("Income and expenses by month")),
                                (pgettext("statement", "Income"), pgettext("statement", "Expenses")),
                                locale)


# A chart is a pure function of its figures: the same figures are drawn once (pygal takes about
# as long as the rest of a report page), however often the page is shown.
@lru_cache(maxsize=64)
def _income_and_expenses(months: tuple[str, ...], income: tuple[int, ...],
                         expenses: tuple[int, ...], currency: str, title: str,
                         names: tuple[str, str], locale: str) -> str:
    pygal = _pygal()
    chart = pygal.Bar(**_options(title, currency, locale))
    chart.x_labels = list(months)
    chart.add(names[0], _units(income, currency))
    chart.add(names[1], _units(expenses, currency))
    return chart.render(is_unicode=True)


def lines_over_time(labels: Sequence[str], series: dict[str, Sequence[int]], currency: str,
                    title: str, *, locale: str = "en_IE") -> str:
    """A line per series (e.g. a fund's balance at each month end), amounts written in
    ``locale``."""
    return _lines_over_time(tuple(labels), tuple((name, tuple(values))
                                                 for name, values in series.items()),
                            currency, str(title), locale)


@lru_cache(maxsize=64)
def _lines_over_time(labels: tuple[str, ...], series: tuple[tuple[str, tuple[int, ...]], ...],
                     currency: str, title: str, locale: str) -> str:
    pygal = _pygal()
    chart = pygal.Line(**_options(title, currency, locale), x_label_rotation=0, dots_size=2)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, _units(values, currency))
    return chart.render(is_unicode=True)


def budget_used(labels: Sequence[str], shares_bp: Sequence[int], title: str | None = None) -> str:
    """A bar per budget line: the share of its plan used, titled in the reader's language."""
    return _budget_used(tuple(labels), tuple(shares_bp),
                        str(title or _("Budget used (share of plan)")), _("Used"))


@lru_cache(maxsize=64)
def _budget_used(labels: tuple[str, ...], shares_bp: tuple[int, ...], title: str,
                 name: str) -> str:
    pygal = _pygal()
    options = _options(title, "%")
    options.update(value_formatter=lambda value: f"{value:.0f} %", show_legend=False,
                   height=max(160, 28 * len(labels) + 90))
    chart = pygal.HorizontalBar(**options)
    chart.x_labels = list(labels)
    chart.add(name, [v / 100 for v in shares_bp])
    return chart.render(is_unicode=True)


def of_cash_flow(statement, *, locale: str = "en_IE") -> str:
    """The chart of a cash-flow statement (``statements.compute_cash_flow``): the one its page,
    its PDF and the annual pack show."""
    return income_and_expenses(
        statement.chart["months"], statement.chart["income"], statement.chart["expenses"],
        statement.currency, title=_("Income and expenses by month (%(currency)s)",
                                    currency=statement.currency), locale=locale)


def of_budget(statement) -> str | None:
    """The chart of a budget statement (``budgets.compute``), None when it has no line: the one
    its page, its PDF and the annual pack show."""
    if not statement.chart["labels"]:
        return None
    return budget_used(statement.chart["labels"], statement.chart["shares"])


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def data_url(svg: str) -> str:
    """The SVG as an ``<img src>``: the same bytes on the page and in the PDF (pygal's inline
    configuration script, which an image never runs, left out)."""
    return "data:image/svg+xml;base64," + base64.b64encode(_SCRIPT.sub("", svg).encode()).decode()
