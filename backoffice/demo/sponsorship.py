"""Demo data for member groups, expense claims and payouts, made through the services: group
profiles and histories, groups in every status, more organisers, claims in every state with small
PDF receipts, and one executed payout batch."""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..auth import services as auth
from ..core.actors import Actor
from ..core.mail import discard_outbox
from ..core.money import Money
from ..core.permissions import Role
from ..core.settings import Settings
from ..expenses import services as claims
from ..groups import services as groups
from ..groups.models import GroupStatus, GroupStatusChange
from ..ledger import services as ledger
from ..payouts import services as payouts
from .receipts import receipt_pdf

if TYPE_CHECKING:
    from ..auth.models import User
    from ..groups.models import MemberGroup
    from ..ledger.chart import Fund

PROFILES = {  # code: (city, country, founded, website)
    "BER": ("Berlin", "DE", date(2008, 3, 1), "https://berlin.python.example"),
    "MUC": ("München", "DE", date(2010, 9, 15), "https://pymunich.example"),
    "HH": ("Hamburg", "DE", date(2009, 1, 20), "https://hamburg.python.example"),
    "CGN": ("Köln", "DE", date(2012, 5, 4), "https://pycologne.example"),
    "KA": ("Karlsruhe", "DE", date(2014, 2, 11), ""),
    "LEJ": ("Leipzig", "DE", date(2016, 6, 30), ""),
    "PYCON": ("Berlin", "DE", date(2011, 1, 1), "https://pyconf.example"),
    "DATA": ("Frankfurt am Main", "DE", date(2017, 4, 1), "https://pydata-rheinmain.example"),
    "LADIES": ("Berlin", "DE", date(2013, 10, 1), "https://pyladies.example"),
    "DJANGO": ("Wien", "AT", date(2015, 7, 1), "https://djangogirls.example"),
}
IBANS = ["DE27100777770209299700", "DE75512108001245126199", "AT611904300234573201",
         "NL91ABNA0417164300", "DE12500105170648489890"]


def seed_sponsorship(session: Session, users: dict, groups_by_code: dict, start: date,
                     today: date, settings: Settings) -> dict:
    """Call after the ledger history, in the seed's transaction. Returns counts."""
    admin, treasurer, board = users[Role.ADMIN], users[Role.TREASURER], users[Role.BOARD]
    for code, group in groups_by_code.items():
        city, country, founded, website = PROFILES[code]
        group.city, group.country, group.founded_on, group.website = city, country, founded, website
        group.description = f"{group.name} brings Python people in {city} together."
        group.coc_contact = f"coc@{group.slug}.example"
        group.agreement_version, group.agreement_signed_on = "2023-1", start
        group.agreement_signed_by = f"Organisers of {group.name}"
        group.status, group.status_since = GroupStatus.ACTIVE, start
        session.add_all([
            GroupStatusChange(group=group, from_status=None, to_status="applicant",
                              effective_on=start - timedelta(days=30), reason="Application received"),
            GroupStatusChange(group=group, from_status="applicant", to_status="active",
                              effective_on=start, changed_by_id=board.id,
                              reason="Application approved; agreement 2023-1 signed"),
        ])
    session.flush()
    organisers = [("HH", "hanna@example.org", "Hanna Hamburg"),
                  ("PYCON", "paul@example.org", "Paul Programme"),
                  ("PYCON", "hanna@example.org", "Hanna Hamburg")]
    organisers += [(code, f"{code.lower()}.organiser@example.org", f"Organiser {group.name}")
                   for code, group in groups_by_code.items() if not group.organisers
                   and code not in ("HH", "PYCON")]
    for code, email, name in organisers:
        groups.add_organiser(session, groups_by_code[code], email=email, name=name, actor=admin,
                             settings=settings)

    # Groups in the other states.
    applicant = groups.apply(
        session, name="PyRhein-Neckar", kind="user_group", city="Mannheim", country="DE",
        needs="A bank account for sponsorship money and insurance for our meetups.",
        description="A new user group for Mannheim, Heidelberg and Ludwigshafen.",
        contacts=[("Mia Mannheim", "mia@example.org"), ("Jan Heidelberg", "jan@example.org")],
        settings=settings)
    declined = groups.apply(session, name="Crypto Coin Club", kind="meetup", city="Berlin",
                            country="DE", needs="Payment processing",
                            contacts=[("Max Coin", "max@example.org")], settings=settings)
    groups.decline(session, declined, actor=board, settings=settings,
                   reason="The group is not about Python or its community.")
    dormant = _approved_group(session, "Python Usergroup Rostock", "Rostock", admin, today,
                              settings)
    groups.change_status(session, dormant, GroupStatus.DORMANT, actor=treasurer,
                         reason="No meetups since the organisers moved away.")
    dissolved = _approved_group(session, "PyBremen", "Bremen", admin, today, settings)
    groups.change_status(session, dissolved, GroupStatus.DISSOLVED, actor=treasurer,
                         reason="The group merged into Python Usergroup Hamburg.")

    counts = _seed_claims(session, users, groups_by_code, today, settings)
    discard_outbox(session)  # the demo's people have example.org addresses: no mail
    return {"groups": len(groups_by_code) + 4, "applications": 1 if applicant.id else 0, **counts}


