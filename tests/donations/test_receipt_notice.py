"""The exemption notice allows receipts for 5 years (a § 60a notice: 3), counted to the day."""
from __future__ import annotations

from datetime import date

import pytest

from backoffice.core.settings import ExemptionNotice, SettingsError, defaults
from backoffice.donations.receipts.notice import ReceiptRefused, check_notice, last_day


def notice(kind=ExemptionNotice.EXEMPTION, day=date(2021, 6, 30)):
    return ExemptionNotice(kind, "Finanzamt X", "1/2/3", day, "2018 bis 2020", ("der Bildung",))


@pytest.mark.parametrize(("kind", "years"), [(ExemptionNotice.EXEMPTION, 5),
                                             (ExemptionNotice.SECTION_60A, 3)])
def test_a_notice_allows_receipts_up_to_its_anniversary_and_not_a_day_longer(kind, years):
    given = notice(kind)
    assert check_notice(given, date(2021 + years, 6, 30)) is given
    with pytest.raises(ReceiptRefused, match=f"allowed receipts until 30.06.{2021 + years}.*"
                                             f"{years} years, § 63 Abs. 5 AO.*too old"):
        check_notice(given, date(2021 + years, 7, 1))


def test_a_notice_of_29_february_runs_to_28_february():
    assert last_day(notice(day=date(2024, 2, 29))) == date(2029, 2, 28)
    assert last_day(notice(ExemptionNotice.SECTION_60A, date(2024, 2, 29))) == date(2027, 2, 28)


def test_no_notice_or_one_dated_after_the_receipt_is_refused_with_the_reason():
    with pytest.raises(ReceiptRefused, match="No tax-exemption notice"):
        check_notice(None, date(2026, 1, 1))
    with pytest.raises(ReceiptRefused, match="after the receipt's date"):
        check_notice(notice(), date(2021, 6, 29))


def test_the_notice_is_configured_with_its_kind_date_office_and_purposes():
    assert defaults(RECEIPTS_NOTICE=None).receipts.notice is None
    with pytest.raises(SettingsError, match="kind"):
        defaults(RECEIPTS_NOTICE={"kind": "forever"})
    with pytest.raises(SettingsError, match="date"):
        defaults(RECEIPTS_NOTICE={"kind": "60a", "date": "last spring"})
    with pytest.raises(SettingsError, match="period"):
        defaults(RECEIPTS_NOTICE={"kind": "exemption", "date": "2025-01-01", "tax_office": "F",
                                  "tax_number": "1", "purposes": ["der Bildung"]})
    with pytest.raises(SettingsError, match="date lies in the future"):
        defaults(RECEIPTS_NOTICE={"kind": "60a", "date": "2999-01-01", "tax_office": "F",
                                  "tax_number": "1", "purposes": ["der Bildung"]})
    with pytest.raises(SettingsError, match="tax_number, the tax number on the notice, is missing"):
        defaults(RECEIPTS_NOTICE={"kind": "60a", "date": "2025-01-01", "tax_office": "F",
                                  "purposes": ["der Bildung"]})
    with pytest.raises(SettingsError, match="RECEIPTS_STYLE"):
        defaults(RECEIPTS_STYLE="fr")
