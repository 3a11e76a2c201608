"""core.i18n.using: a job's texts in the language of the reader it writes for, whatever the
language of the moment, and only meanwhile."""
from __future__ import annotations

import threading

from backoffice.core import catalogs, i18n
from backoffice.core.i18n import _, _l, ngettext, pgettext

GERMAN = catalogs.translations("de_DE")


def test_texts_follow_the_chosen_language_meanwhile_and_only_meanwhile():
    label = _l("Balance sheet")
    assert _("Balance sheet") == "Balance sheet" and str(label) == "Balance sheet"
    with i18n.using(GERMAN):
        assert _("Balance sheet") == "Bilanz" and str(label) == "Bilanz"
        assert pgettext("statement", "Expenses") == "Aufwendungen"
        assert ngettext("%(num)s account mapped anew.", "%(num)s accounts mapped anew.", 2) \
            == "2 Konten neu zugeordnet."
        with i18n.using(catalogs.translations("en_IE")):  # nested: the inner language wins
            assert _("Balance sheet") == "Balance sheet"
        assert _("Balance sheet") == "Bilanz"
    assert _("Balance sheet") == "Balance sheet" and str(label) == "Balance sheet"


def test_the_chosen_language_stays_in_its_own_thread():
    seen = []
    with i18n.using(GERMAN):
        worker = threading.Thread(target=lambda: seen.append(_("Balance sheet")))
        worker.start()
        worker.join()
        assert _("Balance sheet") == "Bilanz"
    assert seen == ["Balance sheet"]


def test_amounts_in_a_marked_text_are_written_the_readers_way():
    """A service passes ``Money``; the reader's locale writes it (the audit's English stays
    locale-free)."""
    from backoffice.core.money import Money

    amount = Money(123450, "EUR")
    with i18n.using(GERMAN, "de_DE"):
        assert _("Fund %(fund)s has only %(amount)s available.", fund="F", amount=amount) \
            == "Im Fonds F sind nur 1.234,50\xa0€ verfügbar."
        assert ngettext("%(num)s item, %(amount)s", "%(num)s items, %(amount)s", 2,
                        amount=amount).endswith("1.234,50\xa0€")
        marked = _l("a write-off for %(item)s of %(amount)s", item="x", amount=amount)
        assert i18n.source(marked) == "a write-off for x of 1234.50 EUR"
    with i18n.using(catalogs.translations("en_IE"), "en_IE"):
        assert _("%(amount)s", amount=amount) == "€1,234.50"
    assert _("%(amount)s", amount=Money(5, "JPY")) == "¥5"  # no reader: English