def _approved_group(session: Session, name: str, city: str, actor: Actor, today: date,
                    settings: Settings):
    group = groups.apply(session, name=name, kind="meetup", city=city, country="DE",
                         contacts=[(f"Organiser {city}", f"{city.lower()}@example.org")],
                         settings=settings)
    groups.approve(session, group, actor=actor, settings=settings, agreement_version="2023-1",
                   agreement_signed_on=today - timedelta(days=200),
                   agreement_signed_by=f"Organiser {city}", today=today - timedelta(days=200))
    return group


def _claim(session: Session, settings: Settings, user: User, fund: Fund, title: str, amounts: list[tuple[str, int]], account_codes: list[str], today: date, iban_index: int = 0):
    lines = [claims.LineInput(today - timedelta(days=3 + n), what,
                              ledger.account_by_code(session, code).id, Money(cents, "EUR"))
             for n, ((what, cents), code) in enumerate(zip(amounts, account_codes))]
    receipts = [claims.Upload(f"receipt-{n + 1}.pdf", receipt_pdf(
        [what, (today - timedelta(days=3 + n)).isoformat(), f"Total EUR {cents / 100:.2f}"]))
        for n, (what, cents) in enumerate(amounts)]
    return claims.submit_claim(session, claimant=user, fund=fund, title=title,
                               payee_name=user.display_name[:70], iban=IBANS[iban_index],
                               currency="EUR", lines=lines, receipts=receipts, today=today,
                               settings=settings)


def _seed_claims(session: Session, users: dict[Role, User], groups_by_code: dict[str, MemberGroup], today: date,
                 settings: Settings) -> dict:
    organiser, treasurer, board = users[Role.ORGANISER], users[Role.TREASURER], users[Role.BOARD]
    ber, muc = groups_by_code["BER"].fund, groups_by_code["MUC"].fund
    hanna = auth.find_user(session, "hanna@example.org")
    general = ledger.general_fund(session)

    paid = [
        _claim(session, settings, organiser, ber, "Pizza for the September meetup",
               [("Pizza, 30 people", 18650), ("Drinks", 4320)], ["5110", "5110"], today),
        _claim(session, settings, organiser, muc, "Stickers and name badges",
               [("Sticker print run", 12900)], ["5400"], today, 1),
        _claim(session, settings, hanna, groups_by_code["HH"].fund, "Train to the organisers' summit",
               [("Hamburg–Berlin return", 8990)], ["5200"], today, 2),
    ]
    approved = [
        _claim(session, settings, organiser, ber, "Projector adapter and clicker",
               [("USB-C to HDMI adapter", 2499), ("Presenter clicker", 3499)],
               ["6900", "6900"], today),
        _claim(session, settings, board, general, "Board meeting room rental",
               [("Room rental, 4 hours", 16000)], ["5100"], today, 3),
    ]
    submitted = [
        _claim(session, settings, organiser, muc, "Coffee and cake for the sprint",
               [("Coffee", 3600), ("Cake", 2850)], ["5110", "5110"], today, 1),
        _claim(session, settings, hanna, groups_by_code["PYCON"].fund, "Speaker hotel rooms",
               [("Hotel, 3 speakers, 2 nights", 74400)], ["5200"], today, 2),
    ]
    rejected = _claim(session, settings, organiser, ber, "Dinner with friends",
                      [("Restaurant", 21000)], ["5110"], today)
    for claim in paid + approved:
        claims.approve_claim(session, claim, actor=treasurer, today=today, settings=settings)
    # The speaker hotel is above the four-eyes limit: one approval given, one to come.
    claims.approve_claim(session, submitted[1], actor=treasurer, comment="Fine by me",
                         today=today, settings=settings)
    claims.reject_claim(session, rejected, actor=treasurer,
                        comment="A private dinner is not a group expense.", settings=settings)
    batch = payouts.create_batch(session, selected=[("expense_claim", str(c.id)) for c in paid],
                                 requested_on=today, actor=treasurer, today=today,
                                 settings=settings)
    # Executed three days ago: the bank statement shows its debit (see ``banking.demo``).
    payouts.mark_executed(session, batch, booked_on=today - timedelta(days=3), actor=treasurer, settings=settings)
    return {"claims": len(paid) + len(approved) + len(submitted) + 1, "batches": 1}
