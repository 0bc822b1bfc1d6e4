"""Which failures of an event's handling may pass and which will come back every time.

A consumer retries the first kind where it stands (the database restarting, a lock, a
timeout: the same event succeeds later) and parks the second (an event that cannot be read,
a value its columns cannot hold, a constraint it breaks), so that one bad event never stops
the events behind it. A failure of neither kind is taken for a bug in the handler: retried a
few times, in case it was a passing state after all, then parked.
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.contracts import UnknownEvent

# A handler that fails this many times in a row on one event, with no failure of a known
# kind, is parked with its last error.
HANDLER_ATTEMPTS = 3

_TRANSIENT = (OperationalError, InterfaceError, PoolTimeout, ConnectionError, TimeoutError)
_PERMANENT = (IntegrityError, DataError, ValidationError, UnknownEvent, ValueError, LookupError)


def is_transient(exc: BaseException) -> bool:
    """The same event may well succeed later: the database or the network, not the event."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _TRANSIENT)


def is_permanent(exc: BaseException) -> bool:
    """The event itself is at fault and will fail the same way each time."""
    return not is_transient(exc) and isinstance(exc, _PERMANENT)


def describe(exc: BaseException) -> str:
    """The error as an operator reads it: its kind and message, without the statement's
    parameters (a driver error's text alone; parameters may hold names and phone numbers)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc).__name__}: {exc.orig}".strip()
    return f"{type(exc).__name__}: {exc}".strip()
