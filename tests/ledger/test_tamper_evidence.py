"""The hash chain and the sealed entries: what the database refuses, and what `ledger verify`
finds when somebody with the keys to the database went past the triggers."""
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from backoffice import create_app
from backoffice.core import audit, chain
from backoffice.core.audit import AuditEvent
from backoffice.core.chain import ChainLink
from backoffice.core.db import transaction
from backoffice.extensions import db
from backoffice.ledger import services
from backoffice.ledger.chart import Account, Fund
from backoffice.ledger.integrity import problems
from backoffice.ledger.models import JournalEntry

from ..concurrency import at_once
from ..conftest import base_config
from ..outsider import Outsider
from ..test_migrations import _fresh as fresh_database
from .conftest import eur

DAY = date(2026, 3, 14)


def _verify(app):
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


def _links(session) -> list[ChainLink]:
    session.expire_all()
    return list(session.scalars(select(ChainLink).order_by(ChainLink.position)))


def _past_the_triggers(outsider: Outsider, *statements: str) -> None:
    """What the owner of the database can do: switch the triggers off, change, switch them on."""
    if outsider.backend == "postgresql":
        outsider.execute("SET session_replication_role = replica")  # superuser: no triggers
        for statement in statements:
            outsider.execute(statement)
        outsider.execute("SET session_replication_role = DEFAULT")
        return
    triggers = outsider.rows("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    for name, _ in triggers:
        outsider.execute(f"DROP TRIGGER {name}")
    for statement in statements:
        outsider.execute(statement)
    for _, sql in triggers:
        outsider.execute(sql)


def test_every_entry_and_audit_record_is_linked_when_it_is_committed(books, session):
    entries = [books.post(DAY, ("6100", books.general, "1"), ("1200", books.berlin, "-1")),
               books.post(DAY, ("6100", books.general, "2"), ("1200", books.general, "-2"))]
    links = _links(session)
    assert [link.position for link in links] == list(range(1, len(links) + 1))
    linked = {(link.table_name, link.row_id) for link in links}
    assert {("journal_entries", entry.id) for entry in entries} <= linked
    audit_ids = session.scalars(select(AuditEvent.id)).all()
    assert {("audit_log", i) for i in audit_ids} <= linked
    assert len(links) == len(audit_ids) + session.scalar(select(func.count(JournalEntry.id)))
    assert problems(session) == []


def test_verify_prints_the_head_of_the_chain(app, books, session):
    books.post(DAY, ("6100", books.general, "1"), ("1200", books.general, "-1"))
    head = _links(session)[-1]
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"Chain head: {head.position}:{head.chain_hash}" in result.output
    again = app.test_cli_runner().invoke(
        args=["ledger", "verify", "--head", f"{head.position}:{head.chain_hash}"])
    assert again.exit_code == 0, again.output


def test_a_chain_rewritten_from_the_start_is_caught_by_the_head_noted_before(app, books, session):
    books.post(DAY, ("6100", books.general, "1"), ("1200", books.general, "-1"))
    target = books.post(DAY, ("6100", books.general, "2"), ("1200", books.general, "-2"))
    noted = _verify(app).output.split("Chain head: ")[1].split()[0]
    with Outsider(app.config["SQLALCHEMY_DATABASE_URI"]) as outsider:
        # The owner changes an entry, then throws the chain away and builds it again.
        _past_the_triggers(outsider, *_balanced_rewrite(outsider.backend, target),
                           "DELETE FROM integrity_chain")
    with db.engine.begin() as connection:
        chain.link_unchained(connection)
    assert app.test_cli_runner().invoke(args=["ledger", "rebuild-totals"]).exit_code == 0
    assert _verify(app).exit_code == 0  # the chain alone cannot know: it is whole again
    result = app.test_cli_runner().invoke(args=["ledger", "verify", "--head", noted])
    assert result.exit_code == 1
    assert (f"the hash chain no longer passes through the head noted at link "
            f"{noted.split(':')[0]}") in result.output


def test_a_balanced_pair_cannot_be_added_to_an_entry_posted_earlier(app, books, session):
    entry = books.post(DAY, ("6100", books.general, "5"), ("1200", books.general, "-5"))
    insert = ("INSERT INTO postings (entry_id, line_no, account_id, fund_id, amount, currency, "
              "booking_date) VALUES (?, ?, ?, ?, ?, 'EUR', ?)")
    with Outsider(app.config["SQLALCHEMY_DATABASE_URI"]) as outsider:
        before = outsider.snapshot("postings")
        for line_no, account, amount in ((3, "6900", 10000), (4, "1200", -10000)):
            with pytest.raises(Exception, match="sealed"):
                outsider.execute(insert, (entry.id, line_no, books[account].id, books.general.id,
                                          amount, DAY.isoformat()))
        assert outsider.snapshot("postings") == before
    assert problems(session) == []


def test_an_entry_written_past_the_application_is_reported_as_outside_the_chain(app, books, session):
    books.post(DAY, ("6100", books.general, "5"), ("1200", books.general, "-5"))
    with Outsider(app.config["SQLALCHEMY_DATABASE_URI"]) as outsider:
        outsider.execute("INSERT INTO journal_entries (id, booking_date, description, posted_at) "
                         "VALUES (9001, ?, 'slipped in', ?)", (DAY.isoformat(), "2026-03-14 10:00:00"))
        for line_no, account, amount in ((1, "6900", 700), (2, "1200", -700)):
            outsider.execute("INSERT INTO postings (entry_id, line_no, account_id, fund_id, amount, "
                             "currency, booking_date) VALUES (9001, ?, ?, ?, ?, 'EUR', ?)",
                             (line_no, books[account].id, books.general.id, amount, DAY.isoformat()))
    session.expire_all()
    assert "journal entry #9001 is not in the hash chain (written past the application)" in \
        problems(session)


def _balanced_rewrite(backend: str, entry) -> list[str]:
    """Both postings of ``entry`` get 5.00 more on each side: the entry still balances. On SQLite
    with REPLACE INTO (the rewrite that passed the DELETE triggers), elsewhere with UPDATE."""
    statements = []
    for posting, change in zip(entry.postings, (500, -500)):
        if backend == "sqlite":
            statements.append(
                f"REPLACE INTO postings (id, entry_id, line_no, account_id, fund_id, amount, "
                f"currency, booking_date) SELECT id, entry_id, line_no, account_id, fund_id, "
                f"{posting.amount + change}, currency, booking_date FROM postings "
                f"WHERE id = {posting.id}")
        else:
            statements.append(f"UPDATE postings SET amount = {posting.amount + change} "
                              f"WHERE id = {posting.id}")
    return statements


def test_a_rewritten_entry_with_rebuilt_totals_is_named_as_the_first_broken_link(app, books, session):
    books.post(DAY, ("6100", books.general, "1"), ("1200", books.general, "-1"))
    target = books.post(DAY, ("6100", books.general, "2"), ("1200", books.general, "-2"))
    books.post(DAY, ("6100", books.general, "3"), ("1200", books.general, "-3"))
    with Outsider(app.config["SQLALCHEMY_DATABASE_URI"]) as outsider:
        _past_the_triggers(outsider, *_balanced_rewrite(outsider.backend, target))
    assert app.test_cli_runner().invoke(args=["ledger", "rebuild-totals"]).exit_code == 0
    session.expire_all()
    assert session.get(JournalEntry, target.id).postings[0].amount == 700
    result = _verify(app)
    assert result.exit_code == 1
    assert (f"the hash chain breaks at link {_link_of(session, target.id).position}: journal entry "
            f"#{target.id} has been changed since it was written") in result.output
    assert result.output.count("hash chain") == 1  # the first broken link, and nothing else


def _link_of(session, entry_id: int) -> ChainLink:
    return session.scalars(select(ChainLink).where(ChainLink.table_name == "journal_entries",
                                                   ChainLink.row_id == entry_id)).one()


def test_a_removed_audit_record_is_named(app, books, session):
    books.post(DAY, ("6100", books.general, "1"), ("1200", books.general, "-1"))
    victim = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).first()
    with Outsider(app.config["SQLALCHEMY_DATABASE_URI"]) as outsider:
        _past_the_triggers(outsider, f"DELETE FROM audit_log WHERE id = {victim}")
    session.expire_all()
    assert any(f"audit record #{victim} has been removed" in p for p in problems(session))


