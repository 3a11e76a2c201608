"""German and English (docs/I18N.md): every finished package's catalog is complete, its templates
hold no English outside the translation marks, and the language and time zone are chosen as
documented."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.dates import format_date
from flask import render_template_string

from backoffice.auth.models import User
from backoffice.core import catalogs
from backoffice.core.template_text import untranslated, wrap
from backoffice.extensions import db

from .helpers import csrf_token, email_for, login

#: The packages translated so far; the goal is every package in ``catalogs.PACKAGES``.
FINISHED = ["core", "auth", "setup", "groups", "funds", "ledger", "jobs", "payouts", "expenses",
            "reports", "invoicing", "board", "donations", "payments", "banking",
            "grants"]

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _templates(package: catalogs.Package) -> list[Path]:
    found = []
    for path in package.templates:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".html", ".txt"))
    return found


@pytest.mark.parametrize("name", FINISHED)
def test_every_message_of_a_finished_package_has_its_german(name):
    package = catalogs.PACKAGES[name]
    catalog = catalogs.read(package.catalog_path("de"), "de")
    problems = []
    for message in catalogs.extract(package):
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        strings = () if entry is None else (
            entry.string if isinstance(entry.string, tuple) else (entry.string,))
        where = ", ".join(f"{file}:{line}" for file, line in message.locations[:2])
        if entry is None or not all(strings):
            problems.append(f"no German for {message.id!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy German for {message.id!r} ({where})")
        else:
            wanted = set(PLACEHOLDER.findall(str(message.id)))
            if any(set(PLACEHOLDER.findall(text)) != wanted for text in strings):
                problems.append(f"placeholders differ for {message.id!r}: {strings}")
    assert not problems, (f"{len(problems)} messages of {name} lack German: run `make "
                          f"translations`, translate in {package.catalog_path('de')}\n"
                          + "\n".join(problems[:40]))


@pytest.mark.parametrize("name", FINISHED)
def test_a_finished_package_shows_no_english_outside_translation_marks(name):
    left = [f"{path.relative_to(catalogs.TEMPLATES)}:{item.line}: {item.text}"
            for path in _templates(catalogs.PACKAGES[name])
            for item in untranslated(path.read_text(), text_template=path.suffix == ".txt")]
    assert not left, "English outside _() or {% trans %}:\n" + "\n".join(left[:40])


def test_the_heuristic_finds_text_attributes_and_literals_but_not_marked_text():
    source = ('{% block title %}Journal{% endblock %}<p title="Open it">{{ _("Saved") }} 42 €</p>'
              '{% trans n=3 %}{{ n }} claims{% endtrans %}{{ field(f, label="Your name") }}'
              '<a href="x">IBAN</a><script>var a = "not text";</script>{{ link("Stripe") }}')
    assert [item.text for item in untranslated(source)] == ["Your name", "Open it", "Journal"]


def test_a_template_in_one_language_says_so_in_its_first_line_and_only_there():
    assert untranslated("{#- one language: de (the model wording) -#}\n<p>Spende</p>") == []
    assert [item.text for item in untranslated("<p>Spende</p>{#- one language: de -#}")] \
        == ["Spende"]


def test_wrap_marks_plain_text_and_text_with_values():
    marked = wrap('<h1>Claims of {{ group.name }}</h1>\n<p title="Open it">Nothing yet.</p>')
    assert marked == ('<h1>{% trans name=group.name %}Claims of {{ name }}{% endtrans %}</h1>\n'
                      '<p title="{{ _("Open it") }}">{{ _("Nothing yet.") }}</p>')
    assert untranslated(marked) == []


def test_a_visitor_gets_the_browsers_language_and_the_default_without_one(client):
    assert 'lang="de"' in client.get("/login", headers=GERMAN).text
    page = client.get("/login").text
    assert 'lang="en"' in page and "Log in" in page


def test_the_german_catalog_is_what_a_german_visitor_reads(client):
    page = client.get("/login", headers=GERMAN).text
    assert "Zum Inhalt springen" in page and "Skip to the content" not in page


def test_a_changed_catalog_is_compiled_again_within_a_second(monkeypatch):
    """A process looks at the catalogs' modification times once a second at most (not on every
    request) and compiles them again when one changed."""
    monkeypatch.setattr(catalogs, "_checked", {})
    first = catalogs.translations("de_DE")
    assert catalogs.translations("de_DE") is first
    monkeypatch.setattr(catalogs, "_modified", lambda path: 7)  # every catalog changed
    assert catalogs.translations("de_DE") is first  # not looked at again yet
    later = catalogs.monotonic() + catalogs.CHECK_EVERY
    monkeypatch.setattr(catalogs, "monotonic", lambda: later)
    again = catalogs.translations("de_DE")
    assert again is not first and again.gettext("Ledger") == first.gettext("Ledger") == "Buchhaltung"


def test_the_switch_keeps_the_choice_over_the_browsers_and_needs_its_token(client):
    assert client.post("/language", data={"locale": "de_DE", "next": "/login"}).status_code == 400
    token = csrf_token(client)
    answer = client.post("/language", data={"locale": "de_DE", "next": "/login",
                                            "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"] == "/login"
    assert 'lang="de"' in client.get("/login", headers={"Accept-Language": "en"}).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_the_switch_goes_back_only_to_this_site(client, target):
    answer = client.post("/language", data={"locale": "de_DE", "next": target,
                                            "csrf_token": csrf_token(client)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"


def test_the_switch_refuses_a_language_not_offered(client):
    answer = client.post("/language", data={"locale": "fr_FR", "next": "/login",
                                            "csrf_token": csrf_token(client)})
    assert answer.status_code == 400


def test_a_users_own_language_wins_and_the_switch_saves_it(client, users):
    db.session.execute(db.update(User).where(User.email == email_for("treasurer"))
                       .values(locale="en_IE"))
    db.session.commit()
    login(client, "treasurer")
    assert 'lang="en"' in client.get("/", headers=GERMAN).text  # the user's, not the browser's
    token = csrf_token(client, "/")
    client.post("/language", data={"locale": "de_DE", "next": "/", "csrf_token": token})
    db.session.expire_all()
    assert db.session.scalar(db.select(User.locale).where(User.email == email_for("treasurer"))) \
        == "de_DE"
    assert 'lang="de"' in client.get("/", headers={"Accept-Language": "en"}).text


@pytest.mark.parametrize(("accept", "shown"), [("en", "2026-07-01 14:30"),
                                               ("de", "01.07.2026 14:30")])
def test_times_are_shown_in_the_associations_time_zone(app, accept, shown):
    moment = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)  # summer: Berlin is UTC+2
    with app.test_request_context("/", headers={"Accept-Language": accept}):
        assert render_template_string("{{ moment|date }}", moment=moment) == shown


@pytest.mark.parametrize(("accept", "pattern"), [("en", "yyyy-MM-dd"), ("de", "dd.MM.yyyy")])
def test_days_are_written_as_babel_writes_their_pattern(app, accept, pattern):
    """The ``date`` filter writes a day without Babel (it cost most of a journal row): the same
    text as Babel's pattern, early and late years too."""
    days = [date(1, 1, 1), date(999, 12, 31), date(2026, 3, 9), date(9999, 12, 31)]
    with app.test_request_context("/", headers={"Accept-Language": accept}):
        assert [render_template_string("{{ day|date }}", day=day) for day in days] == \
            [format_date(day, pattern, locale=accept) for day in days]


