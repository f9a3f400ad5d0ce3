"""Crusoe against a real Prometheus holding Crusoe's own series, behind Crusoe's URL path and key check: the documented
names, both histogram spellings, millisecond buckets, a label its docs leave out, and every name changed. Expected
values are worked out here from the raw samples the engine holds (read with plain queries), not from the simulator's
tables."""

import logging
import time

import pytest

from datadog_checks.base import AgentCheck, ConfigurationError
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.providers.crusoe import CrusoeCheck
from simulator import crusoe as sim

from .common import (
    JSON,
    Provider,
    aggregate_series,
    assert_agent_conventions,
    assert_aggregates,
    assert_gauge_close,
    assert_no_drift,
    assert_reply_identity,
    bucket_sets,
    by_labels,
    catalog_values,
    counter_rates,
    drift_values,
    fault_rows,
    model_tags,
    vector,
)
from .provider_server import Reply
from .reference import bucket_quantile

pytestmark = pytest.mark.integration

# This provider's test instance (the shared tests find it as `SETUP`), the key its session engines' proxies accept,
# and the model names its simulator sends, with their canonical names written out by hand (common.model_tags).
CRUSOE_KEY = 'crusoe-monitoring-token-77c2'
CRUSOE_PROJECT = 'proj-1'
CRUSOE = Provider(
    'crusoe',
    {'project_id': CRUSOE_PROJECT},
    sim.path(CRUSOE_PROJECT),
    query_api=True,
    identity=('project_id:' + CRUSOE_PROJECT,),
)
SETUP = CRUSOE
CANONICAL = {
    'meta-llama/Llama-3.3-70B-Instruct': 'llama-3.3-70b-instruct',
    'deepseek-ai/DeepSeek-R1': 'deepseek-r1',
}


# --- the session engines: Prometheus holding Crusoe's series as the simulator writes them (simulator/crusoe.py),
# behind Crusoe's path of each project and its key check. plugins/engines.py makes each a fixture of the whole
# session, under its name.


def documented(load_time):
    """Crusoe's documented series for CRUSOE_PROJECT, beside a second project the check must filter out."""
    with sim.api(sim.crusoe_samples(load_time, project_id=CRUSOE_PROJECT), CRUSOE_KEY, [CRUSOE_PROJECT]) as api:
        yield api.engine, api.proxy


def variants():
    """Both histogram spellings, millisecond buckets, a `region` label, an unread name; and a project whose every
    name changed."""
    projects = [sim.CRUSOE_VARIANT_PROJECT, sim.CRUSOE_RENAMED_PROJECT]
    with sim.api(sim.crusoe_variant_samples(time.time()), CRUSOE_KEY, projects) as api:
        yield api.engine, api.proxies


ENGINES = {
    'crusoe_engine': pytest.fixture(scope='session', name='crusoe_engine')(documented),
    'crusoe_variant_engine': pytest.fixture(scope='session', name='crusoe_variant_engine')(variants),
}

# Crusoe's counters and histograms (docs/providers/crusoe.md), and the catalog metric each is.
RATES = {
    'crusoe_inference_request_count': 'requests.rate',
    'crusoe_inference_input_token_count': 'tokens.input.rate',
    'crusoe_inference_output_token_count': 'tokens.output.rate',
}
QUANTILES = {
    'crusoe_inference_histogram_first_token_latency': 'time_to_first_token.seconds',
    'crusoe_inference_histogram_output_token_latency': 'time_per_output_token.seconds',
}


def series_of(project, name):
    return '{}{{project_id="{}"}}'.format(name, project)


def buckets_of(engine, project, family, *labels):
    """{labels: {bound: observations a second}} of `family`'s buckets in `project`, from their raw samples."""
    return bucket_sets(counter_rates(engine, series_of(project, family + '_bucket')), *labels)


def run(dd_run_check, proxy, **extra):
    check = CRUSOE.check(api_key=CRUSOE_KEY, api_url=proxy.url, **extra)
    assert isinstance(check, CrusoeCheck)
    before = len(proxy.requests)
    dd_run_check(check)
    return len(proxy.requests) - before


