"""Wafer: every documented series into the catalog; quantile normalized; endpoint -> deployment; 24h windows."""

import logging

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.providers.wafer import WaferCheck

from .common import (
    aggregate_series,
    assert_aggregates,
    API_KEY,
    Provider,
    assert_agent_conventions,
    assert_gauge_close,
    assert_no_drift,
    assert_reply_identity,
    drift_values,
    fault_rows,
    fixture_text,
    model_tags,
)
from .provider_server import Reply

# This provider's test instance (the shared tests find it as `SETUP`), and the model names its payloads and its
# simulator send, with their canonical names written out by hand (common.model_tags).
ENDPOINT = 'acme-llama.wafer.ai'
WAFER = Provider(
    'wafer', {'endpoint': ENDPOINT}, '/v1/endpoints/metrics/prometheus', identity=('deployment:' + ENDPOINT,)
)
SETUP = WAFER
CANONICAL = {
    'meta-llama/Llama-3.3-70B-Instruct': 'llama-3.3-70b-instruct',
    'Qwen/Qwen2.5-Coder-32B-Instruct': 'qwen2.5-coder-32b-instruct',
    'llama-3.3-70b': 'llama-3.3-70b',
    'llama-3.1-8b': 'llama-3.1-8b',
}
BASE = WAFER.tags
DAY = 'window:24h'


def test_every_series_mapped_with_tags(dd_run_check, aggregator, provider_server):
    provider_server.reply(WAFER.path, Reply(body=fixture_text('wafer.txt')))
    check = WAFER.check(provider_server)
    assert isinstance(check, WaferCheck)
    dd_run_check(check)

    def metric(name, value, *tags):
        aggregator.assert_metric('llm_inference.' + name, value, tags=BASE + list(tags), count=1)

    for status_class, count in (('2xx', 172800), ('4xx', 1728), ('5xx', 432)):
        metric('wafer.requests.last_24h', count, 'status_class:' + status_class, DAY)
    # Wafer's docs: "divide by 86400 for an average rate"
    metric('requests.rate', (172800 + 1728 + 432) / 86400, DAY)
    metric('wafer.tokens.input.last_24h', 2.4e8, DAY)
    metric('wafer.tokens.output.last_24h', 3.6e7, DAY)
    metric('wafer.tokens.cache_read.last_24h', 9.6e7, DAY)
    metric('prompt_cache.hit_ratio', 0.4, DAY)
    for q, value in (('0.5', 0.182), ('0.9', 0.41), ('0.95', 0.655), ('0.99', 1.92)):
        metric('time_to_first_token.seconds', value, 'quantile:' + q, DAY)
    for q, value in (('0.5', 2.35), ('0.9', 6.8), ('0.99', 14.2)):
        metric('e2e_latency.seconds', value, 'quantile:' + q, DAY)
    for q, value in (('0.1', 38.5), ('0.5', 71.25), ('0.9', 96), ('0.99', 112.5)):
        metric('request.output_tokens_per_second', value, 'quantile:' + q, DAY)
    metric('requests.running', 23)
    metric('requests.queued', 4)
    metric('kv_cache.usage', 0.63)
    metric('kv_cache.hit_ratio', 0.37)
    metric('wafer.concurrent_requests', 31, 'window:2m')
    metric('wafer.metrics_window.seconds', 86400)
    metric('integration.requests', 1, 'outcome:ok')
    metric('integration.series', 3 + 1 + 4 + 4 + 3 + 4 + 4 + 2 + aggregate_series(aggregator))

    # The Wafer `endpoint` label is the deployment tag; no `endpoint:` tag (the base's URL tag) anywhere.
    for name in aggregator.metric_names:
        for m in aggregator.metrics(name):
            assert not [t for t in m.tags if t.startswith('endpoint:')], (name, m.tags)
            assert m.tags.count('deployment:' + ENDPOINT) == 1
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=BASE, count=1)
    assert_no_drift(aggregator, BASE)
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)

    seen = provider_server.requests[-1]
    assert seen.path == WAFER.path + '?endpoint=' + ENDPOINT
    assert seen.headers['Authorization'] == 'Bearer ' + API_KEY


@pytest.mark.parametrize(
    'raw, normalized',
    [('0.50', '0.5'), ('p99', '0.99'), ('P95', '0.95'), ('0.9', '0.9'), ('99', '0.99'), ('p999', '0.999')],
)
def test_quantile_label_normalized(dd_run_check, aggregator, provider_server, raw, normalized):
    body = '# TYPE wafer_ttft_seconds gauge\nwafer_ttft_seconds{{endpoint="{}",quantile="{}"}} 0.25\n'.format(
        ENDPOINT, raw
    )
    provider_server.reply(WAFER.path, Reply(body=body))
    dd_run_check(WAFER.check(provider_server))
    aggregator.assert_metric(
        'llm_inference.time_to_first_token.seconds', 0.25, tags=BASE + ['quantile:' + normalized, DAY], count=1
    )


