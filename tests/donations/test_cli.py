"""``backoffice donations``: record by hand, list with totals, merge, plans; bad input is one line
and a non-zero exit."""
from sqlalchemy import select

from backoffice.donations.models import Donation, Donor
from backoffice.extensions import db


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["donations", *args])


def test_record_list_merge(app, session, fund):
    out = cli(app, "record", "--fund", "pylb", "--amount", "25.00", "--name", "Ada",
              "--email", "ada@example.org", "--channel", "cash", "--date", "2026-03-01")
    assert out.exit_code == 0, out.output
    assert "DON-000001 25.00 EUR" in out.output and "to PYLB booked" in out.output
    out = cli(app, "record", "--fund", "GEN", "--amount", "10", "--name", "Ada Lovelace",
              "--email", "ada.l@example.org", "--channel", "cheque", "--date", "2026-03-02")
    assert out.exit_code == 0, out.output
    listed = cli(app, "list", "--year", "2026")
    assert "Booked: 35.00 EUR in 2 donation(s)" in listed.output
    assert "Booked: 25.00 EUR in 1" in cli(app, "list", "--fund", "PYLB").output
    first, second = db.session.scalars(select(Donor).order_by(Donor.id)).all()
    assert cli(app, "merge", str(first.id), str(second.id)).exit_code == 0
    db.session.expire_all()
    assert {d.donor_id for d in db.session.scalars(select(Donation))} == {first.id}
    assert "No plans" not in cli(app, "plans").output


def test_bad_input_is_one_line_and_fails(app, session, fund):
    for args in (["record", "--fund", "PYLB", "--amount", "abc", "--name", "X"],
                 ["record", "--fund", "PYLB", "--amount", "-5", "--name", "X"],
                 ["record", "--fund", "NOPE", "--amount", "5", "--name", "X"],
                 ["cancel-plan", "99", "--reason", "x"], ["merge", "1", "1"]):
        out = cli(app, *args)
        assert out.exit_code != 0 and out.output.count("\n") <= 2, (args, out.output)
    assert db.session.scalar(select(Donation)) is None
