"""gRPC over TLS end to end, with certificates made here: server TLS, and mutual TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import grpc
import pytest
from clinic.audit.v1 import audit_service_pb2 as pb
from clinic.audit.v1 import audit_service_pb2_grpc as pb_grpc
from clinic_common.client import connect, static_token
from clinic_common.config import TlsSettings
from clinic_common.identity import Role
from clinic_common.server import ServiceHost
from clinic_devtools.testing import auth
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool = False,
                 server: bool = False) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(folder: Path, stem: str, certificate, key) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A clinic CA, a server certificate for 127.0.0.1, and a client certificate."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("clinic test CA", ca_key, _name("clinic test CA"), ca_key, ca=True)
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), \
        ec.generate_private_key(ec.SECP256R1())
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = _certificate("some other CA", stranger_key, _name("some other CA"), stranger_key,
                            ca=True)
    files = {}
    files["ca"], _ = _write(folder, "ca", ca, ca_key)
    files["other_ca"], _ = _write(folder, "other-ca", stranger, stranger_key)
    files["server_cert"], files["server_key"] = _write(
        folder, "server", _certificate("intake", server_key, ca.subject, ca_key, server=True),
        server_key)
    files["client_cert"], files["client_key"] = _write(
        folder, "client", _certificate("service:billing", client_key, ca.subject, ca_key),
        client_key)
    return files


@pytest.fixture
def start_tls_host(tmp_path):
    hosts = []

    def start(tls: TlsSettings) -> ServiceHost:
        host = ServiceHost("probe", host="127.0.0.1", port=0, tls=tls,
                           edge=auth.probe_edge(f"sqlite:///{tmp_path / 'probe.db'}"))
        host.start()
        hosts.append(host)
        return host

    yield start
    for host in hosts:
        host.stop()


def _list(channel) -> pb.ListAuditEventsResponse:
    return pb_grpc.AuditServiceStub(channel).ListAuditEvents(pb.ListAuditEventsRequest(),
                                                             timeout=5)


ADMIN = static_token(auth.token(Role.ADMIN, sub="auditor"))


def test_a_tls_server_serves_a_client_that_trusts_its_ca(pki, start_tls_host):
    host = start_tls_host(TlsSettings(cert_file=pki["server_cert"], key_file=pki["server_key"]))
    with connect(f"127.0.0.1:{host.port}", token=ADMIN,
                 tls=TlsSettings(ca_file=pki["ca"])) as channel:
        assert _list(channel).events == []


def test_a_tls_server_refuses_plaintext_and_untrusting_clients(pki, start_tls_host):
    host = start_tls_host(TlsSettings(cert_file=pki["server_cert"], key_file=pki["server_key"]))
    for tls in (None, TlsSettings(ca_file=pki["other_ca"])):  # no TLS; a CA that did not sign
        with connect(f"127.0.0.1:{host.port}", token=ADMIN, tls=tls) as channel, \
                pytest.raises(grpc.RpcError) as refused:
            _list(channel)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls_needs_a_client_certificate_from_the_clinic_ca(pki, start_tls_host):
    host = start_tls_host(TlsSettings(cert_file=pki["server_cert"], key_file=pki["server_key"],
                                      client_ca_file=pki["ca"]))
    address = f"127.0.0.1:{host.port}"
    with connect(address, token=ADMIN, tls=TlsSettings(ca_file=pki["ca"])) as channel, \
            pytest.raises(grpc.RpcError) as refused:
        _list(channel)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    client = TlsSettings(ca_file=pki["ca"], cert_file=pki["client_cert"],
                         key_file=pki["client_key"])
    with connect(address, token=ADMIN, tls=client) as channel:
        assert _list(channel).events == []


def test_tls_does_not_replace_the_token(pki, start_tls_host):
    host = start_tls_host(TlsSettings(cert_file=pki["server_cert"], key_file=pki["server_key"]))
    with connect(f"127.0.0.1:{host.port}", tls=TlsSettings(ca_file=pki["ca"])) as channel, \
            pytest.raises(grpc.RpcError) as refused:
        _list(channel)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_tls_settings_name_a_missing_or_lone_file(pki, tmp_path):
    with pytest.raises(ValueError, match="TLS_CERT_FILE and TLS_KEY_FILE"):
        TlsSettings(cert_file=pki["server_cert"])
    with pytest.raises(ValueError, match="no file"):
        TlsSettings(cert_file=tmp_path / "nope.crt", key_file=pki["server_key"])
