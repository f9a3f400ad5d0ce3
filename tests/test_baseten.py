"""Baseten: its documented payload (cumulative counters and histograms) over two scrapes, the `Api-Key` header, and
variants (labels added, a series missing, a counter reset)."""

import math

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference.providers.baseten import BasetenCheck

from .common import (
    API_KEY,
    Provider,
    assert_aggregates,
    assert_no_drift,
    every_series,
    fault_rows,
    filled,
    fixture_text,
    model_tags,
    provider_rows,
)
from .provider_server import ProviderServer, Reply
from .reference import expected_quantile

# This provider's test instance (the shared tests find it as `SETUP`), and the model names its payloads and its
# simulator send, with their canonical names written out by hand (common.model_tags).
BASETEN = Provider('baseten', {}, '/metrics')
SETUP = BASETEN
CANONICAL = {'llama-3.3-70b': 'llama-3.3-70b'}

SERIES = ['provider:baseten', 'deployment:dep-1', 'model_id:mdl-a1', *model_tags('llama-3.3-70b')]
ENVIRONMENT = ['environment:production', 'rollout_phase:stable']
FIRST = dict(ok=1000, failed=10, b1=400, b2=800, b3=990, b4=1010, tin=900000, tout=250000)
SECOND = dict(ok=1114, failed=16, b1=430, b2=880, b3=1100, b4=1130, tin=1008000, tout=280000)


def payload(values, text=None):
    return filled('baseten.txt', values, text)


# Cumulative series: a first run submits its gauges only, so the fault matrix probes a gauge.
FAULTS = fault_rows(
    SETUP,
    lambda: Reply(body=payload(FIRST)),
    (
        'llm_inference.baseten.replicas.active',
        2,
        BASETEN.tags + ['deployment:dep-1', 'model_id:mdl-a1', *model_tags('llama-3.3-70b')],
    ),
    nan=('baseten_replicas_active{deployment_id="a"} NaN\nbaseten_replicas_active{deployment_id="b"} 4.5\n', [4.5]),
    duplicates=('baseten_replicas_active{deployment_id="a"} 2.5\nbaseten_replicas_active{deployment_id="a"} 99\n', [2.5]),
)


@pytest.fixture
def server():
    with ProviderServer() as s:  # checks no Bearer key: the tests read the header themselves
        yield s


def run_twice(dd_run_check, aggregator, server, clock, first, second, text=None):
    check = BASETEN.scrape_twice(
        dd_run_check, server, clock, payload(first, text), payload(second, text), between=aggregator.reset
    )
    assert isinstance(check, BasetenCheck)
    return check


def test_first_scrape_gauges_only_then_rates_and_interval_quantiles(dd_run_check, aggregator, server, clock):
    check = BASETEN.check(server)
    server.reply(BASETEN.path, Reply(body=payload(FIRST)))
    dd_run_check(check)
    # The first run: gauges, never a zero rate; an OK run.
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)
    for name in ('requests.rate', 'errors.rate', 'tokens.input.rate', 'e2e_latency.seconds'):
        aggregator.assert_metric('llm_inference.' + name, count=0)
    aggregator.assert_metric('llm_inference.baseten.replicas.active', 2, tags=SERIES, count=1)
    assert server.requests[-1].headers['Authorization'] == 'Api-Key ' + API_KEY

    aggregator.reset()
    clock.t += 60
    server.reply(BASETEN.path, Reply(body=payload(SECOND)))
    dd_run_check(check)

    def metric(name, value, *tags):
        aggregator.assert_metric('llm_inference.' + name, pytest.approx(value), tags=SERIES + list(tags), count=1)

    # Rates: counter differences over the 60 s between the scrapes.
    metric('requests.rate', (114 + 6) / 60, 'is_async:false', *ENVIRONMENT)
    metric('errors.rate', 6 / 60, 'is_async:false', 'status_code:500', *ENVIRONMENT)
    metric('tokens.input.rate', 108000 / 60)
    metric('tokens.output.rate', 30000 / 60)
    # Interval quantiles: histogram_quantile over the bucket differences.
    diffs, total = [30, 80, 110], 120
    for q in ('0.5', '0.9', '0.95', '0.99'):
        expected = expected_quantile(float(q), (0.5, 1.0, 2.5), [d / total for d in diffs], total)
        metric('e2e_latency.seconds', expected, 'quantile:' + q, *ENVIRONMENT)
        ttfb = expected_quantile(float(q), (0.1,), [30 / 120], 120)
        metric('baseten.time_to_first_byte.seconds', ttfb, 'quantile:' + q)
    metric('baseten.replicas.active', 2)
    metric('baseten.replicas.starting', 1)
    metric('baseten.concurrent_requests', 7)
    metric('baseten.gpu.utilization', 80, 'replica:r-1', 'gpu:0')
    metric('baseten.gpu.utilization', 60, 'replica:r-1', 'gpu:1')
    metric('baseten.gpu.memory_used.bytes', 1024 * 1024 * 1024, 'replica:r-1', 'gpu:0')
    aggregator.assert_metric('llm_inference.cost.hourly', count=0)  # no pricing set
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)
    for name in ('integration.requests', 'integration.series'):
        aggregator.assert_metric('llm_inference.' + name)
    assert_no_drift(aggregator, ['provider:baseten'])
    # Model-level series of the catalog's shared names (its own names get none), and the SLO rates.
    assert aggregator.metrics('llm_inference.model.e2e_latency.seconds')
    assert not [n for n in aggregator.metric_names if n.startswith('llm_inference.model.baseten.')]
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_a_counter_reset_gives_no_negative_rate(dd_run_check, aggregator, server, clock):
    after_restart = dict(SECOND, ok=30, failed=0, b1=10, b2=20, b3=30, b4=30, tin=100, tout=50)
    run_twice(dd_run_check, aggregator, server, clock, FIRST, after_restart)
    for m in aggregator.metrics('llm_inference.requests.rate') + aggregator.metrics('llm_inference.tokens.input.rate'):
        assert m.value >= 0
    aggregator.assert_metric('llm_inference.requests.rate', pytest.approx(30 / 60), count=1)
    aggregator.assert_metric('llm_inference.tokens.output.rate', pytest.approx(50 / 60), count=1)


