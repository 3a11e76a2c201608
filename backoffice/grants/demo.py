"""Demo grants: two programmes and applications in every state, made through the services."""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from ..core.money import Money
from ..core.permissions import Role
from ..core.settings import Settings
from ..ledger import services as ledger
from ..ledger.balances import fund_balance
from . import applying, deciding, paying, programmes, reporting, reviewing
from .access import Applicant
from .models import QuestionKind, Status
from .payouts import pay_at_once

if TYPE_CHECKING:
    from ..auth.models import User
    from ..groups.models import MemberGroup
    from .models import Application, Programme

IBAN = "DE02100100109307118603"  # the groups' own account, not the association's
COMMUNITY_RULES = """\
- Apply at least six weeks before the event.
- The event is open to everyone and follows the association's code of conduct.
- Grants pay for venues, catering, accessibility, childcare and travel of speakers; not for fees to organisers.
- Report back within 30 days after the event, with receipts."""

# status, group code (or None), applicant, title, euros requested, euros awarded
APPLICATIONS = [
    (Status.DRAFT, "KA", "Python Karlsruhe", "Coding dojo for teenagers", 400, None),
    (Status.SUBMITTED, "BER", "Python Users Berlin", "Python 3.14 release party", 600, None),
    (Status.SUBMITTED, None, "Python Lüneburg", "First meetup of a new group", 250, None),
    (Status.INFO_REQUESTED, "HH", "Python Usergroup Hamburg", "Open-source sprint weekend",
     1200, None),
    (Status.IN_REVIEW, "MUC", "PyMunich", "Beginners' workshop with PyLadies", 900, None),
    (Status.IN_REVIEW, "DATA", "PyData Rhein-Main", "Travel grants for student speakers", 1800,
     None),
    (Status.APPROVED, "CGN", "PyCologne", "Venue for the autumn meetups", 800, 650),
    (Status.REJECTED, None, "Crypto Python Club", "Trading-bot hackathon", 2000, None),
    (Status.WITHDRAWN, "LEJ", "Python Leipzig", "Summer barbecue", 300, None),
    (Status.CANCELLED, "DJANGO", "Django Girls Workshops", "Django Girls Kassel", 1000, 1000),
    (Status.PAID, "LADIES", "PyLadies Germany", "PyLadies workshop day", 700, 700),
    (Status.REPORT_DUE, "BER", "Python Users Berlin", "Accessibility: live captioning", 500, 450),
    (Status.REPORT_OVERDUE, "LEJ", "Python Leipzig", "Python im Herbst", 600, 600),
    (Status.REPORT_RECEIVED, "MUC", "PyMunich", "Django sprint", 400, 400),
    (Status.CLOSED, "HH", "Python Usergroup Hamburg", "Pythonistas at the harbour", 900, 800),
]
CLOSED_TITLE = "Pythonistas at the harbour"
PAID_STATES = (Status.PAID, Status.REPORT_DUE, Status.REPORT_OVERDUE, Status.REPORT_RECEIVED,
               Status.CLOSED)


def _eur(euros: float) -> Money:
    return Money(int(round(euros * 100)), "EUR")


