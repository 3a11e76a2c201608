"""Helpers for the tests of member groups, funds, expense claims and payouts: real files, groups
with money, claims made through the services."""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image

from backoffice.auth.services import create_user
from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.money import Money
from backoffice.core.permissions import Role
from backoffice.demo.receipts import receipt_pdf
from backoffice.expenses import services as claims
from backoffice.extensions import settings as app_settings
from backoffice.groups import services as groups
from backoffice.ledger import services as ledger
from backoffice.ledger.services import Line

from .helpers import PASSWORD, csrf_token

IBAN_DE = "DE89 3704 0044 0532 0130 00"  # Commerzbank Köln: the BIC can be derived
IBAN_NL = "NL91ABNA0417164300"


def client_for(app, email: str | None = None, password: str = PASSWORD):
    """A new client, logged in as ``email`` (anonymous without one)."""
    client = app.test_client()
    if email:
        response = client.post("/login", data={"email": email, "password": password,
                                               "csrf_token": csrf_token(client, "/login")})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def pdf_bytes(text: str = "Receipt") -> bytes:
    return receipt_pdf([text, "Total EUR 12.00"])


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 30, 200)).save(out, "JPEG")
    return out.getvalue()


def eur(text: str) -> Money:
    return Money.parse(text, "EUR")


def active_group(session, name: str, *, organiser_email: str | None = None, actor=None,
                 money: str | None = None):
    """An approved group (with its fund) organised by a new user, optionally with money in it."""
    with transaction():
        group = groups.apply(session, name=name, kind="meetup", city="Berlin", country="DE",
                             contacts=[(f"Organiser of {name}", organiser_email
                                        or f"{name.lower().replace(' ', '.')}@org.example")],
                             actor=actor, settings=app_settings())
        groups.approve(session, group, actor=actor, agreement_version="2024-1",
                       agreement_signed_on=clock.today() - timedelta(days=1),
                       agreement_signed_by="Board chair", settings=app_settings())
        organiser = group.organisers[0]
        auth_password(session, organiser)
        if money:
            give(session, group.fund, eur(money))
    return group


def auth_password(session, user) -> None:
    from backoffice.auth.services import hash_password

    user.password_hash = hash_password(PASSWORD, app_settings().security)


def give(session, fund, amount: Money, day: date | None = None):
    """Money into a fund from the bank (an opening balance, not income: no admin fee)."""
    return ledger.post_entry(
        session, booking_date=day or clock.today(), description=f"Opening balance {fund.code}",
        actor=None, lines=[Line(ledger.account_by_role(session, "bank"), fund, amount),
                           Line(ledger.account_by_role(session, "net_assets"), fund, -amount)])


def category(session, code: str = "5110"):
    return ledger.account_by_code(session, code)


def submit(session, user, fund, amounts=("12.00",), *, title="Pizza for the meetup",
           iban=IBAN_DE, receipts=None):
    """A submitted claim (committed)."""
    with transaction():
        return claims.submit_claim(
            session, claimant=user, fund=fund, title=title, payee_name=user.display_name[:70],
            iban=iban, currency="EUR",
            lines=[claims.LineInput(clock.today(), f"Item {n}", category(session).id, eur(a))
                   for n, a in enumerate(amounts, 1)],
            receipts=receipts or [claims.Upload("receipt.pdf", pdf_bytes())], settings=app_settings())


def second_treasurer(session):
    with transaction():
        return create_user(session, "treasurer2@test.example", settings=app_settings(), roles=[Role.TREASURER],
                           password=PASSWORD, name="Second Treasurer")


def approved(session, user, fund, approver, amounts=("12.00",)):
    claim = submit(session, user, fund, amounts)
    with transaction():
        claims.approve_claim(session, claim, actor=approver, settings=app_settings())
    return claim

