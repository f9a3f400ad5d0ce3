"""The transport on the base's public HTTP API: the auth scheme a provider declares, connections and cookies kept only
when the user asks, no TLS context for an http:// URL, and `iter_capped` (size cap and deadline per chunk) for any
client's response."""

import ssl
import threading

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.llm_inference import transport
from datadog_checks.llm_inference.errors import ReplyTooLarge
from datadog_checks.llm_inference.providers import PROVIDERS
from simulator.local_server import send

from .common import API_KEY, JSON, fixture_text, vector
from .provider_server import ProviderServer, Reply
from .test_fireworks import FIREWORKS
from .test_promql_provider import PROMQL


def test_the_declared_auth_scheme_builds_the_header(dd_run_check, aggregator):
    class ApiKeyProvider(PROVIDERS['fireworks']):
        AUTH_SCHEME = 'Api-Key'

    assert PROVIDERS['fireworks'].AUTH_SCHEME == 'Bearer'  # the default every other provider keeps
    with ProviderServer() as server:
        server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
        dd_run_check(ApiKeyProvider('llm_inference', {}, [FIREWORKS.instance(server)]))
        dd_run_check(FIREWORKS.check(server))
        assert [r.headers['Authorization'] for r in server.requests] == ['Api-Key ' + API_KEY, 'Bearer ' + API_KEY]
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=2)


def connection_recorder(seen):
    """The good reply, with a cookie; records each request's client port and the cookie it sent back."""

    def write(handler):
        seen.append((handler.client_address[1], handler.headers.get('Cookie')))
        send(handler, 200, fixture_text('fireworks_untyped.txt').encode(), {'Set-Cookie': 'session=s1; Path=/'})

    return write


@pytest.mark.parametrize('persist', [False, True])
def test_connections_and_cookies_last_a_run_unless_the_user_asks(dd_run_check, aggregator, clock, persist):
    seen = []
    with ProviderServer() as server:
        server.reply(FIREWORKS.path, Reply(raw=connection_recorder(seen)))
        check = FIREWORKS.check(server, persist_connections=persist, min_collection_interval=5)
        for _ in range(3):
            dd_run_check(check)
            clock.t += 60
    (first_port, first_cookie), *later = seen
    assert first_cookie is None and len(later) == 2
    if persist:
        assert later == [(first_port, 'session=s1')] * 2
    else:
        assert all(port != first_port and cookie is None for port, cookie in later)
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=3)


def test_no_tls_context_is_built_for_an_http_url(dd_run_check, aggregator, monkeypatch):
    """Loading CA certificates costs ~20 ms: an http:// instance never does it (the base builds its TLS context for
    an https URL, on its first request)."""
    loads = []
    for name in ('load_default_certs', 'load_verify_locations'):
        original = getattr(ssl.SSLContext, name)
        monkeypatch.setattr(
            ssl.SSLContext, name, lambda self, *a, _o=original, _n=name, **k: loads.append(_n) or _o(self, *a, **k)
        )
    with ProviderServer() as server:
        server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
        check = FIREWORKS.check(server)
        dd_run_check(check)
        dd_run_check(check)
    assert loads == []
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=2)


class Chunks:
    """A response of a client without urllib3's `raw` (iter_content only), its body in the given chunks."""

    def __init__(self, chunks, headers=None, pause=0.0):
        self.chunks, self.headers, self.pause = chunks, headers or {}, pause

    def iter_content(self, chunk_size):
        for chunk in self.chunks:
            threading.Event().wait(self.pause)
            yield chunk


def make_transport(timeout):
    return transport.Transport(None, timeout, lambda value: None, lambda outcome: None)


def test_iter_capped_yields_the_chunks_within_the_cap():
    assert list(transport.iter_capped(Chunks([b'ab', b'cd']), 4)) == [b'ab', b'cd']
    assert transport.read_capped(Chunks([b'ab', b'cd']), 4) == b'abcd'
    with pytest.raises(ReplyTooLarge, match='at least 6'):
        list(transport.iter_capped(Chunks([b'abc', b'def']), 5))
    with pytest.raises(ReplyTooLarge, match='10 > 5'):  # refused on the declared length, before any chunk
        next(transport.iter_capped(Chunks([b'never read'], {'Content-Length': '10'}), 5))


def test_iter_capped_ends_at_the_run_deadline():
    run = make_transport(0.2)
    run.start()
    try:
        chunks = transport.iter_capped(Chunks([b'x'] * 100, pause=0.05), 1000)
        read = []
        with pytest.raises(TimeoutError, match='`timeout`'):
            for chunk in chunks:
                read.append(chunk)
        assert 1 <= len(read) <= 6
    finally:
        run.finish()
    assert len(list(transport.iter_capped(Chunks([b'x'] * 3), 10))) == 3  # no run open: no deadline


@pytest.mark.parametrize(
    'old, new, same',
    [
        ('http://h:8080/a', 'http://h:8080/b?x=1', True),
        ('http://h/a', 'https://h/a', True),  # the usual upgrade
        ('https://h/a', 'http://h/a', False),  # a downgrade
        ('http://h/a', 'http://h:8080/a', False),
        ('http://127.0.0.1/a', 'http://localhost/a', False),
    ],
)
def test_which_redirects_keep_credentials(old, new, same):
    assert transport.same_origin(old, new) is same


def test_the_base_s_auth_token_retry_draws_from_the_budget(dd_run_check, aggregator, clock, tmp_path):
    """With `auth_token`, the base sends a failed request again with a renewed token: two requests, both drawn from
    the budget before the first is sent, both counted."""
    token = tmp_path / 'token'
    token.write_text('tok-123456\n')
    with ProviderServer() as server:
        server.reply(PROMQL.path, Reply(500, 'boom'), Reply(body=vector(({'model': 'm1'}, '1.5')), headers=JSON))
        check = PROMQL.check(
            server,
            requests_per_minute=3,
            auth_token={
                'reader': {'type': 'file', 'path': str(token)},
                'writer': {'type': 'header', 'name': 'X-Auth-Token', 'value': 'Token <TOKEN>'},
            },
        )
        dd_run_check(check)
        assert [r.headers['X-Auth-Token'] for r in server.requests] == ['Token tok-123456'] * 2
        aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)
        for outcome in ('http_5xx', 'ok'):
            aggregator.assert_metric(
                'llm_inference.integration.requests', 1, tags=PROMQL.tags + ['outcome:' + outcome], count=1
            )
        aggregator.reset()
        dd_run_check(check)  # two more do not fit in the minute's 3: no request
        assert len(server.requests) == 2
        (sc,) = aggregator.service_checks('llm_inference.can_connect')
        assert sc.status == AgentCheck.WARNING and 'budget of 3 a minute' in sc.message
