"""Groq against a real VictoriaMetrics holding Groq's own series names, behind Groq's URL path and key check."""

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference.providers.groq import GroqCheck
from simulator.groq import (
    GROQ_MODELS,
    GROQ_PROMPT_CACHE,
    GROQ_OLD_TTFT_SHARES,
    LATENCY_BOUNDS,
    MINUTES,
    drift,
    groq_rate,
    groq_value,
)

from .common import (
    aggregate_series,
    assert_aggregates,
    GROQ,
    GROQ_KEY,
    GROQ_NON_ENTERPRISE_KEY,
    JSON,
    assert_agent_conventions,
    assert_gauge_close,
    assert_no_drift,
    catalog_values,
    fault_rows,
    model_tags,
    vector,
)
from .provider_server import Reply
from .reference import expected_quantile

pytestmark = pytest.mark.integration
LATEST = MINUTES - 1
CATALOG = {
    'ttft': 'time_to_first_token.seconds',
    'e2e': 'e2e_latency.seconds',
    'queue': 'queue_latency.seconds',
    'tokens_in': 'request.input_tokens',
    'tokens_out': 'request.output_tokens',
}


def run(dd_run_check, proxy, key=GROQ_KEY, **extra):
    check = GROQ.check(api_key=key, api_url=proxy.url, **extra)
    assert isinstance(check, GroqCheck)
    before = len(proxy.requests)
    dd_run_check(check)
    return len(proxy.requests) - before


def assert_catalog(aggregator, quantiles=('0.5', '0.95', '0.99')):
    for model, spec in GROQ_MODELS.items():
        base = ['provider:groq', *model_tags(model)]
        total = sum(groq_rate(model, code, LATEST) for code in spec['rates'])
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', total, base + ['window:1m'])
        for code in spec['rates']:
            if not code.startswith('2'):
                assert_gauge_close(
                    aggregator,
                    'llm_inference.errors.rate',
                    groq_rate(model, code, LATEST),
                    base + ['window:1m', 'status_code:' + code],
                )
        for key, name in CATALOG.items():
            for q in quantiles:
                value = groq_value(model, key, q, LATEST)
                assert_gauge_close(aggregator, 'llm_inference.' + name, value, base + ['quantile:' + q, 'window:5m'])


def test_catalog_from_current_names_in_one_request(dd_run_check, aggregator, groq_engine):
    _, proxy = groq_engine
    assert run(dd_run_check, proxy) == 1
    assert_catalog(aggregator)
    # 3 models: requests.rate + 3 errors.rate + 5 families x 3 quantiles each
    aggregator.assert_metric(
        'llm_inference.integration.series', 3 + 3 + 3 * 15 + aggregate_series(aggregator), tags=['provider:groq']
    )
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=['provider:groq', 'outcome:ok'])
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=['provider:groq'], count=1)
    assert_no_drift(aggregator, ['provider:groq'])
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)
    # VictoriaMetrics hides samples of the last 30 s unless asked not to.
    assert 'nocache=1' in proxy.requests[-1][1]


def test_percentile_spellings_all_normalized(dd_run_check, aggregator, groq_engine_spelled):
    _, _, proxy = groq_engine_spelled
    assert run(dd_run_check, proxy) == 1
    assert_catalog(aggregator)
    aggregator.assert_metric('llm_inference.integration.series', 3 + 3 + 3 * 15 + aggregate_series(aggregator))


def test_post_method(dd_run_check, aggregator, groq_engine):
    _, proxy = groq_engine
    assert run(dd_run_check, proxy, method='POST') == 1
    assert proxy.requests[-1][0] == 'POST'
    assert_catalog(aggregator)


