"""E-mails rendered from the app's templates, without a request or an app.

An e-mail is one template, ``templates/<package>/emails/<name>.txt``, written like the message:
a first line ``Subject: ...``, an empty line, then the plain-text body exactly as sent (a
template may extend a package's layout, e.g. ``expenses/emails/_claim.txt``). Each package's ``notify.py`` renders
its own with :func:`render_email` and queues them (``core.mail.queue_mail``); services call the
notify functions with the values the mail needs, so neither knows Flask.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

#: The app's template folder (``create_app`` serves pages from the same one).
TEMPLATE_FOLDER = Path(__file__).resolve().parents[2] / "templates"


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATE_FOLDER), autoescape=False,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def render_email(path: str, /, **context: object) -> tuple[str, str]:
    """(subject, body) of the e-mail template at ``path`` (e.g. ``"auth/emails/reset.txt"``)."""
    text = _environment().get_template(path).render(context)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject: "):
        raise ValueError(f"{path} must start with 'Subject: ...' and an empty line")
    return head.removeprefix("Subject: ").strip(), body
