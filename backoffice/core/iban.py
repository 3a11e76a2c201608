"""IBANs and BICs as people type them, checked with schwifty (structure, bank code, checksum)."""
from __future__ import annotations

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from .errors import ValidationError


def grouped(value: str | None) -> str:
    """An IBAN as people read it: groups of four (``DE89 3704 0044 0532 0130 00``)."""
    compact = "".join((value or "").split()).upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def normalise_iban(text: str, bic_text: str = "", *, sepa: bool = True) -> tuple[str, str | None]:
    """(compact IBAN, BIC) of what somebody typed.

    With ``sepa`` (money the association pays out by SEPA transfer) the IBAN must be in the SEPA
    zone. A BIC that was typed is checked and wins; otherwise it is derived from the IBAN where
    schwifty's bank registry knows it."""
    try:
        iban = IBAN(text or "")
    except SchwiftyException as error:
        raise ValidationError(f"This IBAN is not valid: {error}.", field="iban") from None
    if sepa and not iban.in_sepa_zone:
        raise ValidationError(f"{iban.formatted} is outside the SEPA zone; the association can "
                              f"only pay SEPA transfers.", field="iban")
    bic_text = (bic_text or "").replace(" ", "").upper()
    if bic_text:
        try:
            return iban.compact, str(BIC(bic_text))
        except SchwiftyException as error:
            raise ValidationError(f"This BIC is not valid: {error}.", field="bic") from None
    derived = iban.bic
    return iban.compact, str(derived) if derived else None
