"""The SEPA credit-transfer file (pain.001) of a payout batch, and the debtor who pays it.

The XML is written by ``sepaxml`` with our identifiers and validated against the pain.001 schema
that ``sepaxml`` ships (compiled by libxml2)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sepaxml
from lxml import etree
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer

from ..core.errors import ValidationError
from ..core.i18n import _
from ..core.settings import Settings
from .models import PayoutBatch

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from .models import PayoutItem

DEMO_DEBTOR_IBAN = "DE89370400440532013000"  # config.SEPA_DEBTOR_IBAN, the demo bank account


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str | None


def debtor(settings: Settings) -> Debtor:
    """The association's account that pays (``SEPA_DEBTOR_*``); refused while it is not a valid
    IBAN, or the demo account in production."""
    banking = settings.banking
    try:
        iban = IBAN(banking.sepa_debtor_iban)
    except SchwiftyException:
        raise ValidationError(_("SEPA_DEBTOR_IBAN is not set to a valid IBAN: configure the "
                              "association's bank account first.")) from None
    if iban.compact == DEMO_DEBTOR_IBAN and settings.production:
        raise ValidationError(_("SEPA_DEBTOR_IBAN is still the demo account: configure the "
                              "association's bank account first."))
    bic = banking.sepa_debtor_bic or (str(iban.bic) if iban.bic else None)
    return Debtor(banking.sepa_debtor_name[:70], iban.compact, bic)


class _Transfer(SepaTransfer):
    """sepaxml's transfer with our identifiers: MsgId = the batch's message id, PmtInfId =
    message id + "-1" (sepaxml would pick random ones)."""

    def __init__(self, config: dict[str, Any], message_id: str, schema: str):
        self._message_id = message_id
        super().__init__(config, schema=schema, clean=True)

    def _create_header(self):
        self.msg_id = self._message_id
        super()._create_header()

    def _finalize_batch(self):
        super()._finalize_batch()
        for number, node in enumerate(self._xml.iter("PmtInfId"), 1):
            node.text = f"{self._message_id}-{number}"


@lru_cache(maxsize=4)
def _schema(version: str):
    """The pain.001 XSD shipped with sepaxml, compiled by libxml2 (sepaxml's own check, through
    the pure-Python xmlschema, takes seconds for a thousand transfers)."""
    path = Path(sepaxml.__file__).parent / "schemas" / f"{version}.xsd"
    if not path.exists():
        raise ValidationError(_("Unknown SEPA schema %(version)s.", version=version))
    return etree.XMLSchema(etree.parse(str(path)))


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def validate_xml(xml: bytes, version: str) -> None:
    """Raise ``ValidationError`` with the schema's complaint when the file is not valid."""
    schema = _schema(version)
    try:
        document = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ValidationError(_("The SEPA file is not well-formed XML: %(error)s.", error=error)) from None
    if not schema.validate(document):
        error = schema.error_log.last_error
        raise ValidationError(_("The SEPA file does not validate against %(version)s: %(message)s (line %(line)s).", version=version, message=error.message, line=error.line))


def sepa_xml(batch: PayoutBatch, items: Iterable[PayoutItem]) -> bytes:
    """The pain.001 credit-transfer file for the batch, validated against its schema.

    ``items`` have the attributes of ``PayoutItem`` (payee_name, iban, bic, amount, currency,
    remittance, end_to_end_id)."""
    config = {"name": batch.debtor_name, "IBAN": batch.debtor_iban, "batch": True,
              "currency": batch.currency}
    if batch.debtor_bic:
        config["BIC"] = batch.debtor_bic
    transfer = _Transfer(config, batch.message_id, batch.pain_version)
    for item in items:
        payment = {"name": item.payee_name, "IBAN": item.iban, "amount": item.amount,
                   "currency": item.currency, "execution_date": batch.requested_on,
                   "description": item.remittance, "endtoend_id": item.end_to_end_id}
        if item.bic:
            payment["BIC"] = item.bic
        transfer.add_payment(payment)
    xml = transfer.export(validate=False)
    validate_xml(xml, batch.pain_version)
    return xml


_SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


def sepa_id(text: str) -> str:
    """``text`` in the characters and length a SEPA identifier allows."""
    return _SEPA_TEXT.sub("", text)[:35]
