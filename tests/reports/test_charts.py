"""Charts: the funds' balances over time (a page of its own and the annual pack's funds section),
and every chart the same picture with the same values on its page, in the page's PDF and in the
pack (income and expenses by month, budget used, fund balances), read back from the SVG."""
from __future__ import annotations

import base64
import io
import re
from datetime import date
from xml.etree import ElementTree

from pypdf import PdfReader
from sqlalchemy import event

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.extensions import db, settings
from backoffice.ledger import services
from backoffice.ledger.periods import FiscalYear
from backoffice.reports import budgets, fund_trend, pack, statements

from ..helpers import login
from .test_budgets import plan

SVG = "{http://www.w3.org/2000/svg}"
CHART = re.compile(r'src="(data:image/svg\+xml;base64,[^"]+)"')
YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def svg_of(url: str) -> str:
    return base64.b64decode(url.removeprefix("data:image/svg+xml;base64,")).decode()


def series(svg: str) -> dict[str, list[str]]:
    """{series' name in the legend: the values its points carry (as the chart writes them)}."""
    root = ElementTree.fromstring(svg)
    groups = list(root.iter(f"{SVG}g"))
    names = [group.find(f"{SVG}text").text for group in groups
             if group.get("class", "").startswith("legend ")]
    values: dict[int, list[str]] = {}
    for group in groups:  # a series' points are in one of its groups (bars or dots)
        serie = re.match(r"series serie-(\d+) ", group.get("class", ""))
        if serie:
            values.setdefault(int(serie.group(1)), []).extend(
                desc.text for desc in group.iter(f"{SVG}desc") if desc.get("class") == "value")
    names = names or [f"serie-{index}" for index in sorted(values)]  # a chart without legend
    assert len(names) == len(values)
    return {name: values[index] for index, name in enumerate(names)}


def same_chart(one: str, other: str) -> bool:
    """Two SVGs draw the same chart: equal but for the random id pygal gives each drawing."""
    def plain(svg: str) -> str:
        return re.sub(r"chart-[0-9a-f-]{36}", "chart", svg)
    return plain(svg_of(one)) == plain(svg_of(other))


def drawn_text(svg: str) -> set[str]:
    """The words the chart draws (title, axis labels, legend)."""
    return {word for text in re.findall(r"<text[^>]*>([^<]+)</text>", svg)
            for word in text.split()}


def euros(values) -> list[str]:
    return [f"{value // 100:,} EUR" for value in values]


def page_charts(client, path: str) -> tuple[str, list[str]]:
    answer = client.get(path)
    assert answer.status_code == 200, path
    html = answer.get_data(as_text=True)
    return html, CHART.findall(html)


def test_the_fund_balances_over_time_on_their_page_and_in_the_pack(client, session, hand_ledger):
    login(client, "board")
    html, [url] = page_charts(client, "/reports/fund-balances?year=2026")
    end = min(YEAR_END, clock.today())
    [statement] = fund_trend.compute(session, YEAR_START, end, "EUR")
    # Hand-checked: Berlin 800 until the transfer of 50 in May; the general fund 500 from
    # January, 380 after the hosting invoice in March, 330 after the transfer; Munich 300 from
    # February, 200 after the grant in April.
    months = len(fund_trend.month_ends(YEAR_START, end))
    berlin = [80000] * 4 + [85000] * (months - 4)
    general = [50000, 50000] + [38000] * 2 + [33000] * (months - 4)
    munich = [0, 30000, 30000] + [20000] * (months - 3)
    assert statement.line("Python Users Berlin").values == tuple(berlin)
    assert statement.line("General fund").values == tuple(general)
    assert statement.line("PyMunich").values == tuple(munich)
    assert statement.line("All funds").values == tuple(map(sum, zip(berlin, general, munich)))
    # The page's chart draws those funds (the largest first) with exactly those values; the
    # table beside it shows them too.
    drawn = series(svg_of(url))
    assert list(drawn) == ["Python Users Berlin", "General fund", "PyMunich"]
    assert drawn["Python Users Berlin"] == euros(berlin)
    assert drawn["General fund"] == euros(general)
    assert drawn["PyMunich"] == euros(munich)
    assert "Fund balances at month end (EUR)" in svg_of(url) and "850.00" in html
    # The year end of the pack's fund movements is the chart's last point.
    made = pack.compute(session, 2026, settings())
    funds = made.section("funds")
    assert funds.statements[0].line("Python Users Berlin").values[4] == berlin[-1]
    [pack_chart] = funds.charts
    assert same_chart(pack_chart, url)  # the very same chart as the page
    assert pack_chart in pack.render_html(made)
    text = pdf_text(pack.render(made)[0])
    assert "Fund balances at month end (EUR)" in text
    assert "Python Users Berlin" in text and "PyMunich" in text
    # In German: the page, the chart and its amounts.
    german = client.get("/reports/fund-balances?year=2026",
                        headers={"Accept-Language": "de"}).get_data(as_text=True)
    [german_url] = CHART.findall(german)
    assert "Fondsbestände im Zeitverlauf" in german
    assert "Fondsbestände am Monatsende (EUR)" in svg_of(german_url)
    # The page's PDF has the chart too.
    pdf = client.get("/reports/fund-balances.pdf?year=2026")
    assert pdf.status_code == 200
    assert "Fund balances at month end (EUR)" in pdf_text(pdf.data)