def test_labels_added_and_a_series_missing(dd_run_check, aggregator, server, clock):
    text = fixture_text('baseten.txt').replace('deployment_id="dep-1"', 'deployment_id="dep-1",region="us-east"')
    text = '\n'.join(line for line in text.splitlines() if 'llm_input_tokens' not in line) + '\n'
    run_twice(dd_run_check, aggregator, server, clock, FIRST, SECOND, text)
    aggregator.assert_metric('llm_inference.tokens.input.rate', count=0)  # missing: nothing, not a zero
    aggregator.assert_metric_has_tag('llm_inference.requests.rate', 'region:us-east')
    aggregator.assert_metric('llm_inference.tokens.output.rate', pytest.approx(30000 / 60), count=1)


def test_a_bearer_style_refusal_says_to_use_an_api_key(dd_run_check, aggregator, server):
    server.reply(BASETEN.path, Reply(401, 'invalid API key'))
    with pytest.raises(Exception):
        dd_run_check(BASETEN.check(server))
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.CRITICAL
    assert 'Api-Key' in sc.message and 'workspace' in sc.message
    assert API_KEY not in sc.message


def test_every_documented_series_reaches_the_catalog(dd_run_check, aggregator, server, clock):
    from datadog_checks.llm_inference.providers.baseten import METRIC_MAP

    check = BASETEN.check(server, collect_raw_buckets=True)
    for n in (1, 2):
        aggregator.reset()
        labels = 'model_id="mdl-a1",model_name="llama-3.3-70b",deployment_id="dep-1"'
        server.reply(BASETEN.path, Reply(body=every_series(METRIC_MAP, labels, n)))
        dd_run_check(check)
        clock.t += 60
    names = {m.split('.', 1)[1] for m in aggregator.metric_names if not m.startswith('llm_inference.integration.')}
    assert provider_rows('baseten') <= names
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_distributions_of_cumulative_buckets_count_the_requests_between_the_two_scrapes(
    dd_run_check, aggregator, server, clock
):
    """`latency_distributions` on cumulative buckets: each bucket's count is its increase between the two scrapes,
    exactly, even when the scrapes are further apart than `min_collection_interval` (a late run), and the first
    scrape after a start submits none."""
    check = BASETEN.check(server, latency_distributions=True, min_collection_interval=60)
    server.reply(BASETEN.path, Reply(body=payload(FIRST)))
    dd_run_check(check)
    name = 'llm_inference.distribution.e2e_latency.seconds'
    assert not aggregator.histogram_bucket(name)
    aggregator.reset()
    clock.t += 75  # a run 15 s late
    server.reply(BASETEN.path, Reply(body=payload(SECOND)))
    dd_run_check(check)
    buckets = aggregator.histogram_bucket(name)
    # The increases of the cumulative counts at 0.5, 1, 2.5 s and +Inf: b1..b4 of SECOND minus FIRST.
    cumulative = [SECOND[b] - FIRST[b] for b in ('b1', 'b2', 'b3', 'b4')]
    expected = {
        (lower, upper): count - below
        for lower, upper, count, below in zip(
            (0.0, 0.5, 1.0, 2.5), (0.5, 1.0, 2.5, math.inf), cumulative, [0] + cumulative
        )
    }
    assert {(b.lower_bound, b.upper_bound): b.value for b in buckets} == expected
    assert sum(b.value for b in buckets) == SECOND['b4'] - FIRST['b4']
    assert {tuple(sorted(b.tags)) for b in buckets} == {tuple(sorted(SERIES + ENVIRONMENT))}
    assert all(not b.monotonic for b in buckets)
