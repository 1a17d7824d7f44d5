"""The README's Walkthrough, run as written against the embedded default (`make run`)."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from clinic_devtools.testing.infra import free_port

from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "scheduling", "billing")


def walkthrough() -> str:
    """The first sh block under the README's "## Walkthrough" heading."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("\n## Walkthrough\n"):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def start_stack(data_dir) -> tuple[subprocess.Popen, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(
        ("KAFKA_", "INTAKE_", "SCHEDULING_", "BILLING_", "CLINIC_"))}
    for name in SERVICES:
        env[f"{name.upper()}_PORT"] = str(free_port())
        env[f"{name.upper()}_METRICS_PORT"] = str(free_port())
    run = subprocess.Popen(
        [sys.executable, "-m", "clinic_devtools.devstack", "run", "--data-dir", str(data_dir),
         "--broker-port", str(free_port())],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    output = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = run.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Ctrl-C stops everything" in line:
            break
    return run, output


def stop(run: subprocess.Popen) -> str:
    os.killpg(run.pid, signal.SIGINT)
    try:
        return run.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        run.kill()
        return run.communicate()[0]


def test_the_readme_walkthrough_runs_as_written(tmp_path):
    script = walkthrough()
    run, output = start_stack(tmp_path / "data")
    try:
        banner = "".join(output)
        assert "Ctrl-C stops everything" in banner, banner
        assert "clinic token issue" in banner and "grpcurl" not in banner, banner
        # A stack on other ports and another data folder: the exports make run printed.
        exports = [line.strip() for line in output if line.strip().startswith("export CLINIC_")]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
        env["COLUMNS"] = "200"
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join([*exports, script])],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    finally:
        rest = stop(run)
    assert done.returncode == 0, done.stdout + done.stderr + rest
    assert "Byron" in done.stdout
    assert "TREATMENT_PLAN_STATE_ACTIVE" in done.stdout
    # Her insurance card, recorded in intake and listed back: primary, Aetna PPO, she the
    # subscriber, in force from today with no end.
    card = re.search(r"│ 1\s+│ 60054\s+│ Aetna\s+│ W123456789\s+│ 88120\s+│ PPO\s+│ SELF\s+│ "
                     r"(\d{4}-\d{2}-\d{2})\s+│\s+│ False", done.stdout)
    assert card, done.stdout
    assert "35650" in done.stdout  # 0.5 mg/kg of 71.3 kg, in micrograms
    # The course: the plan's six sessions booked at La Jolla in one call.
    course = re.search(r"│ (\w+)\s+│ IV_KETAMINE_INFUSION │ (\d+)\s+│ 0\s+│ 0\s+│", done.stdout)
    assert course and course.group(2) == "6", done.stdout
    assert done.stdout.count("APPOINTMENT_STATUS_BOOKED") >= 6
    # The day shows the first session at its local time; the visit went through every step
    # the block runs, the last one a discharge with the escort recorded.
    assert re.search(r"la-jolla \d{4}-\d{2}-\d{2}", done.stdout), done.stdout
    for phase in ("CHECKED_IN", "IN_PROGRESS", "RECOVERY", "DISCHARGED"):
        assert f"VISIT_PHASE_{phase}" in done.stdout, phase
    assert "KET-2411A" in done.stdout  # the lot, kept with the visit
    assert re.search(r'"escort_recorded":\s+true', done.stdout), done.stdout
    # Billing knows her (her account came from intake's event) and owes nothing before a
    # visit is completed: completion waits for the booked start, which is in the future.
    assert "ACCOUNT_STATE_ACTIVE" in done.stdout
    assert re.search(r"│ patient_balance_cents\s+│ 0\s+│", done.stdout), done.stdout
    # ... and knows her coverage from intake's event by the time the block shows her account.
    recorded = re.search(r"│ name\s+│ patients/\w+/coverages/(\w+)", done.stdout)
    known = re.search(r'│ coverages\s+│ \[\{"coverage_id": "(\w+)", "payer_id": "60054"',
                      done.stdout)
    assert recorded and known and known.group(1) == recorded.group(1), done.stdout
    assert done.stdout.count("SERVING") >= 3  # clinic ops: the three services
