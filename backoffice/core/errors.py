"""Domain errors: a refused operation with a message meant for the person who asked."""


class DomainError(Exception):
    """Base class; ``str(error)`` is a complete sentence for the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """The input is not acceptable."""


class NotFound(DomainError):
    """The object does not exist (or the actor may not know that it does)."""


class PermissionDenied(DomainError):
    """The actor may not do this."""


class InvalidTransition(DomainError):
    """The document is not in a state that allows this."""


class AlreadyDone(InvalidTransition):
    """The document is already in the state asked for: the same change was asked for twice (a
    double click, two people at once). Nothing was done the second time. The web layer answers
    with the document's current page and the message as a calm note, never with an error page."""


class Conflict(DomainError):
    """Somebody else changed the same thing first (a double click, a race)."""


class Busy(DomainError):
    """The database could not answer in time (a lock held elsewhere, a statement that ran out of
    time, a server that does not answer). Nothing was saved; the same request a moment later
    usually works."""
