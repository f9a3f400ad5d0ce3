"""`llm_inference.can_connect` for each failure a scrape can meet: the status, a message that says what to fix, and
no catalog values from a failed run."""

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.llm_inference import LlmInferenceCheck

from .common import API_KEY, fixture_text
from .provider_server import Reply

FIREWORKS = ('/v1/accounts/acme/metrics', {'provider': 'fireworks', 'account_id': 'acme'}, ['account:acme'])
WAFER = (
    '/v1/endpoints/metrics/prometheus',
    {'provider': 'wafer', 'endpoint': 'e1.wafer.ai'},
    ['deployment:e1.wafer.ai'],
)


def make_check(server, provider, key=API_KEY, **extra):
    path, options, _ = provider
    return LlmInferenceCheck('llm_inference', {}, [dict(options, api_key=key, api_url=server.url + path, **extra)])


def catalog_values(aggregator):
    return [name for name in aggregator.metric_names if not name.startswith('llm_inference.integration.')]


@pytest.mark.parametrize(
    'provider, status, needle',
    [
        (FIREWORKS, 403, 'has metrics access'),
        (FIREWORKS, 404, 'check `account_id`'),
        (FIREWORKS, 500, 'HTTP 500'),
        (FIREWORKS, 503, 'next run retries'),
        (WAFER, 403, 'serverless (pass.wafer.ai) key'),
        (WAFER, 404, 'check `endpoint`'),
        (WAFER, 502, 'HTTP 502'),
    ],
)
def test_http_error_is_critical_with_advice(dd_run_check, aggregator, provider_server, provider, status, needle):
    path, options, identity = provider
    provider_server.reply(path, Reply(status, 'upstream says no'))
    check = make_check(provider_server, provider)
    with pytest.raises(Exception, match='HTTP {}'.format(status)):
        dd_run_check(check)
    service_checks = aggregator.service_checks('llm_inference.can_connect')
    assert len(service_checks) == 1
    assert service_checks[0].status == AgentCheck.CRITICAL
    assert needle in service_checks[0].message
    assert service_checks[0].tags == ['provider:' + options['provider']] + identity
    assert catalog_values(aggregator) == []
    outcome = 'outcome:http_{}xx'.format(status // 100)
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=service_checks[0].tags + [outcome])


@pytest.mark.parametrize('provider', [FIREWORKS, WAFER])
def test_wrong_key_is_critical_401(dd_run_check, aggregator, provider_server, provider):
    check = make_check(provider_server, provider, key='not-the-key')
    with pytest.raises(Exception):
        dd_run_check(check)
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.CRITICAL
    assert 'HTTP 401' in sc.message and 'check `api_key`' in sc.message
    assert 'not-the-key' not in sc.message
    assert catalog_values(aggregator) == []


@pytest.mark.parametrize('provider', [FIREWORKS, WAFER])
def test_429_is_warning_and_cools_down(dd_run_check, aggregator, provider_server, provider):
    path = provider[0]
    provider_server.reply(path, Reply(429, 'slow down', headers={'Retry-After': '120'}))
    check = make_check(provider_server, provider)
    dd_run_check(check)  # a WARNING is not an error of the check
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING
    assert 'HTTP 429' in sc.message
    assert catalog_values(aggregator) == []
    aggregator.assert_metric('llm_inference.integration.rate_limited', 1)

    # The next run is inside the cooldown: no request is made.
    aggregator.reset()
    dd_run_check(check)
    assert len(provider_server.requests) == 1
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING and 'cooling down' in sc.message
    aggregator.assert_metric('llm_inference.integration.runs_skipped', 1)


@pytest.mark.parametrize('provider', [FIREWORKS, WAFER])
def test_timeout_is_critical(dd_run_check, aggregator, provider_server, provider):
    provider_server.reply(provider[0], Reply(body='late', delay=1.5))
    check = make_check(provider_server, provider, timeout=0.5)
    with pytest.raises(Exception):
        dd_run_check(check)
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.CRITICAL
    assert 'no complete reply within the 0.5 s `timeout`' in sc.message
    assert catalog_values(aggregator) == []


def test_recovers_after_failure(dd_run_check, aggregator, provider_server):
    path = FIREWORKS[0]
    provider_server.reply(path, Reply(500, 'boom'), Reply(body=fixture_text('fireworks_untyped.txt')))
    check = make_check(provider_server, FIREWORKS)
    with pytest.raises(Exception):
        dd_run_check(check)
    aggregator.reset()
    dd_run_check(check)
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)
    aggregator.assert_metric(
        'llm_inference.requests.rate',
        12.5,
        count=1,
        tags=[
            'provider:fireworks',
            'account:acme',
            'model:accounts/fireworks/models/llama-v3p1-70b-instruct',
            'deployment:llama70b-prod',
            'window:1m',
        ],
    )