def test_another_time_zone_from_the_settings(app):
    app.config["TIMEZONE"] = "America/New_York"
    with app.test_request_context("/"):
        assert render_template_string("{{ moment|date }}",
                                      moment=datetime(2026, 1, 5, 12, 0, tzinfo=UTC)) \
            == "2026-01-05 07:00"


def test_a_time_zone_that_does_not_exist_stops_the_start(app):
    from backoffice.core.settings import SettingsError, build
    with pytest.raises(SettingsError, match="TIMEZONE"):
        build({**app.config, "TIMEZONE": "Mars/Olympus"})


def test_a_literal_percent_sign_shows_once_with_or_without_placeholders(client, users):
    """Marked texts write a literal % as %% (Jinja's _() reads them so); Python's do too."""
    from backoffice.core.i18n import _, _l, source

    assert _("Admin fee (%%)") == "Admin fee (%)"
    assert _("%(rate)s %% fee", rate=7) == "7 % fee"
    assert str(_l("Admin fee (%%)")) == "Admin fee (%)" == source(_l("Admin fee (%%)"))
    assert _("No placeholder, no percent") == "No placeholder, no percent"
    login(client, "admin")
    page = client.get("/admin/settings", headers=GERMAN).get_data(as_text=True)
    assert "Gruppe (%)" in page and "(%%)" not in page
    assert "<option selected value=\"1\">Januar</option>" in page and "January" not in page


def test_a_text_has_one_german_across_the_catalogs():
    """The packages' catalogs are read as one: a text translated one way in one package and
    another way in the next would show whichever was read last. Texts that mean different
    things in different places take a context (``pgettext("menu", "Expenses")``)."""
    german: dict[tuple, dict] = {}
    for name, package in catalogs.PACKAGES.items():
        path = package.catalog_path("de")
        if not path.exists():
            continue
        for entry in catalogs.read(path, "de"):
            if entry.id and entry.string and not entry.fuzzy:
                key = (entry.context, entry.id if isinstance(entry.id, str) else tuple(entry.id))
                text = entry.string if isinstance(entry.string, str) else tuple(entry.string)
                german.setdefault(key, {}).setdefault(text, []).append(name)
    differing = {key: found for key, found in german.items() if len(found) > 1}
    assert not differing, "\n".join(f"{key}: {found}" for key, found in differing.items())


def test_every_kind_of_waiting_work_has_its_german(app):
    """The start page lists the work waiting for a user by the labels the packages give
    (``waiting_work``); each is marked (``N_``) and translated."""
    from backoffice.core import tasks
    from backoffice.core.i18n import _
    from backoffice.extensions import settings

    with app.test_request_context("/", headers=GERMAN):
        labels = [kind.label for kind in tasks.kinds(settings())]
        assert len(labels) >= 15
        assert [label for label in labels if _(label) == label] == []
        assert _("Bank lines to reconcile") == "Abzugleichende Bankumsätze"
