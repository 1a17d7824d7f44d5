"""The sweeper: a background thread of the service that lapses expired holds and waitlist
offers (announcing them and offering the freed slots to the next patient), and closes the
waitlist entries whose window has passed, every
SCHEDULING_SWEEP_SECONDS, so nothing waits for a client to call. The work itself is
``service_layer.waitlist.sweep``, which tests call directly with a controlled clock."""

from __future__ import annotations

import logging
import threading

from clinic_common.runner import Runner

from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.service_layer import waitlist
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, runner: Runner[SchedulingUnitOfWork], policy: SchedulingPolicy,
                 interval: float):
        self.runner = runner
        self.policy = policy
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sweeper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.sweep_once()

    def sweep_once(self) -> waitlist.SweepReport | None:
        try:
            report = waitlist.sweep(self.runner, self.policy)
        except Exception:  # noqa: BLE001 - a failed pass (database down) is retried next time
            log.exception("sweep failed; trying again at the next interval")
            return None
        self.passes += 1
        if any((report.expired_offers, report.expired_holds, report.expired_entries,
                report.withdrawn_offers)):
            log.info("swept", extra={"expired_offers": report.expired_offers,
                                     "expired_holds": report.expired_holds,
                                     "expired_entries": report.expired_entries,
                                     "withdrawn_offers": report.withdrawn_offers})
        return report

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
