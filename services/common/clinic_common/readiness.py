"""Readiness from the service's database: a worker that checks it periodically.

The service cannot do its work without its database, so while a check fails the
host reports NOT_SERVING (readiness) and SERVING again once a check succeeds;
liveness is untouched (``ServiceHost.set_ready``). A check that hangs (a network
that drops packets) counts as failed after ``timeout`` seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent import futures

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


def database_probe(engine: Engine) -> Callable[[], None]:
    """A check that raises unless the database answers ``SELECT 1``."""
    def probe() -> None:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    return probe


class ReadinessCheck:
    """Runs ``probe`` every ``interval`` seconds and reports the outcome to ``report``."""

    def __init__(self, probe: Callable[[], None], report: Callable[[bool], None], *,
                 interval: float = 5.0, timeout: float = 3.0):
        self._probe = probe
        self._report = report
        self._interval = interval
        self._timeout = timeout
        self._stopping = threading.Event()
        # One probe at a time: a hung one is waited for, never piled up behind.
        self._executor = futures.ThreadPoolExecutor(1, thread_name_prefix="readiness-probe")
        self._pending: futures.Future | None = None
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Probe once (or wait for the probe still running) and report the outcome."""
        if self._pending is None or self._pending.done():
            self._pending = self._executor.submit(self._probe)
        try:
            self._pending.result(timeout=self._timeout)
            ready = True
        except futures.TimeoutError:
            log.warning("readiness check timed out", extra={"timeout": self._timeout})
            ready = False
        except Exception as exc:  # any failure to reach the database means not ready
            log.warning("readiness check failed", extra={"error": type(exc).__name__})
            ready = False
        self._report(ready)
        return ready

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self.check()

    def start(self) -> None:
        self.check()  # before the host first reports SERVING
        self._thread = threading.Thread(target=self._run, name="readiness", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(self._interval + self._timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)
