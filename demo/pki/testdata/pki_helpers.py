# pki_helpers.py, as in "Exploring HTTPS With Python".
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def generate_private_key(filename: str, passphrase: str):
    # An RSA key as the tutorial makes it: 2048 bits, e = 65537.
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # TraditionalOpenSSL + BestAvailableEncryption gives a legacy
    # "Proc-Type: 4,ENCRYPTED" PEM file (AES-256-CBC in today's versions).
    algorithm = serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
    with open(filename, "wb") as keyfile:
        keyfile.write(
            private_key.private_bytes(
                encoding=serialization.Encoding.PEM,
                format=serialization.PrivateFormat.TraditionalOpenSSL,
                encryption_algorithm=algorithm,
            )
        )
    return private_key


def _subject(**kwargs):
    # The five name parts the tutorial fills in, in its order.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, kwargs["country"]),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, kwargs["state"]),
            x509.NameAttribute(NameOID.LOCALITY_NAME, kwargs["locality"]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, kwargs["org"]),
            x509.NameAttribute(NameOID.COMMON_NAME, kwargs["hostname"]),
        ]
    )


def generate_public_key(private_key, filename, **kwargs):
    # A self-signed CA certificate valid for 30 days: subject and issuer
    # are the same name, and BasicConstraints says CA, with no path limit.
    subject = _subject(**kwargs)
    issuer = subject
    valid_from = datetime.now(timezone.utc)
    valid_to = valid_from + timedelta(days=30)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    public_key = builder.sign(private_key, hashes.SHA256())
    with open(filename, "wb") as certfile:
        certfile.write(public_key.public_bytes(serialization.Encoding.PEM))
    return public_key


def generate_csr(private_key, filename, **kwargs):
    # A certificate signing request: the same five-part name, plus the
    # DNS names the server answers to as a (non-critical) SAN extension.
    subject = _subject(**kwargs)
    alt_names = [x509.DNSName(name) for name in kwargs.get("alt_names", [])]
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    )
    csr = builder.sign(private_key, hashes.SHA256())
    with open(filename, "wb") as csrfile:
        csrfile.write(csr.public_bytes(serialization.Encoding.PEM))
    return csr


def sign_csr(csr, ca_public_key, ca_private_key, new_filename):
    # The CA signs: the CSR's name and key, the CA's name as issuer, 30
    # days, and every extension the CSR asked for, copied as is.
    valid_from = datetime.now(timezone.utc)
    valid_until = valid_from + timedelta(days=30)
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_public_key.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_until)
    )
    for extension in csr.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    public_key = builder.sign(private_key=ca_private_key, algorithm=hashes.SHA256())
    with open(new_filename, "wb") as keyfile:
        keyfile.write(public_key.public_bytes(serialization.Encoding.PEM))
