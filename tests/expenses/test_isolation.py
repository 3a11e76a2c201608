"""The organiser's portal shows one group and nothing of any other: the organiser of group A
requests every URL of the application that names an object of group B (group, fund,
statements, PDF and CSV, claims, receipt files, payout batch, organisers) and gets 403 or 404,
while the same URLs for group A answer."""
from flask import url_for
from werkzeug.routing import AnyConverter

from backoffice.core import clock
from backoffice.core.db import transaction
from backoffice.core.permissions import Role
from backoffice.extensions import settings as app_settings
from backoffice.payouts import services as payouts

from ..sponsorship import active_group, approved, client_for, submit

ID_ARGUMENTS = {"group_id", "fund_id", "claim_id", "receipt_id", "batch_id", "user_id"}


def _world(session, users):
    a = active_group(session, "PyAlpha", actor=users[Role.ADMIN], money="100.00")
    b = active_group(session, "PyBeta", actor=users[Role.ADMIN], money="100.00")
    claim_a = submit(session, a.organisers[0], a.fund, ["5.00"])
    claim_b = approved(session, b.organisers[0], b.fund, users[Role.TREASURER], ["7.00"])
    with transaction():
        batch = payouts.create_batch(session, selected=[("expense_claim", str(claim_b.id))],
                                     requested_on=clock.day_of(claim_b.submitted_at),
                                     actor=users[Role.TREASURER], settings=app_settings())
    ids = {
        "a": {"group_id": a.id, "fund_id": a.fund_id, "claim_id": claim_a.id,
              "receipt_id": claim_a.receipts[0].id, "user_id": a.organisers[0].id},
        "b": {"group_id": b.id, "fund_id": b.fund_id, "claim_id": claim_b.id,
              "receipt_id": claim_b.receipts[0].id, "user_id": b.organisers[0].id,
              "batch_id": batch.id},
    }
    return a, b, claim_a, claim_b, ids


def _urls(app, values):
    """(method, url) of every rule taking one of the object ids, filled in with ``values``."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            arguments = set(rule.arguments)
            if not arguments & ID_ARGUMENTS:
                continue
            filled = dict(values)
            for name, converter in rule._converters.items():
                if isinstance(converter, AnyConverter):
                    filled[name] = sorted(converter.items)[0]
            if not arguments <= set(filled):
                continue
            url = url_for(rule.endpoint, **{k: filled[k] for k in arguments})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, url))
    return found


def test_an_organiser_sees_nothing_of_another_group(app, session, users):
    a, b, claim_a, claim_b, ids = _world(session, users)
    app.config["WTF_CSRF_ENABLED"] = False  # let every POST reach its access check
    organiser_a = client_for(app, a.organisers[0].email)

    walked = _urls(app, ids["b"])
    assert len(walked) >= 20
    endpoints = " ".join(url for _, url in walked)
    for expected in ("/groups/", "/funds/", "statement.pdf", "statement.csv", "/receipts/",
                     "/expenses/claims/", "/expenses/payouts/", "/ledger/funds/"):
        assert expected in endpoints, expected
    leaks = []
    for method, url in walked:
        response = organiser_a.open(url, method=method, data={})
        if response.status_code not in (403, 404):
            leaks.append((method, url, response.status_code))
        response.close()
    assert leaks == []

    # Mixing: group A's claim with group B's receipt.
    mixed = f"/expenses/claims/{claim_a.id}/receipts/{ids['b']['receipt_id']}"
    assert organiser_a.get(mixed).status_code == 404

    # Lists filtered to group B show nothing of it.
    for url in (f"/expenses/?group={b.id}&status=", "/groups?q=PyBeta", "/groups",
                "/expenses/?status=approved"):
        html = organiser_a.get(url).get_data(as_text=True)
        assert ">PyBeta<" not in html and f">{claim_b.ref}<" not in html, url

    # The same walk for group A answers (so the walk above is not trivially refused).
    answered = {}
    for method, url in _urls(app, ids["a"]):
        if method == "GET":
            with organiser_a.get(url) as response:
                answered[url] = response.status_code
    for url in (f"/groups/{a.id}", f"/funds/{a.fund_id}", f"/expenses/claims/{claim_a.id}",
                f"/expenses/claims/{claim_a.id}/receipts/{ids['a']['receipt_id']}"):
        assert answered[url] == 200, (url, answered[url])
    for url in (f"/funds/{a.fund_id}/statement.csv", f"/funds/{a.fund_id}/statement.pdf"):
        assert answered[url] == 301, (url, answered[url])  # to the Reports statement
    assert organiser_a.get(f"/reports/funds/{a.fund_id}").status_code == 200
    assert organiser_a.get(f"/reports/funds/{b.fund_id}").status_code == 404
