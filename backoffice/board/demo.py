"""The demo association's bodies, with the rules of a real association's statutes
(``rules.PRESETS["demo_statutes"]``: three weeks' notice by e-mail, the assembly quorate however
many attend, three quarters of the votes cast for statute changes, one vote per person and three
per legal-person member, the board always quorate, a tie fails), its board in office, a
legal-person member of the assembly, the grants committee and the auditors; and the document
register with the statutes and the tax-exemption notice the receipts print."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ..auth.models import User
from ..core.permissions import Role
from ..core.settings import ExemptionNotice
from ..pdf import html_to_pdf
from . import documents, services
from .models import BodyKind, DocumentKind, Function
from .rules import PRESETS

STATUTES = PRESETS["demo_statutes"]


def seed_board(session: Session, *, users: dict[Role, User], today: date) -> dict:
    actor = users[Role.ADMIN]
    since = date(today.year - 1, 5, 1)
    board = services.create_body(session, kind=BodyKind.BOARD, name="Board", code="B",
                                 rules=STATUTES["board"], actor=actor, public=True)
    for user, function in ((users[Role.BOARD], Function.CHAIR),
                           (users[Role.TREASURER], Function.TREASURER)):
        services.appoint(session, board, name=user.display_name, email=user.email,
                         user_id=user.id, function=function, start_on=since,
                         end_on=date(today.year + 1, 4, 30), represents=True, actor=actor)
    services.appoint(session, board, name="Sam Secretary", email="secretary@example.org",
                     function=Function.SECRETARY, start_on=since,
                     end_on=date(today.year + 1, 4, 30), actor=actor)
    assembly = services.create_body(session, kind=BodyKind.ASSEMBLY, name="General assembly",
                                    code="GA", rules=STATUTES["assembly"], actor=actor)
    for name, email, legal in (("Bea Board", users[Role.BOARD].email, False),
                               ("Olu Organiser", users[Role.ORGANISER].email, False),
                               ("PyData Foundation e.V.", "office@pydata.example", True)):
        services.appoint(session, assembly, name=name, email=email, function=Function.MEMBER,
                         legal_person=legal, start_on=since, actor=actor)
    committee = services.create_body(session, kind=BodyKind.COMMITTEE, name="Grants committee",
                                     code="GC", rules=STATUTES["committee"], actor=actor)
    services.appoint(session, committee, name=users[Role.REVIEWER].display_name,
                     email=users[Role.REVIEWER].email, user_id=users[Role.REVIEWER].id,
                     function=Function.CHAIR, start_on=since, actor=actor)
    auditors = services.create_body(session, kind=BodyKind.AUDITORS, name="Auditors",
                                    code="KP", rules=STATUTES["auditors"], audits=board,
                                    actor=actor)
    services.appoint(session, auditors, name="Kim Kassenprüferin", email="audit@example.org",
                     function=Function.MEMBER, start_on=since, actor=actor)
    return {"bodies": 4}


def seed_documents(session: Session, *, actor: User, folder: str, organisation: str,
                   notice: ExemptionNotice | None, today: date) -> None:
    """The statutes in force since the association's founding and, where receipts rest on one,
    the tax-exemption notice (the configured one, so that receipts print what they printed)."""
    def pdf(title: str, text: str) -> bytes:
        return html_to_pdf(f"<h1>{title}</h1><p>{organisation}</p><p>{text}</p>")

    documents.add(session, kind=DocumentKind.STATUTES, title="Satzung (Fassung 2019)",
                  effective_on=date(2019, 5, 1), filename="satzung-2019.pdf", folder=folder,
                  data=pdf("Satzung", "Beschlossen von der Gründungsversammlung am 1. Mai 2019 "
                                      "(Demo)."), actor=actor)
    if notice is not None and notice.date <= today:
        documents.add(
            session, kind=DocumentKind.TAX_EXEMPTION, title=f"Freistellungsbescheid {notice.period}",
            effective_on=notice.date, filename="freistellungsbescheid.pdf", folder=folder,
            data=pdf("Freistellungsbescheid", f"{notice.tax_office}, {notice.tax_number} (Demo)."),
            details={"notice_kind": notice.kind, "tax_office": notice.tax_office,
                     "number": notice.tax_number, "issued_on": notice.date.isoformat(),
                     "period": notice.period, "purposes": "\n".join(notice.purposes)},
            actor=actor)
