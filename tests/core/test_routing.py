"""URL builders compiled on first use (``core.routing.LazyRule``) build what Werkzeug's own rules
build, for every rule of the app."""
from werkzeug.routing import AnyConverter, Map, PathConverter, Rule

from backoffice import create_app
from backoffice.core.routing import LazyRule

from ..conftest import base_config


def _value(converter):
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[-1]
    if isinstance(converter, PathConverter):
        return "folder/a file ü.pdf"
    if converter.regex == r"\d+":
        return 4711
    return "an é/x?y#z"


def test_every_rule_of_the_app_builds_what_werkzeug_builds(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'routes.db'}"))
    rules = list(app.url_map.iter_rules())
    assert rules and all(type(rule) is LazyRule for rule in rules)
    stock = Map([Rule(rule.rule, **rule.get_empty_kwargs()) for rule in rules],
                converters=app.url_map.converters)
    ours, theirs = app.url_map.bind("office.example"), stock.bind("office.example")
    for rule in rules:
        values = {name: _value(converter) for name, converter in rule._converters.items()}
        for extra in ({}, {"page": 2, "q": "a&b c"}):
            for unknown in (True, False):
                args = (rule.endpoint, {**values, **extra})
                assert ours.build(*args, append_unknown=unknown) == \
                    theirs.build(*args, append_unknown=unknown), rule.rule


def test_a_builder_is_compiled_when_first_used_and_then_kept():
    url_map = Map([LazyRule("/funds/<int:fund_id>", endpoint="fund"),
                   LazyRule("/rules/<rule>", endpoint="rule")])
    adapter = url_map.bind("office.example")
    rule = next(url_map.iter_rules("fund"))
    lazy = rule._build
    assert adapter.build("fund", {"fund_id": 3}, append_unknown=False) == "/funds/3"
    assert rule._build is not lazy
    assert adapter.build("fund", {"fund_id": 4}, append_unknown=False) == "/funds/4"
    # A rule's own argument may be called "rule" (the builder's first argument is positional).
    assert adapter.build("rule", {"rule": "x", "page": 1}) == "/rules/x?page=1"
