"""The background work's state file (clinic_common.status)."""

from __future__ import annotations

import json
import time

from clinic_common.status import StatusFile


class FakeRelay:
    def __init__(self, fail: bool = False):
        self.fail = fail

    def status(self) -> dict:
        if self.fail:
            raise ConnectionError("database down")
        return {"running": True, "failures": 0, "last_success": 1.0, "backlog": 3}


class FakeConsumer:
    def status(self) -> dict:
        return {"group": "intake", "running": True, "last_success": 2.0, "backlog": 5}


def test_status_file_holds_the_relays_and_consumers_state(tmp_path):
    status = StatusFile("intake", tmp_path, FakeRelay(), lambda: [FakeConsumer()])
    status.write()
    written = json.loads((tmp_path / "intake-status.json").read_text())
    assert written["service"] == "intake"
    assert written["relay"]["backlog"] == 3
    assert written["consumers"] == [FakeConsumer().status()]
    assert abs(written["written_at"] - time.time()) < 5
    assert not list(tmp_path.glob("*.new"))


def test_a_relay_that_cannot_report_is_named_and_the_file_still_written(tmp_path):
    status = StatusFile("billing", tmp_path, FakeRelay(fail=True), lambda: [])
    status.write()
    written = json.loads((tmp_path / "billing-status.json").read_text())
    assert written["relay"] == {"running": None, "error": "ConnectionError"}
    assert written["consumers"] == []


def test_the_worker_rewrites_the_file_until_stopped(tmp_path):
    status = StatusFile("intake", tmp_path, FakeRelay(), lambda: [], interval=0.05)
    status.start()
    try:
        path = tmp_path / "intake-status.json"
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        first = json.loads(path.read_text())["written_at"]
        time.sleep(0.2)
        assert json.loads(path.read_text())["written_at"] > first
    finally:
        status.stop()