def test_many_funds_are_the_largest_few_and_the_others_summed(session, hand_ledger):
    [statement] = fund_trend.compute(session, YEAR_START, date(2026, 6, 30), "EUR", top=1)
    assert [line.label for line in statement.lines] == [
        "Python Users Berlin", "Other funds (2)", "All funds"]
    assert statement.value("Other funds (2)", 5) == 33000 + 20000
    assert list(statement.chart["series"]) == ["Python Users Berlin", "Other funds (2)"]


def test_the_cash_flow_chart_is_the_same_on_the_page_in_its_pdf_and_in_the_pack(
        client, session, hand_ledger):
    login(client, "board")
    _, [url] = page_charts(client, "/reports/cash-flow?year=2026")
    svg = svg_of(url)
    [flow] = statements.compute_cash_flow(session, YEAR_START)
    drawn = series(svg)
    assert drawn == {"Income": euros(flow.chart["income"]),
                     "Expenses": euros(flow.chart["expenses"])}
    assert drawn["Income"][:2] == ["500 EUR", "300 EUR"]  # fees in January, Munich in February
    # The PDF of the page draws the same chart: its title, months, legend and scale.
    text = pdf_text(client.get("/reports/cash-flow.pdf?year=2026").data)
    missing = {word for word in drawn_text(svg) if word not in text}
    assert not missing
    # The annual pack shows the very same chart (same bytes, so the same values).
    made = pack.compute(session, 2026, settings())
    [pack_chart] = made.section("activities").charts
    assert same_chart(pack_chart, url) and pack_chart in pack.render_html(made)


def test_the_budget_chart_is_the_same_on_the_page_in_its_pdf_and_in_the_pack(
        client, session, hand_ledger):
    b = hand_ledger
    with transaction():
        budgets.revise(session, 2026, plan(b, ("5500", b.general, "240.00"),
                                           ("5000", b.munich, "400.00"),
                                           ("4100", b.munich, "1000.00")), note="", actor=b.actor)
    login(client, "board")
    _, [url] = page_charts(client, "/reports/budget?year=2026")
    svg = svg_of(url)
    # The expenses' lines: Munich's grant 100.00 of 400.00, the hosting 120.00 of 240.00.
    report = budgets.compute(session, 2026, FiscalYear(1), clock.today(), "EUR")
    assert report.chart["shares"] == [2500, 5000]
    assert series(svg) == {"serie-0": ["25 %", "50 %"]}
    assert all(label in svg for label in report.chart["labels"])
    text = pdf_text(client.get("/reports/budget.pdf?year=2026").data)
    assert not {word for word in drawn_text(svg) if word not in text}
    made = pack.compute(session, 2026, settings())
    [pack_chart] = made.section("budget").charts
    assert same_chart(pack_chart, url) and pack_chart in pack.render_html(made)


def _statements_sent(client, url: str) -> tuple[str, list[str]]:
    sent: list[str] = []

    def seen(_conn, _cursor, statement, *_):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        answer = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert answer.status_code == 200, url
    return answer.get_data(as_text=True), sent


def test_fund_balances_read_the_cached_totals_and_show_a_bounded_number_of_lines(
        client, session, hand_ledger):
    login(client, "board")
    url = "/reports/fund-balances?year=2026"
    _, few = _statements_sent(client, url)
    assert not [s for s in few if re.search(r"\bpostings\b", s)]  # never the postings
    b = hand_ledger
    with transaction():
        funds = [services.create_fund(session, code=f"F{n:02}", name=f"Fund {n:02}",
                                      actor=b.actor) for n in range(10)]
    for n, fund in enumerate(funds):
        b.post(date(2026, 2, 1), ("1200", fund, f"{10 + n}"), ("4100", fund, f"-{10 + n}"))
    html, many = _statements_sent(client, url)
    assert len(many) == len(few)  # as many statements with 13 funds and 17 entries as with 3
    [statement] = fund_trend.compute(session, YEAR_START, min(YEAR_END, clock.today()), "EUR")
    labels = [line.label for line in statement.lines]
    assert len(labels) == fund_trend.TOP + 2 and labels[-2:] == ["Other funds (7)", "All funds"]
    assert labels[:3] == ["Python Users Berlin", "General fund", "PyMunich"]
    assert "Other funds (7)" in html
    [url_] = CHART.findall(html)
    assert len(series(svg_of(url_))) == fund_trend.TOP + 1
