"""Groq against a real VictoriaMetrics holding Groq's own series names, behind Groq's URL path and key check: its
current names, the older ones, both mixed, and every name changed. Expected values are worked out here from the raw
samples the engine holds (read with plain queries), not from the simulator's tables."""

import logging
import time

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference.providers.groq import GroqCheck
from simulator import groq as sim

from .common import (
    JSON,
    Provider,
    aggregate_series,
    assert_agent_conventions,
    assert_aggregates,
    assert_gauge_close,
    assert_no_drift,
    bucket_sets,
    by_labels,
    catalog_values,
    drift_values,
    fault_rows,
    latest_samples,
    model_tags,
    vector,
)
from .provider_server import Reply
from .reference import bucket_quantile

pytestmark = pytest.mark.integration

# This provider's test instance (the shared tests find it as `SETUP`), the keys its session engines' proxies accept,
# and the model names its simulator sends, with their canonical names written out by hand (common.model_tags).
GROQ_KEY = 'gsk-test-5d1e'
GROQ_NON_ENTERPRISE_KEY = 'gsk-free-tier-9a0b'
GROQ = Provider('groq', {}, sim.PATH, query_api=True)
SETUP = GROQ
CANONICAL = {
    'llama-3.3-70b-versatile': 'llama-3.3-70b-instruct',
    'openai/gpt-oss-120b': 'gpt-oss-120b',
    'qwen/qwen3-32b': 'qwen3-32b',
}


# --- the session engines: VictoriaMetrics holding Groq's series as the simulator writes them (simulator/groq.py),
# behind Groq's path and key check. plugins/engines.py makes each a fixture of the whole session, under its name.


def serve(samples):
    return sim.api(samples, GROQ_KEY, [GROQ_NON_ENTERPRISE_KEY])


def current_names(load_time):
    """VictoriaMetrics holding Groq's current names (percentiles spelled p50/p95/p99)."""
    with serve(sim.groq_samples(load_time, spelling='p')) as api:
        yield api.engine, api.proxy


def current_names_and_tokens(load_time):
    """VictoriaMetrics holding Groq's current names and its tokens-a-second series (what token prices apply to)."""
    with serve(sim.groq_samples(load_time, spelling='p', token_rates=True)) as api:
        yield api.engine, api.proxy


def current_names_spelled(request, load_time):
    """VictoriaMetrics holding the percentiles spelled P99 or 0.99."""
    with serve(sim.groq_samples(load_time, spelling=request.param)) as api:
        yield request.param, api.engine, api.proxy


def older_names(load_time):
    """VictoriaMetrics holding only Groq's older names."""
    with serve(sim.groq_old_samples(load_time)) as api:
        yield api.engine, api.proxy


def prompt_cache(load_time):
    """VictoriaMetrics holding the newer page's prompt-cache hit and miss rates (simulator/groq.py)."""
    with serve(sim.groq_prompt_cache_samples(load_time)) as api:
        yield api.engine, api.proxy


def variants():
    """VictoriaMetrics holding newer and older Groq names mixed, a NaN status code, buckets without `le_`."""
    with serve(sim.groq_variant_samples(time.time())) as api:
        yield api.engine, api.proxy


def renamed():
    with serve(sim.groq_renamed_samples(time.time())) as api:
        yield api.engine, api.proxy


ENGINES = {
    name: pytest.fixture(scope='session', name=name, params=params)(function)
    for name, function, params in (
        ('groq_engine', current_names, None),
        ('groq_token_engine', current_names_and_tokens, None),
        ('groq_engine_spelled', current_names_spelled, ['P', 'decimal']),
        ('groq_old_engine', older_names, None),
        ('groq_prompt_cache_engine', prompt_cache, None),
        ('groq_variant_engine', variants, None),
        ('groq_renamed_engine', renamed, None),
    )
}

# Groq's families of percentile gauges (docs/providers/groq.md), and the catalog metric each is.
CATALOG = {
    'ttft_latency_seconds': 'time_to_first_token.seconds',
    'e2e_latency_seconds': 'e2e_latency.seconds',
    'queue_latency_seconds': 'queue_latency.seconds',
    'tokens_in': 'request.input_tokens',
    'tokens_out': 'request.output_tokens',
}
# How each spelling of Groq's percentiles writes the quantile (p99, P99, 0.99).
SPELLED = {
    'p': lambda q: 'p{:g}'.format(float(q) * 100),
    'P': lambda q: 'P{:g}'.format(float(q) * 100),
    'decimal': lambda q: q,
}


def run(dd_run_check, proxy, key=GROQ_KEY, **extra):
    check = GROQ.check(api_key=key, api_url=proxy.url, **extra)
    assert isinstance(check, GroqCheck)
    before = len(proxy.requests)
    dd_run_check(check)
    return len(proxy.requests) - before


