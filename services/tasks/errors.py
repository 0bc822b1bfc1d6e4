"""The tasks service's domain errors, each with a Chinese message the clerk can act on.
The web layer maps each to one HTTP status (``web.EXCEPTION_HANDLERS``; 401 and 403,
shared by every service, ``shared.web``)."""

from __future__ import annotations

from shared.identity.principal import Forbidden, Unauthorized

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "Unauthorized"]


class NotFound(LookupError):
    """No such task, assignment, milestone, report or request (404)."""


class Conflict(ValueError):
    """Not allowed in the current state; the message tells the clerk why (409)."""


class Invalid(ValueError):
    """Input that cannot be used as given: an unknown unit or indicator, a bad file (422)."""
