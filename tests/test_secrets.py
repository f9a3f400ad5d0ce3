"""No credential reaches any log record (every logger, DEBUG included), tag, metric, service-check message or error
text, wherever the user put it: `api_key`, `headers`, `extra_headers`, `auth_token`, `password`, a proxy URL, and
`api_url`'s user-info and query string. Each option holds its own canary; a server on 127.0.0.1 echoes what it
received (path, query and every header) in error bodies and error envelopes, as misbehaving proxies do."""

import base64
import logging
import uuid

import pytest

from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.redact import redact_url, scrub
from simulator.local_server import send

from .common import JSON, fixture_text, query_error, vector
from .provider_server import ProviderServer, Reply
from .test_fireworks import FIREWORKS
from .tls_server import FixedReplyServer, TLSServer, complete, make_certificate  # noqa: F401 (the `certificate` fixture)


def whole(conn):
    """A complete reply: the Fireworks instance's own."""
    complete('fireworks_untyped.txt')(conn)


CANARIES = {
    'api_key': 'sk-CANARY-apikey-5b1e',
    'headers Authorization': 'CANARY-hdr-auth-8c2d',
    'headers custom': 'CANARY-hdr-custom-77aa',
    'extra_headers': 'CANARY-extra-1f0c',
    'api_url password': 'CANARY-userinfo-9d3e',
    'api_url query': 'CANARY-query-42bf',
    'auth_token file': 'CANARY-tokenfile-6e6e',
    'password': 'CANARY-basic-3c3c',
    'proxy password': 'CANARY-proxy-0a0a',
}


def ok_json(warning=''):
    return vector(({'model': 'm1'}, '4.5'), warnings=[warning] if warning else ())


def echoed(handler):
    return ' '.join([handler.path] + ['{}: {}'.format(k, v) for k, v in handler.headers.items()])


def echo(status, envelope=False, warning=False):
    """A reply that repeats the request back: in a text body, an error envelope, or a `warnings` entry."""

    def write(handler):
        if warning:
            send(handler, 200, ok_json('partial response for ' + echoed(handler)).encode(), JSON)
        elif envelope:
            send(handler, status, query_error('rejected ' + echoed(handler)).encode(), JSON)
        else:
            send(handler, status, ('denied for ' + echoed(handler)).encode(), {'Content-Type': 'text/plain'})

    return write


SCENARIOS = {
    'ok with warnings': lambda kind: Reply(raw=echo(200, warning=True)) if kind == 'json' else good(kind),
    '401 echo': lambda kind: Reply(raw=echo(401)),
    '422 envelope echo': lambda kind: Reply(raw=echo(422, envelope=True)),
    '500 echo': lambda kind: Reply(raw=echo(500)),
    'timeout': lambda kind: Reply(body='late', delay=0.8),
    '429': lambda kind: Reply(429, 'slow', {'Retry-After': '1'}),  # last: the instance cools down after it
}


def good(kind):
    return Reply(body=fixture_text('fireworks_untyped.txt')) if kind == 'text' else Reply(body=ok_json(), headers=JSON)


def instances(server, tmp_path):
    """(kind, path the server answers, instance) for each place a credential can be put."""
    token_file = tmp_path / 'token'
    token_file.write_text(CANARIES['auth_token file'] + '\n')
    host = server.url.split('//')[1]
    query = [{'name': 'requests.rate', 'query': 'sum(x)'}]
    common = {'timeout': 0.5, 'log_requests': True, 'requests_per_minute': 0}
    return [
        (
            'json',
            '/a/api/v1/query',
            dict(
                common,
                provider='promql',
                api_url=server.url + '/a',
                queries=query,
                headers={
                    'Authorization': 'Bearer ' + CANARIES['headers Authorization'],
                    'X-Api-Token': CANARIES['headers custom'],
                },
            ),
        ),
        (
            'json',
            '/b/api/v1/query',
            dict(
                common,
                provider='promql',
                api_url='http://svc:{}@{}/b?token={}'.format(
                    CANARIES['api_url password'], host, CANARIES['api_url query']
                ),
                queries=query,
            ),
        ),
        (
            'text',
            '/v1/accounts/acme/metrics',
            dict(
                common,
                provider='fireworks',
                account_id='acme',
                api_key=CANARIES['api_key'] + '\n',  # as read from a secret file
                api_url=server.url + '/v1/accounts/acme/metrics?token=' + CANARIES['api_url query'],
                extra_headers={'X-Other': CANARIES['extra_headers']},
            ),
        ),
        (
            'json',
            '/d/api/v1/query',
            dict(
                common,
                provider='promql',
                api_url=server.url + '/d',
                queries=query,
                auth_token={
                    'reader': {'type': 'file', 'path': str(token_file)},
                    'writer': {'type': 'header', 'name': 'X-Auth-Token', 'value': 'Token <TOKEN>'},
                },
            ),
        ),
        (
            'json',
            '/e/api/v1/query',
            dict(
                common,
                provider='promql',
                api_url=server.url + '/e',
                queries=query,
                username='svc',
                password=CANARIES['password'],
            ),
        ),
        (
            'json',
            # Through a forward proxy (this same server): the request line holds the absolute URL.
            'http://{}/f/api/v1/query'.format(host),
            dict(
                common,
                provider='promql',
                api_url=server.url + '/f',
                queries=query,
                proxy={'http': 'http://proxyuser:{}@{}'.format(CANARIES['proxy password'], host)},
            ),
        ),
    ]