def test_endpoint_added_to_custom_api_url():
    check = LlmInferenceCheck(
        'llm_inference', {}, [{'provider': 'wafer', 'api_key': 'k', 'endpoint': 'a b', 'api_url': 'http://proxy/m?x=1'}]
    )
    assert check.url == 'http://proxy/m?x=1&endpoint=a+b'
    default = LlmInferenceCheck('llm_inference', {}, [{'provider': 'wafer', 'api_key': 'k', 'endpoint': 'e.wafer.ai'}])
    assert default.url == 'https://api.wafer.ai/v1/endpoints/metrics/prometheus?endpoint=e.wafer.ai'


# Moved from test_payload_shapes.py: Wafer's own variants of its reply.
WAFER_BASE = WAFER.tags


def test_wafer_variants(dd_run_check, aggregator, provider_server, caplog):
    provider_server.reply(WAFER.path, Reply(body=fixture_text('wafer_variants.txt')))
    with caplog.at_level(logging.INFO):
        dd_run_check(WAFER.check(provider_server))

    def metric(name, value, *tags):
        aggregator.assert_metric('llm_inference.' + name, value, tags=WAFER_BASE + list(tags), count=1)

    # Status classes in another label order; 5xx is NaN: the classes that have values are submitted, the rate
    # (a sum over all classes) is not: 2xx + 4xx alone would be a rate missing its errors.
    metric('wafer.requests.last_24h', 172800, 'status_class:2xx', DAY)
    metric('wafer.requests.last_24h', 1728, 'status_class:4xx', DAY)
    assert not aggregator.metrics('llm_inference.requests.rate')
    # quantile="max" is the 1-quantile; quantile="mean" is no quantile, and a percentile series without a quantile
    # label says nothing either: not submitted (never untagged).
    for q, value in (('0.5', 0.182), ('0.99', 1.92), ('1', 7.5)):
        metric('time_to_first_token.seconds', value, 'quantile:' + q, DAY)
    metric('e2e_latency.seconds', 2.35, 'quantile:0.5', DAY)
    assert len(aggregator.metrics('llm_inference.e2e_latency.seconds')) == 1
    # One engine gauge per backend: not collapsed.
    metric('requests.running', 15, 'backend_id:b-1')
    metric('requests.running', 8, 'backend_id:b-2')
    metric('kv_cache.usage', 0.7, 'backend_id:b-1')
    metric('kv_cache.usage', 0.5, 'backend_id:b-2')
    # A model label is the model tag; an endpoint label of another endpoint is kept, not lost.
    metric('request.output_tokens_per_second', 71.25, 'quantile:0.5', *model_tags('llama-3.3-70b'), DAY)
    metric('request.output_tokens_per_second', 64.0, 'quantile:0.5', *model_tags('llama-3.1-8b'), DAY)
    metric('wafer.concurrent_requests', 31, 'window:2m')
    metric('wafer.concurrent_requests', 4, 'window:2m', 'label_endpoint:acme-llama-canary.wafer.ai')

    assert drift_values(aggregator, 'series_dropped') == {
        'reason:not_finite': 1,
        'reason:incomplete_sum': 1,
        'reason:not_a_quantile': 2,  # quantile="mean", and a percentile series without a quantile label
    }
    assert drift_values(aggregator, 'unmapped_labels') == {'label:backend_id': 4}
    assert 'label `backend_id` is not in the catalog' in caplog.text
    aggregator.assert_metric('llm_inference.integration.unmapped_series', 0, tags=WAFER_BASE)
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=WAFER_BASE + ['outcome:ok'])
    aggregator.assert_metric('llm_inference.integration.series')
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_wafer_exclude_labels_on_quantile_gauges_keeps_them(dd_run_check, aggregator, provider_server, caplog):
    provider_server.reply(WAFER.path, Reply(body=fixture_text('wafer_variants.txt')))
    with caplog.at_level(logging.INFO):
        dd_run_check(WAFER.check(provider_server, exclude_labels=['backend_id', 'model']))
    # Summed over replicas: add up; averaged over replicas: average.
    aggregator.assert_metric('llm_inference.requests.running', 23, tags=WAFER_BASE, count=1)
    assert_gauge_close(aggregator, 'llm_inference.kv_cache.usage', 0.6, WAFER_BASE)
    # Percentiles of two models cannot be combined: `model` stays, and the log says so once.
    aggregator.assert_metric(
        'llm_inference.request.output_tokens_per_second',
        71.25,
        tags=WAFER_BASE + ['quantile:0.5', *model_tags('llama-3.3-70b'), DAY],
    )
    aggregator.assert_metric(
        'llm_inference.request.output_tokens_per_second',
        64.0,
        tags=WAFER_BASE + ['quantile:0.5', *model_tags('llama-3.1-8b'), DAY],
    )
    assert caplog.text.count('cannot be aggregated away from llm_inference.request.output_tokens_per_second') == 1


