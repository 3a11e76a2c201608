"""The sponsor's mails about an invoice are templates (``templates/invoicing/emails``) rendered
from the computed document, without an app: what the mail says is what the PDF says."""
from __future__ import annotations

import pytest
from flask import has_app_context

from backoffice.invoicing import documents, notify
from backoffice.invoicing.document import Buyer

from .test_document import hand_built


def test_the_invoice_mail_in_english_word_for_word():
    assert not has_app_context()
    subject, body = notify.text(hand_built(), "invoice", amount=565848)
    assert subject == "Invoice 2026-00042 from Python Community Association e.V."
    assert body == (
        "Dear Beispiel Software GmbH,\n\nplease find attached our invoice 2026-00042 of "
        "4 May 2026 for €5,658.48, due on 3 Jun 2026.\n\nYou can pay by bank transfer "
        "(reference RF18202600042) or online by card or SEPA Direct Debit:\n"
        "https://backoffice.example/pay/abc\n\nThank you for your support!\n\n"
        "Python Community Association e.V.\n")


def test_the_second_reminder_in_german_word_for_word():
    subject, body = notify.text(hand_built(language="de"), "reminder_2", amount=1999)
    assert subject == "Zweite Mahnung: Rechnung 2026-00042"
    assert body == (
        "Guten Tag Beispiel Software GmbH,\n\nfür unsere Rechnung 2026-00042 vom 04.05.2026, "
        "fällig am 03.06.2026, sind 19,99\xa0€ weiterhin offen. Bitte zahlen Sie innerhalb der "
        "nächsten 10 Tage:\nhttps://backoffice.example/pay/abc\n\n"
        "Bitte melden Sie sich, falls an der Rechnung etwas unklar ist.\n\n"
        "Python Community Association e.V.\n")


@pytest.mark.parametrize("language", sorted(documents.LABELS))
@pytest.mark.parametrize("kind", notify.KINDS)
def test_every_mail_exists_in_every_invoice_language(kind, language):
    doc = hand_built(language=language, buyer=Buyer("Ada <Lovelace> & {Co}", "Hauptstraße 5",
                                                     "50667", "Köln", "DE"))
    subject, body = notify.text(doc, kind, amount=4998)
    assert doc.number in subject and "\n" not in subject
    # The confirmation names no amount: the invoice is paid in full.
    amount = [] if kind == "paid" else [documents.money_text(4998, "EUR", language)]
    # Plain text: the buyer's name as written (nothing escaped, nothing read as a placeholder).
    for shown in ("Ada <Lovelace> & {Co}", *amount, doc.pay_url, doc.seller.name):
        assert shown in body, (kind, language, shown)
    assert body.endswith(f"\n\n{doc.seller.name}\n")


def test_an_unknown_mail_is_refused():
    with pytest.raises(ValueError, match="no invoice mail 'reminder_3'"):
        notify.text(hand_built(), "reminder_3", amount=1)