def test_older_names(dd_run_check, aggregator, groq_old_engine):
    _, proxy = groq_old_engine
    assert run(dd_run_check, proxy) == 1
    for model, spec in GROQ_MODELS.items():
        base = ['provider:groq', *model_tags(model), 'project_id:proj-a']
        total = sum(spec['rates'].values()) * drift(LATEST)
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', total, base + ['window:5m'])
        for code, rate in spec['rates'].items():
            if not code.startswith('2'):
                assert_gauge_close(
                    aggregator,
                    'llm_inference.errors.rate',
                    rate * drift(LATEST),
                    base + ['window:5m', 'status_code:' + code],
                )
        for q in ('0.5', '0.9', '0.95', '0.99'):
            assert_gauge_close(
                aggregator,
                'llm_inference.time_to_first_token.seconds',
                expected_quantile(float(q), LATENCY_BOUNDS, GROQ_OLD_TTFT_SHARES, total),
                base + ['quantile:' + q, 'window:5m'],
            )
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=['provider:groq', 'outcome:ok'])
    aggregator.assert_metric(
        'llm_inference.integration.series', 3 + 3 + 3 * 4 + aggregate_series(aggregator), tags=['provider:groq']
    )
    assert_no_drift(aggregator, ['provider:groq'])
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()


def test_non_enterprise_key_says_so(dd_run_check, aggregator, groq_engine):
    _, proxy = groq_engine
    with pytest.raises(Exception, match='Enterprise'):
        run(dd_run_check, proxy, key=GROQ_NON_ENTERPRISE_KEY)
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.CRITICAL
    assert 'HTTP 403' in sc.message and 'Enterprise' in sc.message
    assert GROQ_NON_ENTERPRISE_KEY not in sc.message
    assert catalog_values(aggregator) == []


def test_wrong_key(dd_run_check, aggregator, groq_engine):
    _, proxy = groq_engine
    with pytest.raises(Exception, match='HTTP 401'):
        run(dd_run_check, proxy, key='gsk-wrong')
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.CRITICAL and 'check `api_key`' in sc.message


def test_prompt_cache_hit_ratio_per_model_and_project(dd_run_check, aggregator, groq_prompt_cache_engine):
    """hits / (hits + misses) from the newer page's rates, per model and project; none where both are 0 or one is
    missing (never a 0 in its place)."""
    _, proxy = groq_prompt_cache_engine
    assert run(dd_run_check, proxy) == 1
    expected = {}
    for (model, project), (hits, misses) in GROQ_PROMPT_CACHE.items():
        if hits is None or misses is None:
            continue
        hits *= drift(LATEST)  # the simulator's hits drift; the latest sample is what the instant query reads
        if hits + misses:
            expected[model, project] = hits / (hits + misses)
    assert set(expected) == {('llama-3.3-70b-versatile', 'proj-a'), ('llama-3.3-70b-versatile', 'proj-b')}
    for (model, project), ratio in expected.items():
        tags = ['provider:groq', *model_tags(model), 'project_id:' + project, 'window:5m']
        assert_gauge_close(aggregator, 'llm_inference.prompt_cache.hit_ratio', ratio, tags)
    # every lookup missed: a true 0; no lookup, or the misses series missing: no value at all
    assert len(aggregator.metrics('llm_inference.prompt_cache.hit_ratio')) == len(expected)
    ratios = aggregator.metrics('llm_inference.prompt_cache.hit_ratio')
    zero = [m.value for m in ratios if 'project_id:proj-b' in m.tags]
    assert zero == [0.0]
    assert catalog_values(aggregator) == ['llm_inference.prompt_cache.hit_ratio']
    # Both names read (none unmapped) and nothing dropped: a ratio that cannot be made is simply not there.
    assert_no_drift(aggregator, ['provider:groq'])
    aggregator.assert_metric('llm_inference.integration.series', len(expected), tags=['provider:groq'])
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=['provider:groq', 'outcome:ok'])
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields.
def groq_ok():
    return vector(({'__name__': 'requests:rate1m', 'model': 'm1', 'status_code': '200'}, '4.5'))


FAULTS = fault_rows(
    GROQ,
    lambda: Reply(body=groq_ok(), headers=JSON),
    ('llm_inference.requests.rate', 4.5, GROQ.tags + [*model_tags('m1'), 'window:1m']),
    **{
        '403': (AgentCheck.CRITICAL, 'Enterprise-tier feature'),
        # A key of an organization without the Enterprise feature may get 404, not 403: the message says both.
        '404': (AgentCheck.CRITICAL, 'HTTP 404', 'check `api_url`', 'Enterprise-tier feature'),
    },
)
