"""The Reports menu: one index of every report, shown by permission; nothing imports reports."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from backoffice.core.permissions import Permission, Role, permissions_of
from backoffice.reports import catalogue

from ..helpers import login

ROOT = Path(__file__).resolve().parents[2]


def test_reports_are_read_by_nothing_but_the_web_layer() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in contracts["contracts"] if c["id"] == "reports-read-only")
    assert contract["protected_modules"] == ["backoffice.reports"]
    assert set(contract["allowed_importers"]) <= {"backoffice.reports", "backoffice.web",
                                                  "backoffice.cli", "backoffice.models"}
    assert contract["ignore_imports"] == []
    layers = next(c for c in contracts["contracts"] if c["id"] == "layers")["layers"]
    domains = next(i for i, layer in enumerate(layers) if "ledger" == layer.strip())
    assert any("reports" in layer.split(" : ") for layer in layers[:domains - 1])


def test_board_treasurer_and_admin_see_every_report_organisers_and_reviewers_none() -> None:
    for role in (Role.BOARD, Role.TREASURER, Role.ADMIN):
        assert Permission.REPORTS_VIEW in permissions_of([role])
    for role in (Role.ORGANISER, Role.REVIEWER):
        assert Permission.REPORTS_VIEW not in permissions_of([role])


def test_every_catalogued_report_is_a_page_of_the_app(app) -> None:
    for report in catalogue.REPORTS:
        assert report.endpoint in app.view_functions, report
        assert report.section in catalogue.SECTIONS


@pytest.mark.parametrize("role", [Role.BOARD, Role.TREASURER])
def test_the_index_lists_every_report_for_the_board_and_the_treasurer(client, users, role) -> None:
    login(client, role)
    html = client.get("/reports").get_data(as_text=True)
    for report in catalogue.REPORTS:
        assert str(report.title) in html


def test_an_organiser_without_a_group_is_told_there_is_nothing(client, users) -> None:
    login(client, Role.ORGANISER)
    response = client.get("/reports")
    assert response.status_code == 200
    assert "There are no reports for your account" in response.get_data(as_text=True)