def test_a_removed_or_rewritten_link_is_named(app, books, session):
    for amount in ("1", "2", "3"):
        books.post(DAY, ("6100", books.general, amount), ("1200", books.general, "-" + amount))
    positions = [link.position for link in _links(session)]
    with Outsider(app.config["SQLALCHEMY_DATABASE_URI"]) as outsider:
        _past_the_triggers(outsider, f"UPDATE integrity_chain SET chain_hash = '{'f' * 64}' "
                                     f"WHERE position = {positions[-2]}")
        session.expire_all()
        assert problems(session)[0].startswith(f"the hash chain breaks at link {positions[-2]} ")
        _past_the_triggers(outsider, f"DELETE FROM integrity_chain WHERE position = {positions[2]}")
    session.expire_all()
    assert problems(session)[0] == (f"the hash chain breaks at link {positions[3]}: "
                                    f"link {positions[2]} is missing")


def test_the_walk_reads_the_chain_a_page_at_a_time_and_finds_a_break_pages_in(
        app, books, session, monkeypatch):
    monkeypatch.setattr(chain, "_BATCH", 2)  # pages of two links (IN_LIST_SIZE in production)
    for amount in ("1", "2", "3"):
        books.post(DAY, ("6100", books.general, amount), ("1200", books.general, "-" + amount))
    positions = [link.position for link in _links(session)]
    assert len(positions) > 4 and problems(session) == []
    with Outsider(app.config["SQLALCHEMY_DATABASE_URI"]) as outsider:
        _past_the_triggers(outsider, f"UPDATE integrity_chain SET chain_hash = '{'f' * 64}' "
                                     f"WHERE position = {positions[4]}")
    session.expire_all()
    assert problems(session)[0].startswith(f"the hash chain breaks at link {positions[4]} ")


