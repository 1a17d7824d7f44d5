"""Fixtures for real infrastructure: PostgreSQL databases and a Kafka-protocol broker.

Where each comes from is decided in clinic_devtools.testing.infra. Without one, a
test that needs it is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
from clinic_common.config import KafkaSettings
from clinic_devtools.testing import infra

IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(what: str, exc: Exception):
    message = f"{what} unavailable: {exc}"
    if IN_CI:
        pytest.fail(message + " (CI=true: infrastructure is required)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_databases():
    """Creates databases on demand (``.create(label)`` gives a URL); drops them at the end."""
    try:
        server = infra.postgres_server()
        admin_url = server.__enter__()
    except infra.Unavailable as exc:
        _unavailable("PostgreSQL", exc)
    databases = infra.PostgresDatabases(admin_url)
    yield databases
    databases.drop_all()
    server.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres_databases, request):
    """A fresh, empty PostgreSQL database for this test, dropped after it."""
    label = re.sub(r"[^a-z0-9_]", "_", request.node.name[:20].lower())
    url = postgres_databases.create(label)
    yield url
    postgres_databases.drop(url)


def require_restartable(broker) -> None:
    """A test that restarts the broker; under CI a broker it cannot restart is a failure."""
    if not broker.can_restart:
        _unavailable("a broker the tests can restart",
                     RuntimeError("it comes from TEST_KAFKA_BOOTSTRAP"))


@pytest.fixture(scope="session")
def broker():
    try:
        context = infra.broker()
        running = context.__enter__()
    except infra.Unavailable as exc:
        _unavailable("Kafka-protocol broker", exc)
    yield running
    context.__exit__(None, None, None)


def test_kafka_settings(bootstrap: str, prefix: str) -> KafkaSettings:
    """Settings with the short group timeouts tansu needs and a topic prefix of our own."""
    return KafkaSettings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, max_poll_interval_ms=5000,
        session_timeout_ms=6000, heartbeat_interval_ms=1000, request_timeout_ms=10000,
        relay_poll_interval_ms=100, relay_max_backoff_ms=1000, consumer_retry_backoff_ms=50,
        topic_partitions=3)


test_kafka_settings.__test__ = False  # a helper, not a test


@pytest.fixture
def kafka_settings(broker):
    """Broker settings for one test: its own topics (deleted after it), short timeouts."""
    settings = test_kafka_settings(broker.bootstrap, f"t{uuid.uuid4().hex[:8]}.")
    yield settings
    infra.delete_topics(settings.servers, settings.topic_prefix)


def service_database_url(request, tmp_path, spec) -> str:
    """A service's database for one test, on the parameter's kind: a new SQLite file (from
    the run's migrated template), or the run's PostgreSQL database of that service, reset
    to just-migrated."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    databases = request.getfixturevalue("postgres_databases")
    return databases.migrated(spec.name, spec.migrations_dir)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """Contract tests: every adapter test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


_MARKS = {
    "postgres": {"postgres_url", "postgres_databases"},
    "broker": {"broker", "kafka_settings"},
}


def pytest_collection_modifyitems(items):
    """Mark tests by the infrastructure they use, so `make test-unit` can leave them out."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        for mark, fixtures in _MARKS.items():
            if names & fixtures:
                item.add_marker(mark)
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("database_url") == "postgres":
            item.add_marker("postgres")