# Moved from test_payload_shapes.py.
def test_label_over_max_label_values(dd_run_check, aggregator, provider_server, caplog):
    """A label with more values than `max_label_values` is aggregated away where the metric allows, and its series
    are not submitted where it does not (percentiles); a WARNING and the telemetry name it."""
    body = ''.join(
        'wafer_engine_running_requests{{endpoint="{e}",pod="p{i}"}} 1\n'
        'wafer_ttft_seconds{{endpoint="{e}",pod="p{i}",quantile="0.5"}} 0.{i}\n'.format(e=ENDPOINT, i=i)
        for i in range(1, 6)
    )
    provider_server.reply(WAFER.path, Reply(body=body))
    with caplog.at_level(logging.WARNING):
        dd_run_check(WAFER.check(provider_server, max_label_values=4))
    aggregator.assert_metric('llm_inference.requests.running', 5, tags=WAFER_BASE, count=1)
    assert not aggregator.metrics('llm_inference.time_to_first_token.seconds')
    aggregator.assert_metric('llm_inference.integration.labels_over_limit', 5, tags=WAFER_BASE + ['label:pod'])
    assert drift_values(aggregator, 'series_dropped') == {'reason:label_limit': 5}
    assert 'label `pod` has 5 values on llm_inference.requests.running' in caplog.text
    assert '`max_label_values` (4)' in caplog.text


CANARY = 'acme-llama-canary.wafer.ai'
ANOTHER_ENDPOINT = (
    "wafer: `endpoint` is `acme-llama`, but the reply's series are of deployment `acme-llama.wafer.ai` (their "
    "`endpoint` label): fix `endpoint` (or `api_url`, which chose this reply). Collected as configured: every point "
    "is tagged `deployment:acme-llama`, the reply's id kept as `label_endpoint`."
)


@pytest.mark.parametrize(
    'endpoint, canary, message',
    [
        (ENDPOINT, False, None),
        # Another endpoint's series beside the instance's own: kept apart (label_endpoint), the run still OK.
        (ENDPOINT, True, None),
        # The endpoint's name where its host belongs: the reply's series are all of another endpoint.
        ('acme-llama', False, ANOTHER_ENDPOINT),
    ],
)
def test_a_reply_of_another_endpoint_is_a_warning_naming_both(
    dd_run_check, aggregator, provider_server, caplog, endpoint, canary, message
):
    body = 'wafer_engine_running_requests{{endpoint="{0}"}} 23\nwafer_engine_queue_depth{{endpoint="{0}"}} 4\n'.format(
        ENDPOINT
    )
    if canary:
        body += 'wafer_engine_running_requests{{endpoint="{}"}} 2\n'.format(CANARY)
    provider_server.reply(WAFER.path, Reply(body=body))
    with caplog.at_level(logging.WARNING):
        dd_run_check(WAFER.check(provider_server, endpoint=endpoint))

    base = ['provider:wafer', 'deployment:' + endpoint]
    kept = [] if endpoint == ENDPOINT else ['label_endpoint:' + ENDPOINT]
    aggregator.assert_metric('llm_inference.requests.running', 23, tags=base + kept, count=1)
    aggregator.assert_metric('llm_inference.requests.queued', 4, tags=base + kept, count=1)
    if canary:
        aggregator.assert_metric('llm_inference.requests.running', 2, tags=base + ['label_endpoint:' + CANARY], count=1)
    assert_reply_identity(aggregator, caplog, base, base[1], 3 if canary else 2, message)


# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields.
FAULTS = fault_rows(
    SETUP,
    lambda: Reply(body=fixture_text('wafer.txt')),
    ('llm_inference.requests.running', 23, WAFER.tags),
    nan=(
        'wafer_engine_running_requests{endpoint="acme-llama.wafer.ai"} NaN\n'
        'wafer_engine_queue_depth{endpoint="acme-llama.wafer.ai"} 2\n',
        [2.0],
    ),
    duplicates=(
        'wafer_engine_queue_depth{endpoint="acme-llama.wafer.ai"} 2\n'
        'wafer_engine_queue_depth{endpoint="acme-llama.wafer.ai"} 99\n',
        [2.0],
    ),
    **{
        '403': (AgentCheck.CRITICAL, 'serverless (pass.wafer.ai) key'),
        '404': (AgentCheck.CRITICAL, 'HTTP 404', 'check `endpoint`'),
    },
)