def test_catalog_in_one_request(dd_run_check, aggregator, crusoe_engine):
    engine, proxy = crusoe_engine
    assert run(dd_run_check, proxy) == 1
    by_series = ('model_name', 'service_tier')
    rates = {raw: by_labels(counter_rates(engine, series_of(CRUSOE_PROJECT, raw)), *by_series) for raw in RATES}
    buckets = {family: buckets_of(engine, CRUSOE_PROJECT, family, *by_series) for family in QUANTILES}
    series = set(rates['crusoe_inference_request_count'])
    assert len(series) == 3 and all(set(found) == series for found in [*rates.values(), *buckets.values()])
    for model, tier in series:
        base = [
            'provider:crusoe',
            'project_id:' + CRUSOE_PROJECT,
            *model_tags(model),
            'service_tier:' + tier,
            'window:5m',
        ]
        for raw, name in RATES.items():
            # The counters grow linearly: rate() is the per-second increase whatever the window.
            assert_gauge_close(aggregator, 'llm_inference.' + name, rates[raw][model, tier], base, rel=1e-6)
        for family, name in QUANTILES.items():
            for q in ('0.5', '0.9', '0.95', '0.99'):
                value = bucket_quantile(float(q), buckets[family][model, tier])
                assert_gauge_close(aggregator, 'llm_inference.' + name, value, base + ['quantile:' + q], rel=1e-6)
    tags = ['provider:crusoe', 'project_id:' + CRUSOE_PROJECT]
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=tags + ['outcome:ok'])
    aggregator.assert_metric('llm_inference.integration.series', 3 * (3 + 8) + aggregate_series(aggregator), tags=tags)
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=tags, count=1)
    assert_no_drift(aggregator, tags)
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)


def test_user_queries_join_the_batch(dd_run_check, aggregator, crusoe_engine):
    _, proxy = crusoe_engine
    queries = [
        {
            'name': 'requests.running',
            'query': 'count by (model_name) (crusoe_inference_request_count{project_id="proj-1"})',
            'rename_labels': {'model_name': 'model'},
        }
    ]
    assert run(dd_run_check, proxy, queries=queries) == 1
    aggregator.assert_metric(
        'llm_inference.requests.running',
        2,
        tags=['provider:crusoe', 'project_id:proj-1', *model_tags('meta-llama/Llama-3.3-70B-Instruct')],
        count=1,
    )
    aggregator.assert_metric(
        'llm_inference.requests.running',
        1,
        tags=['provider:crusoe', 'project_id:proj-1', *model_tags('deepseek-ai/DeepSeek-R1')],
    )


def test_needs_project_id():
    with pytest.raises(ConfigurationError, match='`project_id`'):
        LlmInferenceCheck('llm_inference', {}, [{'provider': 'crusoe', 'api_key': 'k'}])


def test_default_url():
    check = LlmInferenceCheck('llm_inference', {}, [{'provider': 'crusoe', 'api_key': 'k', 'project_id': 'p-9'}])
    assert check.client.url == 'https://api.crusoecloud.com/v1alpha5/projects/p-9/metrics/timeseries/api/v1/query'
    assert CRUSOE.base.endswith('/metrics/timeseries')


# --- Crusoe's names on the shapes the engine really holds (moved from test_query_shapes.py) -----------------------

SHAPE_QUANTILES = ('0.5', '0.9', '0.95', '0.99')
LLAMA, DEEPSEEK = 'meta-llama/Llama-3.3-70B-Instruct', 'deepseek-ai/DeepSeek-R1'
CURL_TTFT = 'crusoe_inference_first_token_latency'  # the curl example's spellings (the table's: QUANTILES)
CURL_TPOT = 'crusoe_inference_output_token_latency'


def crusoe(proxies, project=sim.CRUSOE_VARIANT_PROJECT, **extra):
    return CRUSOE.check(api_key=CRUSOE_KEY, project_id=project, api_url=proxies[project].url, **extra)


