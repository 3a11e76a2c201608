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


class Conflict(DomainError):
    """Somebody else changed the same thing first (a double click, a race)."""
