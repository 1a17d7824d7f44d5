"""A service process whose clock an end-to-end test may move forward: a visit booked for
tomorrow can be completed today's test run, as the clinic would complete it tomorrow.

``python -m clinic_devtools.testing.clocked <service> serve`` runs the service as
``python -m clinic_<service> serve`` does, with the wall clock plus the seconds written
in the file named by CLINIC_TEST_CLOCK_OFFSET_FILE (none or empty: no offset). Only
tests use it; production images do not carry this package.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
from pathlib import Path

from clinic_common.clock import Clock, system_clock
from clinic_common.entry import main as run

OFFSET_FILE = "CLINIC_TEST_CLOCK_OFFSET_FILE"
SETTINGS = {"intake": "IntakeSettings", "scheduling": "SchedulingSettings",
            "billing": "BillingSettings"}


def offset_clock(path: Path) -> Clock:
    """The wall clock shifted by the seconds in ``path``, read again when it changes."""
    seen: dict = {"mtime": None, "offset": dt.timedelta(0)}

    def now() -> dt.datetime:
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime != seen["mtime"]:
            text = path.read_text().strip() if mtime is not None else ""
            seen.update(mtime=mtime, offset=dt.timedelta(seconds=float(text or 0)))
        return system_clock() + seen["offset"]

    return now


def write_offset(path: Path, offset: dt.timedelta) -> None:
    """Move the clock of the processes reading ``path`` to the wall clock plus ``offset``."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(str(offset.total_seconds()))
    os.replace(temporary, path)


def main(argv: list[str]) -> int:
    service, rest = argv[0], argv[1:]
    bootstrap = importlib.import_module(f"clinic_{service}.bootstrap")
    config = importlib.import_module(f"clinic_{service}.config")
    return run(bootstrap.build_spec, getattr(config, SETTINGS[service]), bootstrap.add_services,
               rest, clock=offset_clock(Path(os.environ[OFFSET_FILE])))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
