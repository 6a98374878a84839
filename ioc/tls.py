"""Self-signed TLS certificates for a deployment without its own (`ioc certs`, run by the
`certs` service of docker-compose.yml on first start) and for the tests: a private CA and, signed
by it, a server certificate for the broker's TLS listener and one for the HTTPS proxy in front
of the dashboard. Made with the `cryptography` library (ECDSA P-256, SHA-256).

Files in the folder: `ca.crt` (give it to devices and browsers that must trust the broker and
the dashboard), `ca.key`, `broker.crt`/`broker.key`, `dashboard.crt`/`dashboard.key`. A file that
already exists is kept — put the operator's own certificate there and nothing is made.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 825  # what browsers accept for a server certificate
SERVERS = ("broker", "dashboard")


@dataclass(frozen=True)
class KeyPair:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cao Bằng IOC"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_ca(common_name: str = "Cao Bằng IOC local CA") -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def make_server(ca: KeyPair, hosts: list[str] | tuple[str, ...]) -> KeyPair:
    """A server certificate for `hosts` (names or IP addresses), signed by `ca`."""
    if not hosts:
        raise ValueError("a server certificate needs at least one host name")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def _write(path: Path, data: bytes, private: bool) -> None:
    path.write_bytes(data)
    path.chmod(0o600 if private else 0o644)


def _load(folder: Path, name: str) -> KeyPair:
    key = serialization.load_pem_private_key((folder / f"{name}.key").read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{folder / name}.key: not an EC key made by `ioc certs`")
    return KeyPair(key, x509.load_pem_x509_certificate((folder / f"{name}.crt").read_bytes()))


def ensure_certificates(folder: Path, hosts: list[str]) -> list[str]:
    """Make what is missing in `folder` (see the module); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    missing = [n for n in SERVERS if not (folder / f"{n}.crt").exists()]
    if not missing:
        return written
    if (folder / "ca.crt").exists() and (folder / "ca.key").exists():
        ca = _load(folder, "ca")
    else:
        ca = make_ca()
        _write(folder / "ca.key", ca.key_pem(), private=True)
        _write(folder / "ca.crt", ca.cert_pem(), private=False)
        written += ["ca.crt", "ca.key"]
    for name in missing:
        pair = make_server(ca, hosts)
        _write(folder / f"{name}.key", pair.key_pem(), private=True)
        _write(folder / f"{name}.crt", pair.cert_pem(), private=False)
        written += [f"{name}.crt", f"{name}.key"]
    return written