def requests_and_errors(engine, name):
    """{model: requests a second} over every status code, and {(model, status code): rate} of the non-2xx codes, of
    the raw series `name` (requests by status code)."""
    by_code = by_labels(latest_samples(engine, name), 'model', 'status_code')
    totals = by_labels([({'model': model}, rate) for (model, _), rate in by_code.items()], 'model')
    errors = {key: rate for key, rate in by_code.items() if not key[1].startswith('2')}
    return {model: rate for (model,), rate in totals.items()}, errors


def assert_catalog(aggregator, engine, quantiles=('0.5', '0.95', '0.99'), spelling='p'):
    totals, errors = requests_and_errors(engine, 'requests:rate1m')
    assert len(totals) == 3 and errors
    for model, total in totals.items():
        base = ['provider:groq', *model_tags(model)]
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', total, base + ['window:1m'])
    for (model, code), rate in errors.items():
        tags = ['provider:groq', *model_tags(model), 'window:1m', 'status_code:' + code]
        assert_gauge_close(aggregator, 'llm_inference.errors.rate', rate, tags)
    for family, name in CATALOG.items():
        for q in quantiles:
            raw = '{}:{}:rate5m'.format(family, SPELLED[spelling](q))
            values = by_labels(latest_samples(engine, raw), 'model')
            assert set(values) == {(model,) for model in totals}, raw
            for (model,), value in values.items():
                tags = ['provider:groq', *model_tags(model), 'quantile:' + q, 'window:5m']
                assert_gauge_close(aggregator, 'llm_inference.' + name, value, tags)


def test_catalog_from_current_names_in_one_request(dd_run_check, aggregator, groq_engine):
    engine, proxy = groq_engine
    assert run(dd_run_check, proxy) == 1
    assert_catalog(aggregator, engine)
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
    spelling, engine, proxy = groq_engine_spelled
    assert run(dd_run_check, proxy) == 1
    assert_catalog(aggregator, engine, spelling=spelling)
    aggregator.assert_metric('llm_inference.integration.series', 3 + 3 + 3 * 15 + aggregate_series(aggregator))


def test_post_method(dd_run_check, aggregator, groq_engine):
    engine, proxy = groq_engine
    assert run(dd_run_check, proxy, method='POST') == 1
    assert proxy.requests[-1][0] == 'POST'
    assert_catalog(aggregator, engine)


def test_older_names(dd_run_check, aggregator, groq_old_engine):
    engine, proxy = groq_old_engine
    assert run(dd_run_check, proxy) == 1
    requests = 'model_project_id_status_code:requests:rate5m'
    (project,) = {labels['project_id'] for labels, _ in latest_samples(engine, requests)}
    totals, errors = requests_and_errors(engine, requests)
    buckets = bucket_sets(latest_samples(engine, 'le_model_project_id:ttft_latency_seconds_bucket:rate5m'), 'model')
    assert len(totals) == 3 and errors and set(buckets) == {(model,) for model in totals}
    for model, total in totals.items():
        base = ['provider:groq', *model_tags(model), 'project_id:' + project]
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', total, base + ['window:5m'])
        for q in ('0.5', '0.9', '0.95', '0.99'):
            assert_gauge_close(
                aggregator,
                'llm_inference.time_to_first_token.seconds',
                bucket_quantile(float(q), buckets[model,]),
                base + ['quantile:' + q, 'window:5m'],
            )
    for (model, code), rate in errors.items():
        tags = ['provider:groq', *model_tags(model), 'project_id:' + project, 'window:5m', 'status_code:' + code]
        assert_gauge_close(aggregator, 'llm_inference.errors.rate', rate, tags)
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
    engine, proxy = groq_prompt_cache_engine
    assert run(dd_run_check, proxy) == 1
    hits = by_labels(latest_samples(engine, 'model_project_id:prompt_cache_hits:rate5m'), 'model', 'project_id')
    misses = by_labels(latest_samples(engine, 'model_project_id:prompt_cache_misses:rate5m'), 'model', 'project_id')
    assert set(hits) != set(misses)  # a series missing: no ratio of that pair
    expected = {
        key: hits[key] / (hits[key] + misses[key]) for key in set(hits) & set(misses) if hits[key] + misses[key]
    }
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


# --- Groq's names on the shapes the engine really holds (moved from test_query_shapes.py) -------------------------

QUANTILES = ('0.5', '0.9', '0.95', '0.99')
LLAMA = 'llama-3.3-70b-versatile'
GPT = 'openai/gpt-oss-120b'


def groq(proxy, **extra):
    return GROQ.check(api_key=GROQ_KEY, api_url=proxy.url, **extra)


