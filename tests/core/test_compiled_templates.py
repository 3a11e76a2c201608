"""The apps a process builds compile each page template once (``core.templates.CompiledTemplates``
on ``Backoffice.jinja_options``), and never serve a template compiled from a source since
changed."""
from backoffice import Backoffice, create_app

from ..conftest import base_config


def test_a_second_app_of_the_process_compiles_nothing_the_first_compiled(app, tmp_path,
                                                                        monkeypatch):
    for name in ("reports/statement.html", "base.html"):
        app.jinja_env.get_template(name)
    second = create_app(base_config(f"sqlite:///{tmp_path / 'second.db'}"))

    def compile_again(*args, **kwargs):
        raise AssertionError(f"compiled again: {args[1:]}")

    monkeypatch.setattr(second.jinja_env, "compile", compile_again)
    for name in ("reports/statement.html", "base.html"):
        assert second.jinja_env.get_template(name).name == name


def test_a_template_changed_since_it_was_compiled_is_compiled_afresh(tmp_path):
    (tmp_path / "page.html").write_text("first {{ value }}")
    first = Backoffice("first", template_folder=str(tmp_path))
    assert first.jinja_env.get_template("page.html").render(value=1) == "first 1"
    (tmp_path / "page.html").write_text("second {{ value }}")
    second = Backoffice("second", template_folder=str(tmp_path))
    assert second.jinja_env.get_template("page.html").render(value=2) == "second 2"
