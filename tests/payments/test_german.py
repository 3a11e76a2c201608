"""The public pay page in German: a German visitor reads it in German (money and dates too),
a German sponsor's link opens in German, and the EN/DE switch on it wins over both."""
from __future__ import annotations

from backoffice.extensions import settings as app_settings
from backoffice.invoicing import services as invoicing

from ..helpers import csrf_token
from ..invoicing import factories

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _pay_page(sponsor_key: str) -> str:
    invoice = factories.issued(factories.sponsor(sponsor_key))
    return f"/pay/{invoicing.pay_token(invoice, settings=app_settings())}"


def test_a_german_visitor_reads_the_pay_page_in_german(client, stripe):
    page = _pay_page("NL")  # an English sponsor's invoice
    german = client.get(page, headers=GERMAN).text
    assert '<html lang="de">' in german and "Offener Betrag" in german
    assert "Online bezahlen" in german and "oder per Überweisung" in german
    assert "Verwendungszweck" in german and "Sichere Zahlungsseite" in german
    assert ">Offen</span>" in german and "5.000,00\xa0€" in german
    assert "Amount due" not in german and "Pay online" not in german
    assert 'action="/language"' in german and 'value="en_IE"' in german  # the switch
    english = client.get(page).text
    assert '<html lang="en">' in english and "Amount due" in english and "€5,000.00" in english


def test_a_german_sponsors_link_opens_in_german_unless_the_browser_asks_for_english(client,
                                                                                     stripe):
    page = _pay_page("DE")
    assert "Offener Betrag" in client.get(page).text  # no browser's language: the invoice's
    assert "Amount due" in client.get(page, headers=ENGLISH).text


def test_the_switch_on_the_pay_page_wins_over_the_invoice_and_the_browser(client, stripe):
    page = _pay_page("DE")
    answer = client.post("/language", data={"locale": "en_IE", "next": page,
                                            "csrf_token": csrf_token(client, page)})
    assert answer.status_code == 303 and answer.headers["Location"] == page
    chosen = client.get(page, headers=GERMAN).text
    assert "Amount due" in chosen and "Offener Betrag" not in chosen
    assert 'btn-light" type="submit" name="locale" value="en_IE"' in chosen  # marked current
