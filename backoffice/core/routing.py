"""URL rules whose URL builders are compiled the first time they build a URL.

Werkzeug compiles two builders for every rule as the rule is added (Python source generated
through ``ast`` and ``compile``): with ~270 rules that was ~70 % of building the application,
which every gunicorn worker, every command and every test does, while a process builds URLs for
a small part of them. Matching is untouched (the rule's regular expression is still compiled
when it is added); only the builders wait until ``url_for`` first needs them.
"""
from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule


class LazyRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        name = "_build_unknown" if append_unknown else "_build"

        def build(rule: LazyRule, /, *args: Any, **values: Any) -> tuple[str, str]:
            # Two threads may both compile it: the same function, either one is kept.
            compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, name, compiled)
            return compiled(*args, **values)

        return build
