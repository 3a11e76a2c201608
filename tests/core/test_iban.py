import pytest

from backoffice.core.errors import ValidationError
from backoffice.core.iban import normalise_iban

from ..sponsorship import IBAN_DE, IBAN_NL


def test_iban_is_compacted_and_the_bic_derived():
    assert normalise_iban(IBAN_DE) == ("DE89370400440532013000", "COBADEFFXXX")
    assert normalise_iban("de89 3704 0044 0532 0130 00")[0] == "DE89370400440532013000"
    assert normalise_iban(IBAN_NL.lower()) == ("NL91ABNA0417164300", "ABNANL2A")


def test_a_typed_bic_is_checked_and_wins():
    assert normalise_iban("CH9300762011623852957", "ubswchzh80a") == (
        "CH9300762011623852957", "UBSWCHZH80A")
    with pytest.raises(ValidationError, match="BIC") as error:
        normalise_iban(IBAN_DE, "NOTABIC")
    assert error.value.field == "bic"


@pytest.mark.parametrize("text", ["DE89 3704 0044 0532 0130 01", "hello", "DE89", ""])
def test_wrong_ibans_are_refused_on_the_iban_field(text):
    with pytest.raises(ValidationError, match="not valid") as error:
        normalise_iban(text)
    assert error.value.field == "iban"


def test_sepa_zone_only_where_the_association_pays():
    brazil = "BR1800360305000010009795493C1"
    with pytest.raises(ValidationError, match="outside the SEPA zone"):
        normalise_iban(brazil)
    assert normalise_iban(brazil, sepa=False)[0] == brazil
