"""Fault injection: every provider against a real HTTP server on 127.0.0.1 that misbehaves in each way we know of.

For each case: the right service check, message and tags, nothing escapes but the check's own error, no partial or
zero values, the canary key nowhere (logs at DEBUG, tags, messages, error text), a cooldown kept where the provider
asked for one, and the next good reply is collected with its tags.
"""

import logging
import socket
import struct
import threading

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.llm_inference import providers

from .common import JSON, assert_agent_conventions, provider_test_module
from .provider_server import ProviderServer, Reply

CANARY = 'sk-CANARY-7f3e9b21d04c'
OK, WARNING, CRITICAL = AgentCheck.OK, AgentCheck.WARNING, AgentCheck.CRITICAL


# Each provider's row is declared in its own test module (`FAULTS`, built with common.fault_rows): a new provider adds
# its row there, not here. This file names no provider.
PROVIDERS = {name: provider_test_module(name).FAULTS for name in providers.PROVIDERS}


def reset_connection(handler):
    """Close with RST before any reply."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    handler.connection.close()
    handler.close_connection = True


def truncated(handler):
    """Announce 100 kB, send 1 kB, hang up."""
    handler.send_response(200)
    handler.send_header('Content-Type', 'text/plain')
    handler.send_header('Content-Length', '100000')
    handler.end_headers()
    handler.wfile.write(b'x' * 1000)
    handler.wfile.flush()
    handler.connection.shutdown(socket.SHUT_RDWR)
    handler.close_connection = True


DRIPS = []  # (done Event, outcome list) of each dripping reply: whether the check hung up before the drip ended


def drip(head, body=b'x' * 10000, every=0.05, headers_too=False):
    """Send the reply a byte at a time (each byte well within `timeout`) for 4 s, 8 times the `timeout`, unless the
    check hangs up first (its deadline), which is recorded."""
    done, outcome = threading.Event(), []
    DRIPS.append((done, outcome))

    def write(handler):
        data = head + body
        sent = 0 if headers_too else len(head)
        try:
            if not headers_too:
                handler.wfile.write(head)
            for i in range(sent, min(len(data), sent + int(4 / every))):
                handler.wfile.write(data[i : i + 1])
                handler.wfile.flush()
                threading.Event().wait(every)
            outcome.append('dripped to the end')
        except OSError:
            outcome.append('the check hung up')
        handler.close_connection = True
        done.set()

    return write


DRIP_HEAD = b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10000\r\n\r\n'


def close_delimited(body):
    """A reply without Content-Length or chunking, ended by closing the connection: here in the middle of a line."""

    def write(handler):
        handler.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n')
        handler.wfile.write(body.encode())
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True

    return write


def cut_mid_line(p):
    """The good reply, cut in the middle of its last value (a text's `12.5` arrives as `12`)."""
    text = p['good']().body
    if p['kind'] == 'text':
        text = text.rstrip('\n')
        return close_delimited(text[: text.rfind('.') if '.' in text[-8:] else len(text) - 1])
    return close_delimited(text[: text.rfind('"') - 2])


def own_series(p):
    """The name of the first series of the provider's good reply (`up` where it is JSON)."""
    if p['kind'] != 'text':
        return 'up'
    line = next(line for line in p['good']().body.splitlines() if line and not line.startswith('#'))
    return line.split('{')[0].split()[0]


def two_retry_after(handler):
    handler.send_response(429)
    handler.send_header('Retry-After', '120')
    handler.send_header('Retry-After', '30')
    handler.send_header('Content-Length', '0')
    handler.end_headers()


# id -> (reply factory, {kind or provider: (status, needle, ...)}); a missing entry means the case does not apply.
# A provider's own expectations of a case (its messages) are in its row (`messages`), and come first.
# A case named by an HTTP status is that reply: its error text and the request's outcome tag say the status too.
CASES = {
    '401': (lambda p: Reply(401, 'unauthorized'), {'*': (CRITICAL, 'HTTP 401', 'check `api_key`')}),
    '403': (
        lambda p: Reply(403, 'forbidden'),
        {'*': (CRITICAL, 'HTTP 403')},
    ),
    '404': (
        lambda p: Reply(404, 'not found'),
        {'*': (CRITICAL, 'HTTP 404')},
    ),
    '429 Retry-After seconds': (
        lambda p: Reply(429, 'slow', {'Retry-After': '90'}),
        {'*': (WARNING, 'HTTP 429', 'no request for')},
    ),
    '429 Retry-After date': (
        lambda p: Reply(429, 'slow', {'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT'}),
        {'*': (WARNING, 'HTTP 429')},
    ),
    '429 no Retry-After': (lambda p: Reply(429, 'slow'), {'*': (WARNING, 'HTTP 429')}),
    '500': (lambda p: Reply(500, 'boom'), {'*': (CRITICAL, 'HTTP 500')}),
    '502': (
        lambda p: Reply(502, '<html>Bad gateway</html>', {'Content-Type': 'text/html'}),
        {'*': (CRITICAL, 'HTTP 502')},
    ),
    '503': (
        lambda p: Reply(503, 'unavailable'),
        {'*': (CRITICAL, 'HTTP 503')},
    ),
    'slower than timeout': (
        lambda p: p['good']().__class__(body='late', delay=1.2),
        {'*': (CRITICAL, 'no complete reply within the 0.5 s `timeout`')},
    ),
    'reset connection': (lambda p: Reply(raw=reset_connection), {'*': (CRITICAL, 'closed the connection')}),
    'truncated body': (lambda p: Reply(raw=truncated), {'*': (CRITICAL, 'cut off')}),
    'HTML error page (200)': (
        lambda p: Reply(200, '<!DOCTYPE html>\n<html><body>Sign in</body></html>\n', {'Content-Type': 'text/html'}),
        {'text': (CRITICAL, 'malformed exposition text'), 'json': (CRITICAL, 'not JSON')},
    ),
    'empty body': (
        lambda p: Reply(200, ''),
        {'text': (WARNING, 'no metrics of the catalog'), 'json': (CRITICAL, 'not JSON')},
    ),
    'malformed lines': (
        lambda p: Reply(200, '{0}{{deployment_id="a" 1\n{0}{{ 3\n'.format(own_series(p))),
        {'text': (CRITICAL, 'malformed exposition text')},
    ),
    # The provider's own series, some NaN or infinite (its row's `nan`), or one repeated (`duplicates`).
    'NaN and Inf values': (lambda p: Reply(200, p['nan'][0], JSON if p['kind'] == 'json' else {}), {'*': (OK, '')}),
    'duplicate series': (lambda p: Reply(200, p['duplicates'][0]), {'text': (OK, '')}),
    '50 MB payload': (
        lambda p: Reply(200, b'# ' + b'x' * (50 * 1024 * 1024) + b'\n', JSON if p['kind'] == 'json' else {}),
        {'*': (CRITICAL, '`max_response_bytes`')},
    ),
    'non-UTF-8 bytes': (
        lambda p: Reply(
            200, own_series(p).encode() + b'{endpoint="\xff\xfe"} 3\n', JSON if p['kind'] == 'json' else {}
        ),
        {'text': (CRITICAL, 'not UTF-8'), 'json': (CRITICAL, 'not UTF-8')},
    ),
    'Retry-After a Unicode digit': (
        lambda p: Reply(429, 'slow', {'Retry-After': '\u00b2'}),
        {'*': (WARNING, 'no request for 6')},  # the default 60 s (plus jitter), not an exception
    ),
    'two Retry-After headers': (lambda p: Reply(raw=two_retry_after), {'*': (WARNING, 'no request for 1')}),
    'reply dripping a byte at a time': (lambda p: Reply(raw=drip(DRIP_HEAD)), {'*': (CRITICAL, '`timeout`')}),
    'headers dripping a byte at a time': (
        lambda p: Reply(raw=drip(DRIP_HEAD, headers_too=True)),
        {'*': (CRITICAL, '`timeout`')},
    ),
    'close-delimited reply cut mid-line': (lambda p: Reply(raw=cut_mid_line(p)), {'*': (CRITICAL, 'cut off')}),
    'redirect loop': (
        lambda p: [Reply(302, '', {'Location': p['path']})] * 5,
        {'*': (CRITICAL, 'redirected more than 3 times')},
    ),
    'redirect, then the reply': (lambda p: Reply(307, '', {'Location': p['path'] + '?moved=1'}), {'*': (OK, '')}),
    'JSON of the wrong shape': (
        lambda p: Reply(200, '{"status": "success", "data": {"resultType": "vector", "result": {"a": 1}}}', JSON),
        {'text': (CRITICAL, 'malformed exposition text'), 'json': (CRITICAL, 'not a list')},
    ),
}


def expectation(case, provider):
    table = CASES[case][1]
    p = PROVIDERS[provider]
    return p['messages'].get(case) or table.get(p['kind']) or table.get('*')


MATRIX = [(c, p) for c in CASES for p in PROVIDERS if expectation(c, p) is not None]
COOLS_DOWN = {'429 Retry-After seconds'}  # the run after it, within the Retry-After, makes no request


def test_every_provider_meets_the_faults():
    assert sorted(PROVIDERS) == sorted(providers.PROVIDERS)
    for name, spec in PROVIDERS.items():
        assert spec['setup'].name == name and spec['setup'] is provider_test_module(name).SETUP
        # Its own NaN reply, and a scraped provider's own duplicated series: no case is left out for want of them.
        assert spec['nan'] and (spec['duplicates'] or spec['kind'] != 'text'), name


@pytest.mark.parametrize('case, provider', MATRIX, ids=['{}-{}'.format(p, c) for c, p in MATRIX])
def test_fault(dd_run_check, aggregator, caplog, clock, case, provider):
    spec = PROVIDERS[provider]
    status, *needles = expectation(case, provider)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger='urllib3')  # datadog-api-client (other tests) sets it to WARNING
    with ProviderServer(api_key=CANARY, scheme=providers.PROVIDERS[provider].AUTH_SCHEME) as server:
        fault = CASES[case][0](spec)
        if case == '401':
            server.api_key = None  # the server itself refuses; then accepts the canary for the good reply
        server.reply(spec['path'], *(fault if isinstance(fault, list) else [fault]), spec['good']())
        check = spec['setup'].check(server, api_key=CANARY, timeout=0.5)
        error = check.run()
        # Each request the provider received is one the check meant to send: no hidden retry, each hop counted.
        sent = len(server.requests)
        assert sent == {'redirect loop': 4, 'redirect, then the reply': 2}.get(case, 1), server.requests
        outcomes = sum(m.value for m in aggregator.metrics('llm_inference.integration.requests'))
        assert outcomes == sent

        if 'dripping' in case:
            done, outcome = DRIPS[-1]
            assert done.wait(10) and outcome == ['the check hung up']  # at its deadline, not when the drip ended

        (sc,) = aggregator.service_checks('llm_inference.can_connect')
        assert sc.status == status, sc.message
        for needle in needles:
            assert needle in (sc.message or ''), sc.message
        assert sc.tags == spec['setup'].tags
        assert_agent_conventions(aggregator)
        assert bool(error) == (status == CRITICAL)
        if case == 'slower than timeout':
            assert 'timeout' in error
        if case.isdigit():
            assert 'HTTP ' + case in error
            outcome = 'outcome:http_{}xx'.format(case[0])
            aggregator.assert_metric('llm_inference.integration.requests', 1, tags=spec['setup'].tags + [outcome])
        values = {
            n: [m.value for m in aggregator.metrics(n)]
            for n in aggregator.metric_names
            if not n.startswith('llm_inference.integration.')
        }
        if status != OK:
            assert values == {}, 'a failed run submitted values'
        elif case == 'NaN and Inf values':
            finite = [v for vs in values.values() for v in vs]
            assert finite and all(v == v and abs(v) != float('inf') for v in finite)
            assert sorted(finite) == spec['nan'][1], values
        elif case == 'duplicate series':
            # The first of the duplicated series counts, not their sum or the last.
            assert sorted(v for vs in values.values() for v in vs) == spec['duplicates'][1]

        if case in COOLS_DOWN:
            aggregator.assert_metric('llm_inference.integration.rate_limited', 1)
            # The next run is inside the cooldown: no request is made, and it says so.
            aggregator.reset()
            dd_run_check(check)  # a WARNING is not an error of the check
            assert len(server.requests) == sent
            (cooling,) = aggregator.service_checks('llm_inference.can_connect')
            assert cooling.status == WARNING and 'cooling down' in cooling.message
            aggregator.assert_metric('llm_inference.integration.runs_skipped', 1)

        # After the fault: time passes (any cooldown ends), and the next good reply is collected normally.
        clock.t += 3600
        aggregator.reset()
        server.replies[spec['path']] = [spec['good']()]
        dd_run_check(check)
        aggregator.assert_service_check('llm_inference.can_connect', OK, count=1)
        name, value, tags = spec['probe']
        aggregator.assert_metric(name, value, tags=tags, count=1)
        assert_agent_conventions(aggregator)

    # The canary is nowhere: not in any log record (DEBUG included), tag, message or error text.
    assert CANARY not in caplog.text
    assert CANARY not in (error or '')
    for record in caplog.records:
        assert CANARY not in record.getMessage()
    assert CANARY not in sc.message
    for name in aggregator.metric_names:
        for m in aggregator.metrics(name):
            assert not [t for t in m.tags if CANARY in t]
