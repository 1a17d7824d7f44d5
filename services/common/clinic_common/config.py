"""Settings read from the environment, one prefix per service.

Every service subclasses :class:`ServiceSettings` and sets its prefix
(``INTAKE_``, ``SCHEDULING_``, ``BILLING_``). Defaults run the embedded mode:
SQLite under ``./data`` and a broker on localhost. A bad value fails at start
with a message naming the environment variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator
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
    # How often an idle relay asks the broker whether it lost what was published, and how
    # far back it then publishes again (consumers skip what they already applied).
    relay_loss_check_interval_ms: int = 5_000
    relay_republish_window_hours: int = Field(168, ge=1)
    # Passed through to every Kafka client: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL,
    # with the CA, client certificate and SASL credentials the cluster asks for.
    security_protocol: str = "PLAINTEXT"
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    sasl_mechanism: str = ""
    sasl_plain_username: str = ""
    sasl_plain_password: str = ""

    @field_validator("security_protocol")
    @classmethod
    def _known_protocol(cls, value: str) -> str:
        known = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
        if value.upper() not in known:
            raise ValueError(f"must be one of {', '.join(known)}")
        return value.upper()

    @field_validator("sasl_mechanism")
    @classmethod
    def _known_mechanism(cls, value: str) -> str:
        known = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
        if value and value.upper() not in known:
            raise ValueError(f"must be one of {', '.join(known)}")
        return value.upper()

    def client_options(self) -> dict:
        """The connection options every kafka-python client of the services takes."""
        options: dict = {"bootstrap_servers": self.servers,
                         "security_protocol": self.security_protocol,
                         # An unreachable cluster is reported after this, not kafka-python's 30 s.
                         "bootstrap_timeout_ms": self.request_timeout_ms}
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            if getattr(self, name) is not None:
                options[name] = str(getattr(self, name))
        if self.sasl_mechanism:
            options.update(sasl_mechanism=self.sasl_mechanism,
                           sasl_plain_username=self.sasl_plain_username,
                           sasl_plain_password=self.sasl_plain_password)
        return options

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


class AuthSettings(BaseSettings):
    """How every service verifies bearer tokens, and how it proves its own identity.

    Production points ``AUTH_JWKS_FILE`` at the identity provider's public keys
    (mounted from a secret; the file is re-read when it changes, so keys rotate
    without a restart). The embedded mode uses ``<data dir>/auth/jwks.json``,
    which ``clinic-token keygen`` writes.
    """

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    # Public keys as a JSON Web Key Set file; default <data dir>/auth/jwks.json.
    jwks_file: Path | None = None
    # The iss and aud every token must carry.
    issuer: str = "clinic-dev"
    audience: str = "clinic-api"
    # Clock skew tolerated on exp/iat, and the longest lifetime a token may have.
    leeway_seconds: int = Field(30, ge=0, le=300)
    max_token_lifetime_seconds: int = Field(12 * 3600, gt=0)

    def jwks_path(self, data_dir: Path) -> Path:
        return self.jwks_file or data_dir / "auth" / "jwks.json"


class TlsSettings(BaseSettings):
    """TLS for gRPC. With a certificate and key the service serves TLS only; with a client
    CA as well it requires client certificates (mutual TLS between services)."""

    model_config = SettingsConfigDict(env_prefix="TLS_", extra="ignore")

    cert_file: Path | None = None
    key_file: Path | None = None
    # Clients must present a certificate signed by this CA (mutual TLS).
    client_ca_file: Path | None = None
    # What this process trusts when it calls a service over TLS (default: system roots).
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _pairs(self) -> TlsSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("TLS_CERT_FILE and TLS_KEY_FILE go together")
        if self.client_ca_file is not None and self.cert_file is None:
            raise ValueError("TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE")
        for name in ("cert_file", "key_file", "client_ca_file", "ca_file"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"TLS_{name.upper()}: no file at {path}")
        return self

    @property
    def enabled(self) -> bool:
        return self.cert_file is not None


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``model_config`` with their prefix."""

    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 50051

    database_url: str = ""
    # A file holding the database password (a compose or Kubernetes secret file), put
    # into database_url's password at start, so no password sits in the environment.
    database_password_file: Path | None = None
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 0
    grpc_workers: int = 16
    # Server processes sharing the port (SO_REUSEPORT): a Python process uses one core.
    # The first one also runs the outbox relay and the event consumer.
    processes: int = Field(1, ge=1, le=64)
    # The largest request a call may send, in bytes; larger ones are refused by gRPC.
    max_message_bytes: int = Field(1024 * 1024, ge=4096, le=64 * 1024 * 1024)
    # The longest text any request field may carry, in characters, and the most
    # items any list in a request may hold (fields may set tighter limits).
    max_text_length: int = Field(10_000, ge=100)
    max_list_items: int = Field(1_000, ge=10)
    shutdown_grace_seconds: float = 10.0
    # How often readiness checks the database (health NOT_SERVING while it fails).
    health_check_seconds: float = Field(5.0, gt=0)
    migrate_on_start: bool = True
    consume_events: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    # Port of the Prometheus endpoint (/metrics) on ``host``; 0 leaves it off.
    metrics_port: int = Field(0, ge=0, le=65535)

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

    @model_validator(mode="after")
    def _password_file_is_readable(self):
        if self.database_password_file is not None:
            if not self.database_url.startswith("postgresql"):
                raise ValueError("DATABASE_PASSWORD_FILE needs a postgresql DATABASE_URL")
            self._database_password()
        return self

    def _database_password(self) -> str:
        """The password file's content without its line end (an editor's or echo's)."""
        variable = f"{self.model_config.get('env_prefix', '')}DATABASE_PASSWORD_FILE".upper()
        try:
            text = Path(self.database_password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{variable} {self.database_password_file} cannot be read: "
                             f"{exc.strerror}") from None
        password = text.rstrip("\r\n")
        if not password:
            raise ValueError(f"{variable} {self.database_password_file} is empty")
        return password

    @property
    def resolved_database_url(self) -> str:
        """The configured URL (with the password from ``database_password_file`` when set),
        or the embedded SQLite file under the data folder."""
        if self.database_url:
            if self.database_password_file is None:
                return self.database_url
            from sqlalchemy.engine import make_url

            url = make_url(self.database_url).set(password=self._database_password())
            return url.render_as_string(hide_password=False)
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
