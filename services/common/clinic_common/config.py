"""Settings read from the environment, one prefix per service.

Every service subclasses :class:`ServiceSettings` and sets its prefix
(``INTAKE_``, ``SCHEDULING_``, ``BILLING_``). Defaults run the embedded mode:
SQLite under ``./data`` and a broker on localhost. A bad value fails at start
with a message naming the environment variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, TypeVar

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


class KafkaSettings(BaseSettings):
    """Broker connection and client timeouts shared by every service.

    Defaults suit Apache Kafka; tests against tansu set the short timeouts
    (``KAFKA_MAX_POLL_INTERVAL_MS=5000``, ``KAFKA_SESSION_TIMEOUT_MS=6000``).
    """

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    max_poll_interval_ms: int = 300_000
    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 3_000
    request_timeout_ms: int = 30_000
    topic_partitions: int = 3
    topic_replication_factor: int = 1
    consumer_max_attempts: int = 5
    consumer_retry_backoff_ms: int = 200
    relay_poll_interval_ms: int = 500
    relay_batch_size: int = 200
    relay_max_backoff_ms: int = 10_000

    @field_validator("bootstrap_servers")
    @classmethod
    def _servers_have_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port], got {value!r}")
        return value

    def topic(self, name: str) -> str:
        """The physical topic name for a logical one, with the run's prefix."""
        return f"{self.topic_prefix}{name}"

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap_servers.split(",")]


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``model_config`` with their prefix."""

    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 50051

    database_url: str = ""
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 0
    grpc_workers: int = 16
    shutdown_grace_seconds: float = 10.0
    migrate_on_start: bool = True
    consume_events: bool = True
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("port")
    @classmethod
    def _port_in_range(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("must be between 0 and 65535")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / f'{self.service_name}.db').resolve()}"

    @property
    def listen_port(self) -> int:
        return self.port or self.default_port


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load(settings_class: type[SettingsT], **overrides) -> SettingsT:
    """Build settings from the environment, naming the variable on failure."""
    try:
        return settings_class(**overrides)
    except ValidationError as exc:
        prefix = settings_class.model_config.get("env_prefix", "")
        problems = "; ".join(
            f"{prefix}{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
