"""The tasks service's domain errors, each with a Chinese message the clerk can act on.
The web layer maps each to one HTTP status (``web.EXCEPTION_HANDLERS``)."""

from __future__ import annotations


class NotFound(LookupError):
    """No such task, assignment, milestone, report or request (404)."""


class Conflict(ValueError):
    """Not allowed in the current state; the message tells the clerk why (409)."""


class Invalid(ValueError):
    """Input that cannot be used as given: an unknown unit or indicator, a bad file (422)."""


class Unauthorized(Exception):
    """No credentials, or credentials we do not know (401)."""


class Forbidden(Exception):
    """Known credentials, outside their rights (403); the message says what is missing."""
