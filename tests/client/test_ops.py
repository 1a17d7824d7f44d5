"""The ops view's figures from a status file, and services that do not answer."""

import json
import time

from clinic_client import ops
from clinic_client.connection import Settings
from clinic_devtools.testing.infra import free_port


def test_figures_come_from_the_status_file_when_metrics_do_not_answer(tmp_path):
    (tmp_path / "intake-status.json").write_text(json.dumps({
        "service": "intake", "written_at": time.time(),
        "relay": {"backlog": 4, "oldest_unsent_s": 9.5},
        "consumers": [{"group": "intake", "backlog": 2}]}))
    settings = Settings()
    settings.addresses = {name: f"127.0.0.1:{free_port()}" for name in settings.addresses}
    unanswered = {f"CLINIC_{name.upper()}_METRICS_URL": f"http://127.0.0.1:{free_port()}/metrics"
                  for name in settings.addresses}
    rows = {row["service"]: row for row in ops.overview(settings, tmp_path, unanswered)}
    assert {row["health"] for row in rows.values()} == {"UNREACHABLE"}
    intake = rows["intake"]
    assert (intake["outbox_backlog"], intake["oldest_unsent_s"], intake["consumer_lag"]) == \
        (4, 9.5, 2)
    assert intake["source"].startswith("status file")
    assert rows["billing"]["source"] == "none"