# The same credentials as a server can echo them: in `Basic` authorization headers.
ENCODED = {
    'password (basic)': base64.b64encode(('svc:' + CANARIES['password']).encode()).decode(),
    'api_url user-info (basic)': base64.b64encode(('svc:' + CANARIES['api_url password']).encode()).decode(),
    'proxy (basic)': base64.b64encode(('proxyuser:' + CANARIES['proxy password']).encode()).decode(),
}


def leaks(text):
    return [name for name, canary in {**CANARIES, **ENCODED}.items() if text and canary in text]


def record_texts(record):
    texts = [record.getMessage(), repr(record.args), record.exc_text or '', record.stack_info or '']
    if record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    return texts


def debug_everywhere(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger='urllib3')  # datadog-api-client (other tests) sets it to WARNING


def test_no_credential_anywhere(aggregator, caplog, tmp_path):
    debug_everywhere(caplog)
    errors = []
    with ProviderServer() as server:
        for kind, path, instance in instances(server, tmp_path):
            check = LlmInferenceCheck('llm_inference', {}, [instance])
            for scenario, reply in SCENARIOS.items():
                server.reply(path, reply(kind))
                errors.append(check.run())
        seen = [' '.join([r.path] + list(r.headers.values())) for r in server.requests]

    # The credentials did reach the server (so each scenario echoed them back to the check) ...
    everything_sent = ' '.join(seen)
    for name in ('headers Authorization', 'headers custom', 'extra_headers', 'api_url query', 'auth_token file'):
        assert CANARIES[name] in everything_sent, name
    assert 'sk-CANARY-apikey-5b1e\n' not in everything_sent and CANARIES['api_key'] in everything_sent  # stripped
    # ... and the libraries did log the requests (so the scrubbing below is not vacuous).
    messages = [r.getMessage() for r in caplog.records]
    assert any(r.name == 'urllib3.connectionpool' and 'token=***' in r.getMessage() for r in caplog.records)
    assert any('Sending GET request to' in m for m in messages)  # the base's `log_requests`
    assert any('query API warning' in m for m in messages)
    assert any('********' in m for m in messages)  # an echoed credential, masked

    # No credential in any record of any logger, at any level, nor in its arguments or exception text.
    for record in caplog.records:
        for text in record_texts(record):
            assert not leaks(text), (record.name, record.levelname, text)
    assert not leaks(caplog.text)
    for error in errors:
        assert not leaks(error), error
    for sc in aggregator.service_checks('llm_inference.can_connect'):
        assert not leaks(sc.message) and not leaks(' '.join(sc.tags)), sc
    for name in aggregator.metric_names:
        assert not leaks(name)
        for metric in aggregator.metrics(name):
            assert not leaks(' '.join(metric.tags)), metric
    # The key's surrounding whitespace was stripped, and said once per instance, without the key.
    stripped = [m for m in messages if 'leading or trailing whitespace' in m]
    assert len(stripped) == 1 and not leaks(stripped[0])


def test_connection_error_text_holds_no_url_credential(caplog):
    """requests' ConnectionError quotes the URL (path and query) it could not reach."""
    debug_everywhere(caplog)
    url = 'http://svc:{}@127.0.0.1:9/prom?token={}'.format(CANARIES['api_url password'], CANARIES['api_url query'])
    check = LlmInferenceCheck(
        'llm_inference', {}, [{'provider': 'promql', 'api_url': url, 'queries': [{'name': 'x', 'query': 'up'}]}]
    )
    error = check.run()
    assert (
        'cannot connect (ConnectionError)' in error and 'URL: http://127.0.0.1:9/prom/api/v1/query?token=***' in error
    )
    assert not leaks(error)
    for record in caplog.records:
        for text in record_texts(record):
            assert not leaks(text), text


