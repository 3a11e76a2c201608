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
