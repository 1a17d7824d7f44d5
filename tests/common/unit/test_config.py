"""Settings: embedded defaults, and a bad value named at start."""

import pytest
from clinic_common.config import ConfigurationError, KafkaSettings, load
from clinic_intake.config import IntakeSettings


def test_defaults_run_the_embedded_mode(monkeypatch, tmp_path):
    monkeypatch.delenv("INTAKE_DATABASE_URL", raising=False)
    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path))
    settings = load(IntakeSettings)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/intake.db"
    assert settings.listen_port == 50051


def test_a_malformed_port_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("INTAKE_PORT", "not-a-port")
    with pytest.raises(ConfigurationError, match="INTAKE_PORT"):
        load(IntakeSettings)


def test_an_unsupported_database_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("INTAKE_DATABASE_URL", "mysql://x")
    with pytest.raises(ConfigurationError, match="INTAKE_DATABASE_URL"):
        load(IntakeSettings)


def test_broker_timeouts_are_configurable(monkeypatch):
    monkeypatch.setenv("KAFKA_MAX_POLL_INTERVAL_MS", "5000")
    monkeypatch.setenv("KAFKA_SESSION_TIMEOUT_MS", "6000")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "b1:9092,b2:9092")
    kafka = load(KafkaSettings)
    assert (kafka.max_poll_interval_ms, kafka.session_timeout_ms) == (5000, 6000)
    assert kafka.servers == ["b1:9092", "b2:9092"]


def test_a_bootstrap_without_port_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "localhost")
    with pytest.raises(ConfigurationError, match="KAFKA_BOOTSTRAP_SERVERS"):
        load(KafkaSettings)


def test_kafka_tls_and_sasl_settings_reach_every_client(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "scram-sha-512")
    monkeypatch.setenv("KAFKA_SASL_PLAIN_USERNAME", "intake")
    monkeypatch.setenv("KAFKA_SASL_PLAIN_PASSWORD", "s3cret")
    options = KafkaSettings().client_options()
    assert options == {"bootstrap_servers": ["127.0.0.1:9092"], "security_protocol": "SASL_SSL",
                       "bootstrap_timeout_ms": 30000,
                       "ssl_cafile": str(tmp_path / "ca.pem"), "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "intake", "sasl_plain_password": "s3cret"}


def test_an_unknown_kafka_security_protocol_is_named(monkeypatch):
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "TLS1.3")
    with pytest.raises(ConfigurationError, match="KAFKA_SECURITY_PROTOCOL"):
        load(KafkaSettings)


def test_the_database_password_comes_from_a_file_not_the_environment(monkeypatch, tmp_path):
    secret = tmp_path / "intake_db_password"
    secret.write_text("s3cr/t@pass\n")
    monkeypatch.setenv("INTAKE_DATABASE_URL", "postgresql+psycopg://intake@db:5432/intake")
    monkeypatch.setenv("INTAKE_DATABASE_PASSWORD_FILE", str(secret))
    settings = load(IntakeSettings)
    from sqlalchemy.engine import make_url

    url = make_url(settings.resolved_database_url)
    assert (url.username, url.password, url.host, url.database) == \
        ("intake", "s3cr/t@pass", "db", "intake")
    secret.write_text("rotated")
    assert make_url(settings.resolved_database_url).password == "rotated"


def test_a_missing_or_empty_password_file_fails_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("INTAKE_DATABASE_URL", "postgresql+psycopg://intake@db:5432/intake")
    monkeypatch.setenv("INTAKE_DATABASE_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="INTAKE_DATABASE_PASSWORD_FILE"):
        load(IntakeSettings)
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("INTAKE_DATABASE_PASSWORD_FILE", str(tmp_path / "empty"))
    with pytest.raises(ConfigurationError, match="is empty"):
        load(IntakeSettings)
