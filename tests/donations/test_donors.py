"""One donor however they gave: matched by email and IBAN (never by name alone), merged with
everything following and the merge in the audit log."""
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.core.audit import AuditEvent
from backoffice.core.db import transaction
from backoffice.core.errors import ValidationError
from backoffice.core.money import Money
from backoffice.core.signals import donors_merged
from backoffice.donations import donors, manual
from backoffice.donations.models import Channel, Donation, DonorIban


def details(name="Anna Müller", email="", **more):
    return donors.DonorDetails(name=name, email=email, **more)


def test_same_email_in_another_case_is_the_same_donor(session, donor):
    with transaction():
        again = donors.find_or_create(session, details("A. Müller", " anna@EXAMPLE.org "))
    assert again.id == donor.id and donor.email == "anna@example.org"


def test_an_iban_seen_before_names_the_donor(session, donor):
    with transaction():
        again = donors.find_or_create(session, details("MUELLER ANNA"),
                                      iban="de89370400440532013000")
    assert again.id == donor.id


def test_a_name_alone_never_matches(session, donor):
    with transaction():
        other = donors.find_or_create(session, details("Anna Müller", "anna@other.example"))
    assert other.id != donor.id
    assert [d.id for d in donors.by_name(session, "anna  müller")] == [donor.id, other.id]


def test_an_address_given_later_completes_the_donor(session):
    with transaction():
        first = donors.find_or_create(session, details(email="x@example.org"))
        assert not first.has_postal_address
        donors.find_or_create(session, details(email="x@example.org", street="Weg 2",
                                               postcode="50667", city="Köln", country="de"))
    assert first.has_postal_address and first.country == "DE"


@pytest.mark.parametrize("bad", [dict(name=" "), dict(email="not-an-address"),
                                 dict(country="Germany")])
def test_bad_details_are_refused(session, bad):
    with pytest.raises(ValidationError), transaction():
        donors.find_or_create(session, donors.DonorDetails(**{"name": "X", **bad}))


def test_merge_moves_donations_and_ibans_and_is_audited(session, fund, donor):
    received = []

    def receiver(sender, **kwargs):
        received.append((sender.id, kwargs["merged"].id))

    donors_merged.connect(receiver)
    try:
        with transaction():
            other = donors.find_or_create(session, details("Anna M.", "anna@work.example"),
                                          iban="FR1420041010050500013M02606")
            manual.record_by_hand(session, donor=other, fund=fund, amount=Money(500, "EUR"),
                                  day=date(2026, 1, 5), channel=Channel.CASH, actor=None)
        with transaction():
            donors.merge(session, donor, other, actor=None)
    finally:
        donors_merged.disconnect(receiver)
    assert received == [(donor.id, other.id)]
    assert {d.donor_id for d in session.scalars(select(Donation))} == {donor.id}
    assert {i.iban for i in session.scalars(select(DonorIban).where(
        DonorIban.donor_id == donor.id))} == {"DE89370400440532013000", "FR1420041010050500013M02606"}
    assert other.merged_into_id == donor.id
    # Found again by the merged donor's email and IBAN: the surviving donor.
    assert donors.by_email(session, "anna@work.example").id == donor.id
    assert donors.by_iban(session, "FR1420041010050500013M02606").id == donor.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "donor.merged"))
    assert "merged into" in event.summary
    with pytest.raises(ValidationError), transaction():
        donors.merge(session, donor, other, actor=None)
    with pytest.raises(ValidationError), transaction():
        donors.merge(session, donor, donor, actor=None)


def test_an_email_of_another_donor_is_refused_on_edit(session, donor):
    with transaction():
        other = donors.find_or_create(session, details("B", "b@example.org"))
    with pytest.raises(ValidationError, match="merge"), transaction():
        donors.update_donor(session, other, details("B", "anna@example.org"), notes="",
                            actor=None)
