"""A TLS server on 127.0.0.1 with a certificate made here (a CA certificate that is also the server's), and a
raw TCP server that answers every request with one fixed reply (a proxy that asks for credentials)."""

import datetime
import ipaddress
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .common import fixture_text


@pytest.fixture(scope='module', name='certificate')
def make_certificate(tmp_path_factory):
    """(certificate file, key file): a self-signed certificate for 127.0.0.1, its key not encrypted."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp('tls')
    cert_path, key_path = folder / 'cert.pem', folder / 'key.pem'
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


def read_head(conn):
    """The request head (up to its blank line), or None when the client hung up first."""
    head = b''
    while b'\r\n\r\n' not in head:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        head += chunk
    return head


class Listener:
    """Accepts connections on 127.0.0.1 and hands each to `handle(socket)`, in a thread of its own."""

    def __init__(self):
        self.sock = socket.create_server(('127.0.0.1', 0))
        self.address = '127.0.0.1:{}'.format(self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._guarded, args=(raw,), daemon=True).start()

    def _guarded(self, raw):
        try:
            self.handle(raw)
        except OSError:
            pass  # the check hung up

    def close(self):
        self.sock.close()


class TLSServer(Listener):
    """Answers each connection with `reply(connection)` after reading the request head."""

    def __init__(self, certificate, reply):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*certificate)
        self.reply = reply
        self.requests = 0
        super().__init__()
        self.url = 'https://' + self.address

    def handle(self, raw):
        with self.context.wrap_socket(raw, server_side=True) as conn:
            if read_head(conn) is not None:
                self.requests += 1
                self.reply(conn)


def complete(fixture):
    """A complete reply: the fixture payload `fixture` (tests/fixtures/), read when the reply is sent."""

    def write(conn):
        body = fixture_text(fixture).encode()
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)

    return write


class FixedReplyServer(Listener):
    """Plain TCP: reads each request head (a proxied GET or a CONNECT alike) and answers `reply`, then hangs up."""

    def __init__(self, reply):
        self.reply = reply
        self.heads = []
        super().__init__()

    def handle(self, raw):
        with raw:
            head = read_head(raw)
            if head is not None:
                self.heads.append(head.decode('latin1'))
                raw.sendall(self.reply)