def seed_grants(session: Session, *, users: dict, funds: dict, groups: dict, today: date,
                settings: Settings) -> dict:
    """Programmes, budgets, questions, rounds and 15 applications covering every state."""
    treasurer, reviewer, admin = users[Role.TREASURER], users[Role.REVIEWER], users[Role.ADMIN]
    community = programmes.create_programme(session, programmes.ProgrammeInput(
        name="Community grants", slug="community", fund_id=funds["GRANTS"].id,
        max_per_grant=_eur(2000), min_lead_days=42, board_threshold=_eur(1500), quorum=2,
        report_days=30, public_list=True, rules=COMMUNITY_RULES,
        summary="Up to €2,000 for meetups, workshops, sprints and regional conferences.",
        description="Our community grants help local groups run events that bring people into "
                    "Python: a venue for a meetup, pizza for a sprint, travel for a speaker, "
                    "live captioning or childcare.",
        conditions="Mention the association as a supporter on the event page and at the "
                   "event.\nReturn any amount you do not use."), actor=treasurer)
    education = programmes.create_programme(session, programmes.ProgrammeInput(
        name="Education and outreach", slug="education", fund_id=funds["EDU"].id,
        max_per_grant=_eur(1000), quorum=2, report_days=60, uses_rounds=True,
        summary="Twice a year: courses, school projects and teaching material.",
        description="For projects that teach Python to people who would not meet it "
                    "otherwise: schools, libraries, refugee programmes."), actor=treasurer)
    for programme, amount in ((community, 12_000), (education, 5_000)):
        for year in (today.year - 1, today.year):
            programmes.set_budget(session, programme, year=year, amount=_eur(amount),
                                  actor=treasurer)
    programmes.add_question(session, community, label="What kind of event is it?",
                            kind=QuestionKind.CHOICE,
                            choices="Meetup\nWorkshop\nSprint\nConference", actor=treasurer)
    programmes.add_question(session, community, label="Is the event free to attend?",
                            kind=QuestionKind.YES_NO, actor=treasurer)
    programmes.add_question(session, community,
                            label="How many participants do you expect to be new to Python?",
                            kind=QuestionKind.NUMBER, required=False, actor=treasurer)
    programmes.add_question(session, education, label="Who are the learners?",
                            kind=QuestionKind.TEXT, actor=treasurer)
    programmes.add_round(session, education, name=f"Spring {today.year}",
                         opens_on=today - timedelta(days=30), deadline=today + timedelta(days=30),
                         actor=treasurer)
    programmes.add_round(session, education, name=f"Autumn {today.year}",
                         opens_on=today + timedelta(days=120),
                         deadline=today + timedelta(days=170), actor=treasurer)
    # Enough money in the programme's fund for this year's awards.
    held = fund_balance(session, funds["GRANTS"].id, date.max).get("EUR", 0)
    if held < 800_000:
        ledger.transfer_between_funds(
            session, from_fund=ledger.general_fund(session), to_fund=funds["GRANTS"],
            amount=Money(800_000 - held, "EUR"), booking_date=today, actor=treasurer,
            description="Board decision: fund this year's community grants")

    # Decisions on grants whose events are over are dated in the last open month.
    decided = date(today.year, today.month, 1) - timedelta(days=1)
    decided = date(decided.year, decided.month, 1)
    to_pay, to_report = [], []
    for number, (status, code, name, title, requested, awarded) in enumerate(APPLICATIONS, 1):
        application = _application(
            session, community, status, group=groups.get(code), name=name, title=title,
            requested=requested, awarded=awarded, number=number, committee=(reviewer, admin),
            today=today, decided=decided, settings=settings)
        if status in PAID_STATES:
            to_pay.append(paying.create_disbursement(session, application, actor=treasurer,
                                                     organisation=settings.organisation.name))
        if status in (Status.REPORT_RECEIVED, Status.CLOSED):
            to_report.append(application)
    # The treasurer pays the approved grants together, a few days after the decisions.
    pay_at_once(session, to_pay, reference=f"PAYOUT-{decided:%Y%m}", actor=treasurer,
                paid_on=decided + timedelta(days=3), settings=settings)
    for application in to_report:
        _report_back(session, application, treasurer=treasurer, decided=decided,
                     settings=settings)
    reporting.run_reminders(session, today=today, settings=settings)
    return {"programmes": 2, "applications": len(APPLICATIONS)}