def crusoe_tags(model, *extra):
    project = sim.CRUSOE_VARIANT_PROJECT
    return ['provider:crusoe', 'project_id:' + project, *model_tags(model), 'service_tier:pt'] + list(extra)


def variant_buckets(engine, family):
    """{model: {bound: observations a second}} of `family`'s buckets in the variants' project."""
    return {model: b for (model,), b in buckets_of(engine, sim.CRUSOE_VARIANT_PROJECT, family, 'model_name').items()}


def test_crusoe_both_spellings_and_millisecond_buckets(dd_run_check, aggregator, crusoe_variant_engine):
    engine, proxies = crusoe_variant_engine
    project = sim.CRUSOE_VARIANT_PROJECT
    before = len(proxies[project].requests)
    dd_run_check(crusoe(proxies))
    assert len(proxies[project].requests) - before == 1
    # The `region` label Crusoe's docs do not mention is kept: two regions, two contexts.
    requests = series_of(project, 'crusoe_inference_request_count')
    regions = by_labels(counter_rates(engine, requests), 'model_name', 'region')
    assert len(regions) == 3
    for (model, region), rate in regions.items():
        tags = crusoe_tags(model, 'region:' + region, 'window:5m')
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', rate, tags)
    curl_ttft, curl_tpot = variant_buckets(engine, CURL_TTFT), variant_buckets(engine, CURL_TPOT)
    table_ttft = variant_buckets(engine, 'crusoe_inference_histogram_first_token_latency')
    assert (set(curl_ttft), set(curl_tpot), set(table_ttft)) == ({LLAMA, DEEPSEEK}, {LLAMA}, {DEEPSEEK})
    for q in SHAPE_QUANTILES:
        # Only the curl example's spelling, bounds 10..5000: milliseconds, submitted in seconds.
        ttft = bucket_quantile(float(q), curl_ttft[LLAMA]) / 1000
        tags = crusoe_tags(LLAMA, 'window:5m', 'quantile:' + q)
        assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', ttft, tags)
        # Per-token latency bounds 1..200: milliseconds too.
        tpot = bucket_quantile(float(q), curl_tpot[LLAMA]) / 1000
        assert_gauge_close(aggregator, 'llm_inference.time_per_output_token.seconds', tpot, tags)
        # Both spellings: the table's (in seconds) is read, the other is not added to it.
        value = bucket_quantile(float(q), table_ttft[DEEPSEEK])
        tags = crusoe_tags(DEEPSEEK, 'window:5m', 'quantile:' + q)
        assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', value, tags)
    assert len(aggregator.metrics('llm_inference.time_to_first_token.seconds')) == 2 * len(SHAPE_QUANTILES)
    # A name the check does not read, seen by the names query of the same request.
    assert drift_values(aggregator, 'unmapped_series') == {'raw_name:crusoe_inference_queue_depth': 2}
    assert drift_values(aggregator, 'unmapped_labels') == {'label:region': 3}
    aggregator.assert_metric('llm_inference.integration.series_dropped', 0)
    aggregator.assert_metric('llm_inference.integration.requests', 1)
    aggregator.assert_metric('llm_inference.integration.series')
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


@pytest.mark.parametrize('unit', ['seconds', 'milliseconds'])
def test_crusoe_latency_unit_option_overrides_detection(dd_run_check, aggregator, crusoe_variant_engine, unit):
    engine, proxies = crusoe_variant_engine
    dd_run_check(crusoe(proxies, latency_unit=unit))
    scale = 1.0 if unit == 'seconds' else 0.001
    llama = crusoe_tags(LLAMA, 'window:5m', 'quantile:0.5')
    value = bucket_quantile(0.5, variant_buckets(engine, CURL_TTFT)[LLAMA]) * scale
    assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', value, llama)
    deepseek = crusoe_tags(DEEPSEEK, 'window:5m', 'quantile:0.5')
    table = variant_buckets(engine, 'crusoe_inference_histogram_first_token_latency')
    value = bucket_quantile(0.5, table[DEEPSEEK]) * scale
    assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', value, deepseek)