def test_groq_newer_and_older_names(dd_run_check, aggregator, groq_variant_engine, caplog):
    engine, proxy = groq_variant_engine
    before = len(proxy.requests)
    with caplog.at_level(logging.WARNING):
        dd_run_check(groq(proxy))
    assert len(proxy.requests) - before == 1

    # llama's 200s have been NaN for 6 minutes (VictoriaMetrics no longer answers them, they were there 15 minutes
    # ago): its total would be its 500s alone, 100 % errors. No request rate; the error rate is still right.
    assert not [m for m in aggregator.metrics('llm_inference.requests.rate') if 'model:' + LLAMA in m.tags]
    aggregator.assert_metric(
        'llm_inference.errors.rate', 0.5, tags=['provider:groq', *model_tags(LLAMA), 'window:1m', 'status_code:500']
    )
    # gpt-oss has only requests:increase1m: requests per minute, read as a rate.
    assert_gauge_close(
        aggregator, 'llm_inference.requests.rate', 930 / 60, ['provider:groq', *model_tags(GPT), 'window:1m']
    )
    assert_gauge_close(
        aggregator,
        'llm_inference.errors.rate',
        0.5,
        ['provider:groq', *model_tags(GPT), 'window:1m', 'status_code:400'],
    )
    # model_project_id:tokens_in/out:rate5m
    tokens_in = by_labels(latest_samples(engine, 'model_project_id:tokens_in:rate5m'), 'model', 'project_id')
    tokens_out = by_labels(latest_samples(engine, 'model_project_id:tokens_out:rate5m'), 'model', 'project_id')
    assert len(tokens_in) == 2 and set(tokens_in) == set(tokens_out)
    for (model, project), rate in tokens_in.items():
        tags = ['provider:groq', *model_tags(model), 'project_id:' + project, 'window:5m']
        assert_gauge_close(aggregator, 'llm_inference.tokens.input.rate', rate, tags)
        assert_gauge_close(aggregator, 'llm_inference.tokens.output.rate', tokens_out[model, project], tags)
    # Buckets without `le_` are read; where both prefixes exist the `le_` family counts, never their sum.
    families = {
        'e2e_latency.seconds': 'model_project_id:e2e_latency_seconds_bucket:rate5m',
        'time_to_first_token.seconds': 'le_model_project_id:ttft_latency_seconds_bucket:rate5m',
    }
    for name, raw in families.items():
        ((model, project), buckets), *others = bucket_sets(latest_samples(engine, raw), 'model', 'project_id').items()
        assert model == LLAMA and others == []
        base = ['provider:groq', *model_tags(LLAMA), 'project_id:' + project, 'window:5m']
        for q in QUANTILES:
            value = bucket_quantile(float(q), buckets)
            assert_gauge_close(aggregator, 'llm_inference.' + name, value, base + ['quantile:' + q])
    # queue_latency_seconds:max is the 1-quantile; :avg is no quantile: reported, not submitted.
    queue = ['provider:groq', *model_tags(LLAMA), 'window:5m']
    assert_gauge_close(aggregator, 'llm_inference.queue_latency.seconds', 0.9, queue + ['quantile:1'])
    assert_gauge_close(aggregator, 'llm_inference.queue_latency.seconds', 0.01, queue + ['quantile:0.5'])

    assert drift_values(aggregator, 'unmapped_series') == {
        'raw_name:cache_hit_ratio:rate5m': 1,
        'raw_name:queue_latency_seconds:avg:rate5m': 1,
    }
    assert drift_values(aggregator, 'series_dropped') == {'reason:incomplete_sum': 1}
    aggregator.assert_metric('llm_inference.integration.unmapped_labels', 0, tags=['provider:groq'])
    assert 'named `cache_hit_ratio:rate5m`' in caplog.text
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=['provider:groq', 'outcome:ok'])
    aggregator.assert_metric('llm_inference.integration.series')
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_groq_names_changed_is_a_warning(dd_run_check, aggregator, groq_renamed_engine):
    _, proxy = groq_renamed_engine
    dd_run_check(groq(proxy))
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING
    assert "names changed (seen: `inference_requests:rate1m`, `inference_ttft_seconds:p99:rate5m`)" in sc.message
    assert catalog_values(aggregator) == []
    assert drift_values(aggregator, 'unmapped_series') == {
        'raw_name:inference_requests:rate1m': 3,
        'raw_name:inference_ttft_seconds:p99:rate5m': 1,
    }


# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields, and a
# reply of NaN and infinite values with the one finite value it yields.
def groq_ok():
    return vector(({'__name__': 'requests:rate1m', 'model': 'm1', 'status_code': '200'}, '4.5'))


def groq_nan():
    rates = (('a', 'NaN'), ('b', '+Inf'), ('c', '3.5'))
    return vector(*[({'__name__': 'requests:rate1m', 'model': m, 'status_code': '200'}, v) for m, v in rates], at=1)


FAULTS = fault_rows(
    SETUP,
    lambda: Reply(body=groq_ok(), headers=JSON),
    ('llm_inference.requests.rate', 4.5, GROQ.tags + [*model_tags('m1'), 'window:1m']),
    nan=(groq_nan(), [3.5]),
    **{
        '403': (AgentCheck.CRITICAL, 'Enterprise-tier feature'),
        # A key of an organization without the Enterprise feature may get 404, not 403: the message says both.
        '404': (AgentCheck.CRITICAL, 'HTTP 404', 'check `api_url`', 'Enterprise-tier feature'),
    },
)