#: Per thread an expense and an asset account of its own, and a fund of its own: the threads
#: share no cached-totals row, so nothing but the chain's head makes them wait for each other.
PAIRS = [("5100", "1000"), ("5110", "1210"), ("5200", "1410"), ("5400", "1500"),
         ("5500", "2900"), ("5600", "6900")]


def test_entries_committed_at_the_same_moment_never_fork_the_chain(app, books, session):
    with transaction(session):
        funds = [services.create_fund(session, code=f"T{n}", name=f"Thread {n}", actor=None).id
                 for n in range(len(PAIRS))]
    ids = [(books[debit].id, books[credit].id) for debit, credit in PAIRS]
    session.remove()

    def poster(number):
        def job(session):
            debit, credit = (session.get(Account, i) for i in ids[number])
            fund = session.get(Fund, funds[number])
            for round_ in range(3):
                with transaction(session):
                    amount = eur(f"{number + 1}.{round_ + 1}")
                    services.post_entry(
                        session, booking_date=DAY, description=f"Thread {number}.{round_}",
                        actor=None, lines=[services.Line(debit, fund, amount),
                                           services.Line(credit, fund, -amount)])
            return "posted"
        return job

    results = at_once(app, [poster(n) for n in range(len(PAIRS))])
    assert results == ["posted"] * len(PAIRS), results
    links = _links(session)
    assert [link.position for link in links] == list(range(1, len(links) + 1))
    entries = session.scalar(select(func.count(JournalEntry.id)).where(
        JournalEntry.description.like("Thread %")))
    assert entries == 3 * len(PAIRS)
    assert problems(session) == []


def test_a_record_added_after_the_last_flush_is_linked_at_the_commit(app, books, session):
    with transaction(session):
        audit.record(session, books.actor, "test.noted", "test", 1, summary="unflushed")
    event_id = session.scalars(select(AuditEvent.id).where(AuditEvent.action == "test.noted")).one()
    assert ("audit_log", event_id) in {(link.table_name, link.row_id) for link in _links(session)}
    assert problems(session) == []


def test_the_migration_links_the_rows_written_before_it(backend, tmp_path):
    """Entries and audit records stored before the chain existed get their links, in id order."""
    url, cleanup = fresh_database(backend, tmp_path)
    try:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade(revision="0015")
            with Outsider(url) as outsider:
                outsider.execute("INSERT INTO journal_entries (id, booking_date, description, "
                                 "posted_at) VALUES (1, '2026-01-05', 'Opening', "
                                 "'2026-01-05 09:00:00')")
                for line_no, code, amount in ((1, "1200", 5000), (2, "3000", -5000)):
                    outsider.execute(
                        "INSERT INTO postings (entry_id, line_no, account_id, fund_id, amount, "
                        "currency, booking_date) SELECT 1, ?, accounts.id, funds.id, ?, 'EUR', "
                        "'2026-01-05' FROM accounts, funds WHERE accounts.code = ? "
                        "AND funds.code = 'GEN'", (line_no, amount, code))
                outsider.execute("INSERT INTO audit_log (at, actor_label, action, object_type, "
                                 "object_id, summary, after) VALUES ('2026-01-05 09:00:00', "
                                 "'system', 'ledger.entry_posted', 'journal_entry', '1', "
                                 "'#1 Opening', '{\"b\": [1, 2], \"a\": \"ä\"}')")
            upgrade()
            links = db.session.execute(select(ChainLink.table_name, ChainLink.row_id)
                                       .order_by(ChainLink.position)).all()
            assert sorted(links) == [("audit_log", 1), ("journal_entries", 1)]
            assert chain.problems(db.session) == []  # (the raw postings have no cached totals)
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()
