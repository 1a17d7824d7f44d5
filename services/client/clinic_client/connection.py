"""Where the services are, how to reach them and who is calling, from the environment.

| variable | default | meaning |
|---|---|---|
| `CLINIC_INTAKE_ADDRESS` / `CLINIC_SCHEDULING_ADDRESS` / `CLINIC_BILLING_ADDRESS` | 127.0.0.1:50051 / 50052 / 50053 | `host:port` of each service |
| `CLINIC_TOKEN` | unset | the bearer token calls carry |
| `CLINIC_TOKEN_FILE` | unset | a file holding it (read at each call, so a renewed token is used) |
| `CLINIC_TLS_CA_FILE` | unset (plaintext) | call over TLS, trusting this CA (`system` for the system roots) |
| `CLINIC_TLS_CERT_FILE` / `CLINIC_TLS_KEY_FILE` | unset | a client certificate, where the services ask for one |
| `CLINIC_DEADLINE_SECONDS` | 10 | how long one try of a call may take |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from clinic_client.billing import BillingClient
from clinic_client.calls import Caller
from clinic_client.intake import IntakeClient
from clinic_client.scheduling import SchedulingClient

PORTS = {"intake": 50051, "scheduling": 50052, "billing": 50053}
# The largest message the command sends or takes: a big 835 and the postings
# ImportRemittance answers with (about 100 bytes a claim) exceed gRPC's 4 MiB default.
# Each service still bounds what it accepts (<SVC>_MAX_MESSAGE_BYTES).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                   ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]


class NoToken(Exception):
    """No token is configured."""


@dataclass
class Settings:
    addresses: dict[str, str] = field(default_factory=lambda: {
        name: f"127.0.0.1:{port}" for name, port in PORTS.items()})
    token: str = ""
    token_file: Path | None = None
    tls_ca_file: str = ""
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    deadline: float = 10.0

    @classmethod
    def from_environment(cls, environ=os.environ) -> Settings:
        settings = cls()
        for name in PORTS:
            settings.addresses[name] = environ.get(f"CLINIC_{name.upper()}_ADDRESS",
                                                   settings.addresses[name])
        settings.token = environ.get("CLINIC_TOKEN", "").strip()
        settings.token_file = _path(environ.get("CLINIC_TOKEN_FILE"))
        settings.tls_ca_file = environ.get("CLINIC_TLS_CA_FILE", "")
        settings.tls_cert_file = _path(environ.get("CLINIC_TLS_CERT_FILE"))
        settings.tls_key_file = _path(environ.get("CLINIC_TLS_KEY_FILE"))
        settings.deadline = float(environ.get("CLINIC_DEADLINE_SECONDS", "10"))
        return settings

    def bearer(self) -> str:
        if self.token:
            return self.token
        if self.token_file is not None:
            return self.token_file.read_text().strip()
        raise NoToken("no token: set CLINIC_TOKEN (for the embedded default: "
                      "export CLINIC_TOKEN=$(clinic token issue --sub ME --role ROLE))")

    def channel(self, service: str) -> grpc.Channel:
        address = self.addresses[service]
        if not self.tls_ca_file:
            return grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
        roots = None if self.tls_ca_file == "system" else Path(self.tls_ca_file).read_bytes()
        credentials = grpc.ssl_channel_credentials(
            root_certificates=roots,
            private_key=self.tls_key_file.read_bytes() if self.tls_key_file else None,
            certificate_chain=self.tls_cert_file.read_bytes() if self.tls_cert_file else None)
        return grpc.secure_channel(address, credentials, options=CHANNEL_OPTIONS)


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


class Clinic:
    """The three services as typed clients (``clinic.intake.register_patient(...)``,
    ``clinic.scheduling.book_appointment(...)``, ``clinic.billing.get_account(...)``); any
    method of theirs is also callable by name with the same token, deadline and retries
    (``clinic.scheduling.call("clinic.scheduling.v1.X/Y", ...)``, ``.pages(...)``)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._channels = {name: settings.channel(name) for name in PORTS}
        callers = {name: Caller(channel, token=settings.bearer, deadline=settings.deadline)
                   for name, channel in self._channels.items()}
        self.intake = IntakeClient(callers["intake"])
        self.scheduling = SchedulingClient(callers["scheduling"])
        self.billing = BillingClient(callers["billing"])

    @classmethod
    def from_environment(cls) -> Clinic:
        return cls(Settings.from_environment())

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()

    def __enter__(self) -> Clinic:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