@pytest.mark.parametrize(
    'url, shown',
    [
        ('https://user:pw@host:8443/p/a?token=abc&endpoint=e#frag', 'https://host:8443/p/a?token=***&endpoint=***'),
        ('https://host/p', 'https://host/p'),
        ('https://host/p?flag', 'https://host/p?flag'),
        ('http://[::1', '<unparsable url>'),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_scrub_free_text():
    text = '"GET /prom/api/v1/query?token=abc123&query=up HTTP/1.1" 200; see https://u:p@h/x?k=v.'
    assert scrub(text) == '"GET /prom/api/v1/query?token=***&query=*** HTTP/1.1" 200; see https://h/x?k=***'


def test_a_cross_host_redirect_drops_every_credential_header(dd_run_check, aggregator):
    """requests drops `Authorization` when a redirect leaves the host; custom credential headers go too."""
    with ProviderServer() as server:
        elsewhere = server.url.replace('127.0.0.1', 'localhost')
        server.reply('/prom/api/v1/query', Reply(302, '', {'Location': elsewhere + '/moved/api/v1/query'}))
        server.reply('/moved/api/v1/query', Reply(body=ok_json(), headers=JSON))
        instance = {
            'provider': 'promql',
            'api_url': server.url + '/prom',
            'api_key': CANARIES['api_key'],
            'headers': {'X-Api-Token': CANARIES['headers custom'], 'Accept': 'application/json'},
            'queries': [{'name': 'requests.rate', 'query': 'sum(x)'}],
        }
        dd_run_check(LlmInferenceCheck('llm_inference', {}, [instance]))
        first, second = server.requests
    assert first.headers['X-Api-Token'] == CANARIES['headers custom']
    assert first.headers['Authorization'] == 'Bearer ' + CANARIES['api_key']
    assert 'X-Api-Token' not in second.headers and 'Authorization' not in second.headers
    assert second.headers['Accept'] == 'application/json'
    aggregator.assert_metric('llm_inference.requests.rate', 4.5)


# Where else the base reads a TLS or proxy secret from: each its own canary.
MORE_CANARIES = {
    'tls_private_key_password': 'CANARY-tlskeypass-51d0',
    'init_config proxy password': 'CANARY-initproxy-2b2b',
    'Agent proxy password': 'CANARY-agentproxy-6f6f',
    'HTTP_PROXY password': 'CANARY-envproxy-4d4d',
}


def more_leaks(text):
    encoded = {
        name + ' (basic)': base64.b64encode(('proxyuser:' + canary).encode()).decode()
        for name, canary in MORE_CANARIES.items()
    }
    return [name for name, canary in {**MORE_CANARIES, **encoded}.items() if text and canary in text]


def test_no_tls_or_proxy_secret_in_any_record(aggregator, caplog, certificate, monkeypatch, datadog_agent):
    """`tls_private_key_password` is in the base's TLS DEBUG record (of a logger named by file path, which differs
    across versions of the base); proxies' passwords come from the instance, init_config, the Agent's configuration
    or the environment. None of them reaches any record of any logger."""
    debug_everywhere(caplog)
    cert, key = certificate
    tls = TLSServer(certificate, whole)
    try:
        check = FIREWORKS.check(
            tls,
            tls_ca_cert=cert,
            tls_cert=cert,
            tls_private_key=key,
            tls_private_key_password=MORE_CANARIES['tls_private_key_password'],
        )
        assert check.run() == ''
    finally:
        tls.close()

    def proxy(name):
        return 'http://proxyuser:{}@{}'.format(MORE_CANARIES[name], server.url.split('//')[1])

    query = {'provider': 'promql', 'queries': [{'name': 'requests.rate', 'query': 'sum(x)'}], 'timeout': 0.5}
    with ProviderServer() as server:
        # The reply's warning repeats the request's headers (`Proxy-Authorization` among them), and the check logs it.
        server.reply('http://{}/p/api/v1/query'.format(server.url.split('//')[1]), Reply(raw=echo(200, warning=True)))
        init_config = {'proxy': {'http': proxy('init_config proxy password')}}
        assert LlmInferenceCheck('llm_inference', init_config, [dict(query, api_url=server.url + '/p')]).run() == ''
        datadog_agent._config['proxy'] = {'http': proxy('Agent proxy password')}
        assert LlmInferenceCheck('llm_inference', {}, [dict(query, api_url=server.url + '/p')]).run() == ''
        datadog_agent._config['proxy'] = {}
        monkeypatch.setenv('HTTP_PROXY', proxy('HTTP_PROXY password'))
        for name in ('NO_PROXY', 'no_proxy', 'http_proxy'):
            monkeypatch.delenv(name, raising=False)
        assert LlmInferenceCheck('llm_inference', {}, [dict(query, api_url=server.url + '/p')]).run() == ''
        sent = ' '.join(' '.join(r.headers.values()) for r in server.requests)
    # Every proxy was used, its credentials sent, echoed back and logged (masked).
    assert len(server.requests) == 3 and sent.count('Basic ') == 3
    echoed_back = [r.getMessage() for r in caplog.records if 'Proxy-Authorization: ' in r.getMessage()]
    assert len(echoed_back) == 3 and all('Proxy-Authorization: Basic ********' in m for m in echoed_back)

    for record in caplog.records:
        for text in record_texts(record):
            assert not more_leaks(text), (record.name, record.levelname, text)
    for sc in aggregator.service_checks('llm_inference.can_connect'):
        assert not more_leaks(sc.message), sc
    # Where the base logs its TLS configuration (37.21 and later), the password is in it, masked.
    tls_records = [r.getMessage() for r in caplog.records if 'Creating SSL context' in r.getMessage()]
    assert all('tls_private_key_password' in m and '********' in m for m in tls_records)


PROXY_407 = (
    b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\n'
    b'Content-Length: 0\r\nConnection: close\r\n\r\n'
)


@pytest.mark.parametrize(
    'scheme, where, credentials, named',
    [
        ('http', 'instance', True, '`proxy.http` in the instance'),
        ('https', 'instance', False, '`proxy.https` in the instance'),  # a CONNECT refused
        ('https', 'init_config', True, '`proxy.https` in init_config'),
        ('http', 'agent', True, "`proxy.http` in the Agent's datadog.yaml"),
        ('https', 'environment', True, 'the environment variable `HTTPS_PROXY`'),
        ('http', 'api_url', False, 'none is configured for this URL'),  # `api_url` names the proxy itself
    ],
)
def test_a_407_names_the_proxy_and_its_credential_option(
    aggregator, datadog_agent, monkeypatch, scheme, where, credentials, named
):
    """Not "unexpected HTTP 407": which proxy (its URL without user-info) and which option holds its credentials."""
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY'):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    server = FixedReplyServer(PROXY_407)
    proxy = 'http://{}{}'.format(
        'proxyuser:{}@'.format(CANARIES['proxy password']) if credentials else '', server.address
    )
    init_config, instance = (
        {},
        {
            'provider': 'promql',
            'api_url': '{}://metrics.example.com/prom'.format(scheme),
            'queries': [{'name': 'requests.rate', 'query': 'sum(x)'}],
            'timeout': 2,
        },
    )
    if where == 'instance':
        instance['proxy'] = {scheme: proxy}
    elif where == 'init_config':
        init_config['proxy'] = {scheme: proxy}
    elif where == 'agent':
        datadog_agent._config['proxy'] = {scheme: proxy}
    elif where == 'environment':
        monkeypatch.setenv(scheme.upper() + '_PROXY', proxy)
    else:
        instance['api_url'] = 'http://{}/prom'.format(server.address)
    try:
        error = LlmInferenceCheck('llm_inference', init_config, [instance]).run()
    finally:
        server.close()
        datadog_agent._config['proxy'] = {}
    assert len(server.heads) == 1 and server.heads[0].startswith('CONNECT' if scheme == 'https' else 'GET')
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == LlmInferenceCheck.CRITICAL
    assert 'HTTP 407' in sc.message and 'unexpected' not in sc.message, sc.message
    assert named in sc.message and ('refused the credentials' if credentials else 'asked for credentials') in sc.message
    if where != 'api_url':
        assert 'the proxy http://{} '.format(server.address) in sc.message, sc.message
    assert not leaks(sc.message) and not leaks(error)
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=['provider:promql', 'outcome:http_4xx'])


def test_a_secret_is_masked_in_every_logger_even_one_made_later(caplog):
    """Not only the loggers the check knows of: a logger created after the check (named by file path, as the base
    names some of its own, or by any library) has its records scrubbed as they are made."""
    debug_everywhere(caplog)
    LlmInferenceCheck(
        'llm_inference',
        {},
        [
            {
                'provider': 'promql',
                'api_url': 'http://127.0.0.1:9/p',
                'password': CANARIES['password'],
                'username': 'svc',
                'queries': [{'name': 'x', 'query': 'up'}],
            }
        ],
    )
    name = '/opt/somewhere-{}/lib/module.py'.format(uuid.uuid4().hex)
    logging.getLogger(name).debug('config: %s', {'password': CANARIES['password']})
    try:
        raise ValueError('failed with ' + CANARIES['password'])
    except ValueError:
        logging.getLogger('another.library.{}'.format(uuid.uuid4().hex)).exception('oops')
    records = [r for r in caplog.records if r.name == name or r.name.startswith('another.library.')]
    assert len(records) == 2 and "'password': '********'" in records[0].getMessage()
    for record in records:
        for text in record_texts(record):
            assert not leaks(text), text