def test_crusoe_exclude_labels(dd_run_check, aggregator, crusoe_variant_engine):
    _, proxies = crusoe_variant_engine
    dd_run_check(crusoe(proxies, exclude_labels=['region']))
    assert_gauge_close(aggregator, 'llm_inference.requests.rate', 8.0, crusoe_tags(LLAMA, 'window:5m'))
    assert not [m for m in aggregator.metrics('llm_inference.requests.rate') if any('region' in t for t in m.tags)]


def test_crusoe_names_changed_is_a_warning(dd_run_check, aggregator, crusoe_variant_engine):
    _, proxies = crusoe_variant_engine
    dd_run_check(crusoe(proxies, project=sim.CRUSOE_RENAMED_PROJECT))
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING
    assert 'names changed (seen: `crusoe_llm_requests_total`)' in sc.message
    assert catalog_values(aggregator) == []


# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields, and a
# reply of NaN and infinite values with the one finite value it yields.
def crusoe_ok():
    # Part 0 of the combined query is the request rate (label_replace marks each part).
    return vector(({'model_name': 'm1', 'service_tier': 'pt', 'llm_inference_query': '0'}, '2.5'))


ANOTHER_PROJECT = (
    "crusoe: `project_id` is `proj-1`, but the reply's series are of project_id `proj-2` (their `project_id` label): "
    "fix `project_id` (or `api_url`, which chose this reply). Collected as configured: every point is tagged "
    "`project_id:proj-1`, the reply's id kept as `label_project_id`."
)


@pytest.mark.parametrize(
    'project, user_project, message',
    [
        (CRUSOE_PROJECT, None, None),
        ('proj-2', None, ANOTHER_PROJECT),
        # A user's own query may read other projects: its labels are the user's, not the reply's identity.
        (CRUSOE_PROJECT, 'proj-2', None),
    ],
)
def test_a_reply_of_another_project_is_a_warning_naming_both(
    dd_run_check, aggregator, provider_server, caplog, project, user_project, message
):
    """The queries select the instance's project; an `api_url` that answers with another's (a proxy that ignores
    the selector) is collected under `project_id`, the reply's kept apart, and the run says so."""
    user = {'name': 'requests.running', 'query': 'count by (project_id) (crusoe_inference_request_count)'}
    check = CRUSOE.check(provider_server, queries=[user] if user_project else [])
    series = [({'model_name': 'm1', 'service_tier': 'pt', 'project_id': project, 'llm_inference_query': '0'}, '2.5')]
    if user_project:  # the last part of the combined query
        series.append(({'project_id': user_project, 'llm_inference_query': str(len(check.queries) - 1)}, '1'))
    provider_server.reply(CRUSOE.path, Reply(body=vector(*series), headers=JSON))
    with caplog.at_level(logging.WARNING):
        dd_run_check(check)

    base = CRUSOE.tags
    kept = ['label_project_id:proj-2'] if message else []
    aggregator.assert_metric(
        'llm_inference.requests.rate', 2.5, tags=base + [*model_tags('m1'), 'service_tier:pt', 'window:5m', *kept]
    )
    if user_project:
        aggregator.assert_metric('llm_inference.requests.running', 1, tags=base + ['label_project_id:proj-2'], count=1)
    assert_reply_identity(aggregator, caplog, base, base[1], 2 if user_project else 1, message)


def crusoe_nan():
    rates = (('a', 'NaN'), ('b', '+Inf'), ('c', '3.5'))
    series = [({'model_name': m, 'service_tier': 'pt', 'llm_inference_query': '0'}, v) for m, v in rates]
    return vector(*series, at=1)


FAULTS = fault_rows(
    SETUP,
    lambda: Reply(body=crusoe_ok(), headers=JSON),
    ('llm_inference.requests.rate', 2.5, CRUSOE.tags + [*model_tags('m1'), 'service_tier:pt', 'window:5m']),
    nan=(crusoe_nan(), [3.5]),
    **{'404': (AgentCheck.CRITICAL, '`project_id`')},
)
