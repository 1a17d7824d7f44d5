"""The background work's state, as a file an ops view can read.

Every ``interval`` seconds the service's main process writes ``<service>-status.json``
in its data folder (``/tmp/clinic`` in the images; replaced atomically):

    {"service": "intake", "pid": 7, "written_at": 1767225600.0,
     "relay": {"running": true, "failures": 0, "last_success": ..., "backlog": 0, ...},
     "consumers": [{"group": "intake", "running": true, "last_success": ..., "backlog": 0,
                    ...}]}

Times are epoch seconds. A file whose ``written_at`` is old means the writer itself
stopped. ``kubectl exec deploy/intake -- cat /tmp/clinic/intake-status.json`` reads it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)



class StatusFile:
    """A worker writing the relay's and consumers' ``status()`` to a file in ``folder``."""

    def __init__(self, service: str, folder: Path, relay, consumers: Callable[[], list], *,
                 interval: float = 10.0):
        self.service = service
        self.path = Path(folder) / f"{service}-status.json"
        self._relay = relay
        self._consumers = consumers
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def snapshot(self) -> dict:
        try:
            relay = self._relay.status()
        except Exception as exc:  # the database may be down: say so, keep writing
            relay = {"running": None, "error": type(exc).__name__}
        return {"service": self.service, "pid": os.getpid(), "written_at": time.time(),
                "relay": relay, "consumers": [c.status() for c in self._consumers()]}

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".json.new")
        partial.write_text(json.dumps(self.snapshot(), indent=1) + "\n")
        os.replace(partial, self.path)

    def _run(self) -> None:
        # Written first at once, from this thread: a database that does not answer delays
        # the file, not the start-up.
        while True:
            try:
                self.write()
            except OSError:
                log.exception("cannot write the status file", extra={"path": str(self.path)})
            if self._stopping.wait(self._interval):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="status-file", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(self._interval)
