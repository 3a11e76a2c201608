"""The committee's queue (issue 17: one statement reads a page of applications with how many
there are, their review figures and the viewer's part): what each row shows, the page beyond
the last, and the statements it sends."""
from __future__ import annotations

import re

from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import db
from backoffice.grants import reviewing
from backoffice.grants.models import Status

from ..helpers import login, own_queries
from .conftest import make_application


def _rows(client, path: str) -> dict[str, list[str]]:
    """{reference: [its cells' text]} of the queue's table."""
    page = client.get(path).get_data(as_text=True)
    table = page.split('data-testid="queue"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) == 11:  # not the header, nor "Nothing here."
            rows[cells[0]] = cells
    return rows


def test_the_queue_shows_each_rows_figures_and_the_viewers_part(client, grants, app):
    me, second, third = grants.committee
    scored, conflicted, assigned, voted, untouched = (
        make_application(grants, Status.IN_REVIEW) for _ in range(5))
    with transaction():
        s = db.session
        reviewing.score(s, scored, value=4, comment="", actor=me)
        reviewing.cast_vote(s, scored, vote="yes", actor=second)
        reviewing.score(s, scored, value=1, comment="", actor=third)
        reviewing.declare_conflict(s, conflicted, note="My own group", actor=me)
        reviewing.score(s, conflicted, value=5, comment="", actor=second)
        reviewing.volunteer(s, assigned, actor=me)
        reviewing.cast_vote(s, voted, vote="no", actor=me)
    login(client, Role.REVIEWER)
    rows = _rows(client, "/grants/queue")
    # reviews, score, votes, you
    assert rows[scored.reference][7:] == ["3", "2.5", "1", "scored 4"]
    assert rows[conflicted.reference][7:] == ["1", "5.0", "", "conflict"]
    assert rows[assigned.reference][7:] == ["1", "", "", "to review"]
    assert rows[voted.reference][7:] == ["1", "", "1", "voted No"]
    assert rows[untouched.reference][7:] == ["", "", "", ""]
    assert list(_rows(client, "/grants/queue?mine=y")) == [
        scored.reference, assigned.reference, voted.reference]
    login(client, Role.ADMIN)  # no part in any
    assert [cells[10] for cells in _rows(client, "/grants/queue").values()] == [""] * 5

    app.config["PAGE_SIZE"] = 2
    assert list(_rows(client, "/grants/queue?page=3")) == [untouched.reference]
    beyond = client.get("/grants/queue?page=4").get_data(as_text=True)
    assert "5 applications waiting for the committee" in beyond and "Nothing here." in beyond
    assert "5 applications." in client.get("/grants/queue?status=in_review&page=9").get_data(
        as_text=True)


def test_the_queue_reads_a_page_in_one_statement(client, grants):
    for _ in range(3):
        make_application(grants, Status.IN_REVIEW)
    login(client, Role.REVIEWER)
    # the programmes (the filter's choices) and the page with its count and figures
    assert own_queries(client, "/grants/queue") == 2
    assert own_queries(client, f"/grants/queue?q=Py&programme={grants.programme.id}") == 2
    # a page beyond the last has no row to bring the count
    assert own_queries(client, "/grants/queue?page=9") == 3


def test_wtforms_messages_come_in_the_requests_language_from_a_catalog_read_once(
        client, grants, monkeypatch):
    """A filter's refusal uses WTForms' own message in the request's language; its catalog is
    read from the file once a process per language, not in each request (issue 17)."""
    from babel.support import Translations
    read = []
    load = Translations.load.__func__
    monkeypatch.setattr(Translations, "load", classmethod(
        lambda cls, *args, **kwargs: read.append(args) or load(cls, *args, **kwargs)))
    login(client, Role.REVIEWER)
    for _ in range(3):
        for language, message in (("en", "Not a valid choice."), ("de", "Keine gültige Auswahl.")):
            page = client.get("/grants/queue?status=bogus", headers={"Accept-Language": language})
            assert page.status_code == 400 and message in page.get_data(as_text=True)
            assert client.get("/grants/queue", headers={"Accept-Language": language}).status_code == 200
    assert len([args for args in read if "wtforms" in str(args)]) <= 2
