"""The journal's entries written in Python (``ledger.journal_html``, issue 17) are the bytes
the template's loop wrote: descriptions, account names and fund codes with HTML's special
characters, several currencies, reversals, entries of one and of many postings, no entries,
in English and German."""
from datetime import date
from functools import partial

import pytest
from flask import render_template_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.core.forms import current_locale
from backoffice.core.i18n import _
from backoffice.core.views import id_urls
from backoffice.ledger.journal_html import entries_html
from backoffice.ledger.queries import ShownEntry, ShownPosting

#: templates/ledger/journal.html's loop before issue 17 wrote it in Python.
TEMPLATE = """<thead></thead>
  {%- set entry_url, account_url = id_urls('ledger.entry', 'entry_id'), id_urls('ledger.account', 'account_id') %}
  {% for entry in entries %}
  <tbody class="border-bottom">
    {% for posting in entry.postings %}
    <tr>
      {% if loop.first %}{% set rows = entry.postings|length %}
      <td rowspan="{{ rows }}" class="text-nowrap align-top">{{ entry.booking_date|date }}</td>
      <td rowspan="{{ rows }}" class="align-top"><a href="{{ entry_url[entry.id] }}">{{ entry.ref }}</a></td>
      <td rowspan="{{ rows }}" class="align-top">{{ entry.description }}
        {% if entry.reverses_id %}<span class="badge text-bg-warning">{{ _("reversal") }}</span>{% endif %}</td>
      {% endif %}
      <td class="small"><a class="link-secondary" href="{{ account_url[posting.account_id] }}">{{ posting.account_label }}</a></td>
      <td class="small">{{ posting.fund_code }}</td>
      <td class="num">{% if posting.amount > 0 %}{{ posting.amount|money_html(posting.currency) }}{% endif %}</td>
      <td class="num">{% if posting.amount < 0 %}{{ (-posting.amount)|money_html(posting.currency) }}{% endif %}</td>
    </tr>
    {% endfor %}
  </tbody>
  {% else %}
  <tbody><tr><td colspan="7" class="muted">{{ _("No entries match.") }}</td></tr></tbody>
  {% endfor %}
</table>"""

NOW = """<thead></thead>
  {{- entries_html(entries) }}
</table>"""

#: Text with HTML's special characters, entities, accents, line breaks.
TEXT = st.text(alphabet=st.sampled_from("ab &<>\"'#;\nüß€"), max_size=12)
CURRENCIES = ["EUR", "USD", "CHF", "JPY", "GBP"]

POSTINGS = st.builds(ShownPosting, account_id=st.integers(1, 2_147_483_647), account_code=TEXT,
                     account_name=TEXT, fund_id=st.integers(1, 99), fund_code=TEXT,
                     amount=st.integers(-10**14, 10**14).filter(bool),
                     currency=st.sampled_from(CURRENCIES))
ENTRIES = st.lists(st.builds(
    ShownEntry, id=st.integers(1, 2_147_483_647),
    booking_date=st.dates(date(1900, 1, 1), date(2199, 12, 31)), description=TEXT,
    reverses_id=st.none() | st.just(7),
    postings=st.lists(POSTINGS, max_size=6).map(tuple)), max_size=5)


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_journal_rows_are_the_templates(app, language):
    with app.test_request_context("/ledger/journal", headers={"Accept-Language": language}):
        rows = partial(entries_html, locale=current_locale(),
                       entry_url=id_urls("ledger.entry", "entry_id"),
                       account_url=id_urls("ledger.account", "account_id"),
                       reversal=_("reversal"), nothing=_("No entries match."))
        assert (_("reversal") == "reversal") == (language == "en")

        @settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(ENTRIES)
        def same(entries):
            old = render_template_string(TEMPLATE, entries=entries)
            assert render_template_string(NOW, entries=entries, entries_html=rows) == old

        same()
