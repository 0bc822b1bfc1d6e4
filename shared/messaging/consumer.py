"""What the consumers of both buses share: the thread they run on, and how a batch of records
reaches the handler (retried in place, so a failing handler never lets a later event of the
same key overtake it)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from shared.messaging.bus import Handler, Record

log = logging.getLogger(__name__)

# Handler failures are retried on the same batch (order matters), backing off up to this.
MAX_RETRY_BACKOFF_S = 30.0


class ConsumerThread:
    """A daemon thread, a graceful stop and a kill.

    Subclasses implement ``_run`` and check ``_stopping`` and ``_killed`` as they go."""

    def __init__(self, name: str, handler: Handler) -> None:
        self._handler = handler
        self._stopping = threading.Event()
        self._killed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._join()

    def kill(self) -> None:
        self._killed = True
        self._stopping.set()
        self._join()

    def health(self) -> str | None:
        """A member whose thread runs consumes (a bus that can tell more says more)."""
        return None if self._thread.is_alive() else "事件消费线程未运行"

    def _join(self) -> None:
        # kill() may come from the handler itself, i.e. from this very thread.
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        raise NotImplementedError


def retry_backoff(attempt: int) -> float:
    return min(MAX_RETRY_BACKOFF_S, 0.1 * 2**attempt)


def deliver(records: Sequence[Record], handler: Handler, stopping: threading.Event) -> bool:
    """Hand a batch to the handler, retrying the same batch with backoff while it raises (the
    handler raises only for what may pass: the database down, a lock; an event that will
    never go through is parked by the handler, not retried here). False only when the
    consumer is stopping before the handler succeeded."""
    attempt = 0
    while not stopping.is_set():
        try:
            handler(records)
            return True
        except Exception:
            first = records[0]
            log.exception(
                "handler failed on %d records from %s[%d]@%d; retrying",
                len(records),
                first.topic,
                first.partition,
                first.offset,
            )
            stopping.wait(retry_backoff(attempt))
            attempt += 1
    return False