def _application(session: Session, programme: Programme, status: Status, *, group: MemberGroup | None, name: str, title: str, requested: float, awarded: float | None,
                 number: int, committee: tuple[User, User], today: date, decided: date,
                 settings: Settings):
    # Grants paid by now were decided on ``decided`` (the first day of the last open month).
    if status is Status.REPORT_DUE:
        start = today - timedelta(days=3)
    elif status in PAID_STATES and status is not Status.PAID:
        start = decided + timedelta(days=1 + number % 4)
    elif status is Status.PAID:
        start = today + timedelta(days=20)
    else:
        start = today + timedelta(days=50 + 7 * number)
    applied = decided - timedelta(days=50) if status in PAID_STATES \
        else today - timedelta(days=number)
    keys = [q.key for q in programme.questions]
    slug = name.lower().replace(" ", "-").replace("ü", "ue")
    contact = f"grants@{slug}.example"
    data = applying.ApplicationInput(
        contact_email=contact, group_id=group.id if group else None, applicant_name=name,
        contact_name=f"Organiser of {name}", title=title, event_start=start, event_end=start,
        description=f"{title}: an evening (or weekend) organised by {name}, open to everyone. "
                    "The grant pays for what we cannot cover from tickets and sponsors.",
        expected_attendance=20 + 5 * number, amount_requested=_eur(requested),
        other_funding="A local company sponsors drinks.",
        budget_lines=[("Venue", _eur(requested * 0.6)), ("Catering", _eur(requested * 0.3)),
                      ("Name badges and printing", _eur(requested * 0.1 + 20))],
        answers=dict(zip(keys, ["Meetup" if number % 2 else "Workshop", "yes",
                                str(5 + number)])),
        account_holder=name[:70], iban=IBAN)
    application = applying.save_application(
        session, data=data, programme=programme, submit=status is not Status.DRAFT,
        address=f"198.51.100.{number}", today=applied, settings=settings)
    if status in (Status.DRAFT, Status.SUBMITTED):
        return application
    applicant = Applicant(contact)
    first, second = committee
    if status is Status.WITHDRAWN:
        applying.withdraw(session, application, actor=applicant, reason="The venue fell through.",
                          settings=settings)
        return application
    if status is Status.INFO_REQUESTED:
        reviewing.request_information(session, application, actor=first,
                                     question="Could you send the venue's offer, and tell us "
                                              "how many of you organise the sprint?",
                                     settings=settings)
        return application
    reviewing.score(session, application, value=4, comment="Well planned, good value.",
                   actor=first)
    reviewing.start_review(session, application, actor=first, settings=settings)
    if status is Status.IN_REVIEW:
        reviewing.cast_vote(session, application, vote="yes", actor=first)
        return application
    vote = "no" if status is Status.REJECTED else "yes"
    for member in committee:
        reviewing.cast_vote(session, application, vote=vote, actor=member)
    if status is Status.REJECTED:
        deciding.reject(session, application, actor=first,
                        reason="The programme funds community events open to everyone; a "
                               "trading competition is outside its purpose.",
                        settings=settings)
        return application
    deciding.approve(session, application, amount=_eur(awarded), actor=second,
                     today=decided if status in PAID_STATES else today,
                     note="Have a great event!" if awarded == requested else
                     "We could not fund the printing.", settings=settings)
    if status is Status.REPORT_OVERDUE:  # early in a month the due date may not have passed yet
        application.report_due_on = min(application.report_due_on, today - timedelta(days=1))
    if status is Status.CANCELLED:
        deciding.cancel_grant(session, application, actor=second,
                              reason="The workshop was called off by the organisers.",
                              settings=settings)
    return application


def _report_back(session: Session, application: Application, *, treasurer: User, decided: date,
                 settings: Settings):
    reporting.run_reminders(session, today=application.event_end, settings=settings)
    reporting.submit_report(session, application, actor=Applicant(application.contact_email),
                           narrative="About thirty people came, half of them new to Python. "
                                     "Thank you!",
                           attendance=application.expected_attendance + 3,
                           amount_spent=Money(application.amount_awarded - 5000, "EUR"),
                           unused=_eur(50),
                           uploads=[applying.Upload("receipts.pdf", _RECEIPT)],
                           settings=settings)
    if application.title == CLOSED_TITLE:
        reporting.close_grant(session, application, returned=_eur(50), actor=treasurer,
                             booking_date=decided + timedelta(days=20), settings=settings)


_RECEIPT = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n"
            b"%%EOF\n")
