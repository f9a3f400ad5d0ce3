"""HTTPS: the base's TLS adapter carries the budget and the deadline too, a reply that drips a byte at a time through
TLS is cut off at the deadline, and a TLS file named wrong is a CRITICAL run that names the option and the file. A
TLS server on 127.0.0.1 with a certificate made here (tls_server.py)."""

import threading

import pytest
from cryptography.hazmat.primitives import serialization

from datadog_checks.base import AgentCheck

from .common import catalog_values
from .test_fireworks import FIREWORKS
from .tls_server import TLSServer, complete, make_certificate  # noqa: F401 (the `certificate` fixture)


def whole(conn):
    """A complete reply: the Fireworks instance's own."""
    complete('fireworks_untyped.txt')(conn)


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


def encrypted_key(certificate, folder):
    """The certificate's key, encrypted with the password `right-password`."""
    with open(certificate[1], 'rb') as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    path = folder / 'encrypted.pem'
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b'right-password'),
        )
    )
    return str(path)


@pytest.mark.parametrize(
    'options, named',
    [
        ({'tls_ca_cert': '{missing}'}, ('`tls_ca_cert`', '{missing}', 'does not exist')),
        ({'tls_ca_cert': '{garbage}'}, ('`tls_ca_cert`', '{garbage}', 'no certificate')),
        ({'tls_cert': '{missing}', 'tls_private_key': '{key}'}, ('`tls_cert`', '{missing}', 'does not exist')),
        ({'tls_cert': '{cert}', 'tls_private_key': '{missing}'}, ('`tls_private_key`', '{missing}', 'does not exist')),
        ({'tls_cert': '{folder}', 'tls_private_key': '{key}'}, ('`tls_cert`', '{folder}', 'a folder')),
        ({'tls_cert': '{garbage}', 'tls_private_key': '{key}'}, ('`tls_cert`', '{garbage}', '`tls_private_key`')),
        (
            {'tls_cert': '{cert}', 'tls_private_key': '{encrypted}', 'tls_private_key_password': 'wrong-password'},
            ('`tls_private_key`', '{encrypted}', '`tls_private_key_password`'),
        ),
    ],
)
def test_a_missing_or_unreadable_tls_file_is_critical_and_named(aggregator, certificate, tmp_path, options, named):
    """Not an exception at construction, not "cannot connect (SSLError): check the URL, DNS..." (nor, on some bases,
    no service check at all): the option and its file, and nothing sent."""
    garbage = tmp_path / 'garbage.pem'
    garbage.write_text('not a certificate\n')
    paths = {
        'missing': str(tmp_path / 'missing.pem'),
        'garbage': str(garbage),
        'folder': str(tmp_path),
        'cert': certificate[0],
        'key': certificate[1],
        'encrypted': encrypted_key(certificate, tmp_path),
    }
    server = TLSServer(certificate, whole)
    try:
        options = dict({'tls_ca_cert': certificate[0]}, **{k: v.format(**paths) for k, v in options.items()})
        check = FIREWORKS.check(server, **options)  # never raises
        error = check.run()
    finally:
        server.close()
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.CRITICAL, sc.message
    for needle in named:
        assert needle.format(**paths) in sc.message, sc.message
    assert 'cannot connect' not in sc.message and 'SSLError' not in sc.message and 'wrong-password' not in sc.message
    assert sc.message in error
    assert server.requests == 0
