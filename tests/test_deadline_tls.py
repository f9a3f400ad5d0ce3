"""The run's deadline over HTTPS: the base's TLS adapter carries the budget and the deadline too, and a reply that
drips a byte at a time through TLS is cut off at the deadline. A TLS server on 127.0.0.1 with a certificate made
here."""

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

from datadog_checks.base import AgentCheck

from .common import FIREWORKS, catalog_values, fixture_text


@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
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


class TLSServer:
    """Answers each connection with `reply(connection)` after reading the request head."""

    def __init__(self, certificate, reply):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*certificate)
        self.sock = socket.create_server(('127.0.0.1', 0))
        self.url = 'https://127.0.0.1:{}'.format(self.sock.getsockname()[1])
        self.reply = reply
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _handle(self, raw):
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                head = b''
                while b'\r\n\r\n' not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                self.requests += 1
                self.reply(conn)
        except OSError:
            pass  # the check hung up

    def close(self):
        self.sock.close()


def whole(conn):
    body = fixture_text('fireworks_untyped.txt').encode()
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)


DRIPPED = []  # whether the check hung up (at its deadline) before the drip ended


def dripping(conn):
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n')
    try:
        for _ in range(80):  # 4 s, 8 times the 0.5 s `timeout`, each byte well within it
            conn.sendall(b'x')
            threading.Event().wait(0.05)
        DRIPPED.append('dripped to the end')
    except OSError:
        DRIPPED.append('the check hung up')
        raise


@pytest.mark.parametrize(
    'reply, status, needle', [(whole, AgentCheck.OK, ''), (dripping, AgentCheck.CRITICAL, '`timeout`')]
)
def test_tls(aggregator, certificate, reply, status, needle):
    server = TLSServer(certificate, reply)
    try:
        FIREWORKS.check(server, tls_ca_cert=certificate[0], timeout=0.5).run()
    finally:
        server.close()
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == status, sc.message
    assert needle in (sc.message or '')
    assert server.requests == 1
    if status == AgentCheck.OK:
        aggregator.assert_metric('llm_inference.requests.rate', 12.5, count=1)
    else:
        for _ in range(200):  # the server notices the hang-up at its next byte
            if DRIPPED:
                break
            threading.Event().wait(0.05)
        assert DRIPPED == ['the check hung up']
        assert 'cut off' not in sc.message
        assert catalog_values(aggregator) == []
