"""Together AI: its documented series (cumulative counters and histograms of the edge, the router and the worker;
edge latencies in milliseconds) over two scrapes, the Bearer key and the organization, the default timeout and budget,
variants (labels added or renamed, a series missing, a counter reset, seconds where milliseconds were documented), and
the simulator's keys and limit.

tests/fixtures/together.txt is built from the docs' metric names, types and labels (docs/providers/together.md): the
docs give no example reply. Expected values are worked out here from the placeholders' values."""

import logging

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck, transport
from datadog_checks.llm_inference.providers.together import TogetherCheck
from simulator import together as sim
from simulator.scrape_server import ScrapeServer

from .common import (
    API_KEY,
    Provider,
    assert_agent_conventions,
    assert_aggregates,
    assert_no_drift,
    assert_reply_identity,
    assert_simulated_limit,
    drift_values,
    every_series,
    fault_rows,
    filled,
    fixture_text,
    model_tags,
    provider_rows,
)
from .provider_server import Reply
from .reference import expected_quantile

# This provider's test instance (the shared tests find it as `SETUP`), and the model names its payloads and its
# simulator send, with their canonical names written out by hand (common.model_tags).
TOGETHER_ORGANIZATION = 'org_abc123'  # the id in tests/fixtures/together.txt (`owner_organization_id`)
TOGETHER = Provider(
    'together',
    {'organization_id': TOGETHER_ORGANIZATION},
    '/organizations/{}/metrics'.format(TOGETHER_ORGANIZATION),
    identity=('organization_id:' + TOGETHER_ORGANIZATION,),
)
SETUP = TOGETHER
CANONICAL = {
    'meta-llama/Llama-3.3-70B-Instruct': 'llama-3.3-70b-instruct',
    'Qwen/Qwen2.5-72B-Instruct': 'qwen2.5-72b-instruct',
}
LLAMA = 'meta-llama/Llama-3.3-70B-Instruct'
IDS = [
    'project_id:proj_7f3e',
    'endpoint_id:ep_llama01',
    'endpoint_name:llama-prod',
    'deployment:dep_a1',
    'deployment_name:llama-prod-a',
    *model_tags(LLAMA),
]
EDGE = TOGETHER.tags + IDS + ['deployment_region:us-central-1', 'edge_region:us-east-1', 'path:/v1/chat/completions']
ROUTER = TOGETHER.tags + IDS
WORKER = TOGETHER.tags + IDS + ['replica:r-0']
FIRST = dict(ok=1000, failed=10, e1=300, e2=700, e3=950, e4=1010, t1=500, t2=900, t3=1010, n1=2, n2=5, n3=40)
FIRST.update(tin=900000, tout=250000)
SECOND = dict(ok=1114, failed=16, e1=330, e2=790, e3=1060, e4=1130, t1=560, t2=1010, t3=1130, n1=2, n2=6, n3=60)
SECOND.update(tin=1008000, tout=280000)
# The increases between the two scrapes, 60 s apart.
E_DIFFS, T_DIFFS = (30, 90, 110, 120), (60, 110, 120)


def payload(values, text=None):
    return filled('together.txt', values, text)


# This provider's row of the fault matrix (test_faults.py). Cumulative series: a first run submits its gauges only, so
# the probe is a gauge, and the NaN and duplicate cases are gauges of its own.
FAULTS = fault_rows(
    SETUP,
    lambda: Reply(body=payload(FIRST)),
    ('llm_inference.requests.running', 3, EDGE),
    nan=(
        'edge_inference_inflight_requests{deployment_id="a",model="m"} NaN\n'
        'edge_inference_inflight_requests{deployment_id="b",model="m"} 4.5\n'
        'edge_inference_inflight_requests{deployment_id="c",model="m"} +Inf\n',
        [4.5],
    ),
    duplicates=(
        'worker_engine_kv_cache_utilization{deployment_id="a",model_id="m",replica_id="r-0"} 0.25\n'
        'worker_engine_kv_cache_utilization{replica_id="r-0",model_id="m",deployment_id="a"} 0.99\n',
        [0.25],
    ),
    **{
        '401': (
            AgentCheck.CRITICAL,
            'HTTP 401',
            'check `api_key`',
            '`organization_id`',
            'another Together organization',
        ),
        '403': (AgentCheck.CRITICAL, 'HTTP 403', 'beta', '`organization_id`'),
        '404': (AgentCheck.CRITICAL, 'HTTP 404', '`organization_id`', '`org_abc123`'),
    },
)


def quantiles(bounds, diffs, scale=1.0):
    """{quantile tag: expected value} of histogram_quantile over the bucket increases `diffs` (the last is +Inf)."""
    total = diffs[-1]
    shares = [d / total for d in diffs[:-1]]
    return {q: expected_quantile(float(q), bounds, shares, total) * scale for q in ('0.5', '0.9', '0.95', '0.99')}


def run_twice(dd_run_check, server, clock, first=FIRST, second=SECOND, text=None, **options):
    return TOGETHER.scrape_twice(dd_run_check, server, clock, payload(first, text), payload(second, text), **options)


def test_first_scrape_gauges_only_then_rates_and_interval_quantiles(dd_run_check, aggregator, provider_server, clock):
    check = TOGETHER.check(provider_server)
    assert isinstance(check, TogetherCheck)
    provider_server.reply(TOGETHER.path, Reply(body=payload(FIRST)))
    dd_run_check(check)
    assert provider_server.requests[-1].headers['Authorization'] == 'Bearer ' + API_KEY
    # The first run: the gauges, never a zero rate or a quantile; an OK run.
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=TOGETHER.tags, count=1)
    for name in (
        'requests.rate',
        'errors.rate',
        'tokens.input.rate',
        'e2e_latency.seconds',
        'model.e2e_latency.seconds',
    ):
        aggregator.assert_metric('llm_inference.' + name, count=0)
    aggregator.assert_metric('llm_inference.requests.running', 3, tags=EDGE, count=1)
    aggregator.assert_metric('llm_inference.kv_cache.usage', 0.5, tags=TOGETHER.tags + IDS, count=1)

    aggregator.reset()
    clock.t += 60
    provider_server.reply(TOGETHER.path, Reply(body=payload(SECOND)))
    dd_run_check(check)

    def metric(name, value, tags):
        aggregator.assert_metric('llm_inference.' + name, pytest.approx(value), tags=tags, count=1)

    streaming = EDGE + ['is_streaming:true']
    # Rates: counter differences over the 60 s between the scrapes; errors are the non-2xx requests.
    metric('requests.rate', (114 + 6) / 60, streaming)
    metric('errors.rate', 6 / 60, streaming + ['status_code:500'])
    metric('together.router.requests.rate', 114 / 60, ROUTER + ['status_code:200'])
    metric('together.worker.requests.rate', 114 / 60, WORKER + ['status_code:200'])
    metric('tokens.input.rate', 108000 / 60, WORKER)
    metric('tokens.output.rate', 30000 / 60, WORKER)
    for kind, value in (('input', 108000), ('output', 30000)):
        tags = ROUTER + ['token_type:' + kind, 'requester_organization_id:org_abc123']
        metric('together.router.tokens.rate', value / 60, tags)
    # Interval quantiles: histogram_quantile over the bucket increases; the edge's milliseconds become seconds.
    families = [
        ('e2e_latency.seconds', (250, 500, 1000), E_DIFFS, 0.001, streaming),
        ('time_to_first_token.seconds', (100, 250), T_DIFFS, 0.001, streaming),
        ('together.router.e2e_latency.seconds', (0.25, 0.5, 1), E_DIFFS, 1, ROUTER),
        ('together.router.time_to_first_token.seconds', (0.1, 0.25), T_DIFFS, 1, ROUTER),
        ('together.router.pre_worker.seconds', (0.005, 0.01), T_DIFFS, 1, ROUTER),
        ('together.worker.time_to_first_token.seconds', (0.1, 0.25), T_DIFFS, 1, WORKER),
        ('together.worker.generation.seconds', (0.25, 0.5, 1), E_DIFFS, 1, WORKER),
        ('time_per_output_token.seconds', (0.02, 0.05), T_DIFFS, 1, WORKER),
        ('request.input_tokens', (256, 1024, 4096), E_DIFFS, 1, WORKER + ['token_type:input']),
        ('request.output_tokens', (64, 256), T_DIFFS, 1, WORKER + ['token_type:output']),
    ]
    for name, bounds, diffs, scale, tags in families:
        for q, value in quantiles(bounds, diffs, scale).items():
            metric(name, value, tags + ['quantile:' + q])
    # The non-streaming series' "first token" (the whole reply) is no time to first token.
    ttft = aggregator.metrics('llm_inference.time_to_first_token.seconds')
    assert ttft and all('is_streaming:true' in m.tags for m in ttft)
    # The catalog's shared names get model-level series (one deployment: the same values); a provider's own none.
    for q, value in quantiles((100, 250), T_DIFFS, 0.001).items():
        tags = TOGETHER.tags + model_tags(LLAMA) + ['quantile:' + q]
        metric('model.time_to_first_token.seconds', value, tags)
    assert not [n for n in aggregator.metric_names if n.startswith('llm_inference.model.together.')]
    assert_aggregates(aggregator)
    # Gauges: in flight summed, the engines' fractions averaged over replicas.
    metric('requests.running', 3, EDGE)
    metric('together.router.requests.running', 2, ROUTER)
    metric('kv_cache.usage', 0.5, TOGETHER.tags + IDS)
    metric('together.engine.cache_hit_rate', 0.4, TOGETHER.tags + IDS)
    aggregator.assert_metric('llm_inference.cost.hourly', count=0)  # no pricing set
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)
    for name in (
        'integration.requests',
        'integration.series',
        'integration.series_folded',
        'integration.labels_over_limit',
    ):
        aggregator.assert_metric('llm_inference.' + name, at_least=0)
    assert_no_drift(aggregator, TOGETHER.tags)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)


def test_a_counter_reset_gives_no_negative_rate(dd_run_check, aggregator, provider_server, clock):
    after_restart = dict(SECOND, ok=30, failed=0, e1=10, e2=20, e3=30, e4=30, t1=10, t2=20, t3=30, tin=100, tout=50)
    run_twice(dd_run_check, provider_server, clock, second=after_restart)
    for name in ('requests.rate', 'tokens.input.rate', 'together.router.requests.rate', 'e2e_latency.seconds'):
        assert all(m.value >= 0 for m in aggregator.metrics('llm_inference.' + name))
    # A counter that went down counts from 0, as Prometheus's rate.
    aggregator.assert_metric('llm_inference.requests.rate', pytest.approx(30 / 60), count=1)
    aggregator.assert_metric('llm_inference.tokens.output.rate', pytest.approx(50 / 60), count=1)
    aggregator.assert_metric('llm_inference.errors.rate', 0, count=1)


def test_raw_buckets_are_in_seconds(dd_run_check, aggregator, provider_server, clock):
    run_twice(dd_run_check, provider_server, clock, collect_raw_buckets=True)
    bounds = {
        t for m in aggregator.metrics('llm_inference.together.e2e_latency.bucket') for t in m.tags if 'bound' in t
    }
    assert bounds == {'upper_bound:0.25', 'upper_bound:0.5', 'upper_bound:1', 'upper_bound:+Inf'}
    (inf,) = [
        m for m in aggregator.metrics('llm_inference.together.e2e_latency.bucket') if 'upper_bound:+Inf' in m.tags
    ]
    assert inf.value == pytest.approx(120 / 60)  # requests a second of the interval


def test_labels_added_renamed_and_a_series_missing(dd_run_check, aggregator, provider_server, clock):
    text = fixture_text('together.txt').replace('deployment_id="dep_a1"', 'deployment_id="dep_a1",zone="b"')
    # The worker's model label spelled as the edge's, and the edge's as the worker's: both are the model.
    text = text.replace('model_id="meta', 'MODEL_ID').replace('model="meta', 'model_id="meta')
    text = text.replace('MODEL_ID', 'model="meta')
    text = '\n'.join(line for line in text.splitlines() if not line.startswith('worker_token_total')) + '\n'
    run_twice(dd_run_check, provider_server, clock, text=text)
    for name in ('tokens.input.rate', 'tokens.output.rate'):
        aggregator.assert_metric('llm_inference.' + name, count=0)  # missing: nothing, not a zero
    for name in ('requests.rate', 'time_per_output_token.seconds', 'kv_cache.usage'):
        for tag in ('zone:b', 'model:' + LLAMA):
            aggregator.assert_metric_has_tag('llm_inference.' + name, tag)
    aggregator.assert_metric('llm_inference.requests.rate', pytest.approx(2.0), count=1)
    assert drift_values(aggregator, 'unmapped_labels')['label:zone'] > 0


def test_a_time_to_first_token_without_the_streaming_label_is_read(dd_run_check, aggregator, provider_server, clock):
    """Only the series marked non-streaming are left out: without the label, the series is the time to first token."""
    text = '\n'.join(
        line.replace(',is_streaming="true"', '')
        for line in fixture_text('together.txt').splitlines()
        if 'is_streaming="false"' not in line
    )
    run_twice(dd_run_check, provider_server, clock, text=text + '\n')
    for q, value in quantiles((100, 250), T_DIFFS, 0.001).items():
        aggregator.assert_metric(
            'llm_inference.time_to_first_token.seconds', pytest.approx(value), tags=EDGE + ['quantile:' + q], count=1
        )


def test_seconds_under_a_name_the_docs_do_not_give_are_reported_never_read_as_milliseconds(
    dd_run_check, aggregator, provider_server, clock
):
    text = fixture_text('together.txt').replace(
        'edge_inference_request_duration_ms', 'edge_inference_request_duration_seconds'
    )
    run_twice(dd_run_check, provider_server, clock, text=text)
    aggregator.assert_metric('llm_inference.e2e_latency.seconds', count=0)
    unmapped = drift_values(aggregator, 'unmapped_series')
    assert unmapped['raw_name:edge_inference_request_duration_seconds_bucket'] > 0


ANOTHER_ORGANIZATION = (
    "together: `organization_id` is `org_abc123`, but the reply's series are of organization_id `org_other` (their "
    "`owner_organization_id` label): fix `organization_id` (or `api_url`, which chose this reply). Collected as "
    "configured: every point is tagged `organization_id:org_abc123`, the reply's id kept as "
    "`label_owner_organization_id`."
)


@pytest.mark.parametrize('owner, message', [('org_abc123', None), ('org_other', ANOTHER_ORGANIZATION)])
def test_another_organizations_series_are_told_apart_and_said(
    dd_run_check, aggregator, provider_server, caplog, owner, message
):
    """A reply whose endpoints another organization owns (a key or `api_url` of another one): collected under the
    configured id, the reply's own kept apart, and the run is a WARNING naming both."""
    body = (
        'edge_inference_inflight_requests{{owner_organization_id="{0}",endpoint_id="ep_1"}} 3\n'
        'worker_engine_kv_cache_utilization{{owner_organization_id="{0}",endpoint_id="ep_1",replica_id="r-0"}} 0.5\n'
    ).format(owner)
    provider_server.reply(TOGETHER.path, Reply(body=body))
    with caplog.at_level(logging.WARNING):
        dd_run_check(TOGETHER.check(provider_server))
    kept = ['label_owner_organization_id:org_other'] if message else []
    aggregator.assert_metric('llm_inference.requests.running', 3, tags=TOGETHER.tags + ['endpoint_id:ep_1', *kept])
    aggregator.assert_metric(
        'llm_inference.kv_cache.usage', 0.5, tags=TOGETHER.tags + ['endpoint_id:ep_1', *kept]
    )
    assert_reply_identity(aggregator, caplog, TOGETHER.tags, TOGETHER.tags[1], 2, message)


def test_an_empty_reply_says_no_endpoint_served_traffic(dd_run_check, aggregator, provider_server):
    provider_server.reply(TOGETHER.path, Reply(body=''))
    dd_run_check(TOGETHER.check(provider_server))
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING and 'served traffic recently' in sc.message


def test_default_url_budget_timeout_and_required_options():
    instance = {'provider': 'together', 'api_key': 'k', 'organization_id': 'org_abc123'}
    check = LlmInferenceCheck('llm_inference', {}, [instance])
    assert check.url == 'https://o11y-de2-metrics.cloud.together.ai/organizations/org_abc123/metrics'
    # No documented limit: the check's own 6 a minute, per organization (two keys of one organization share it).
    other_key = LlmInferenceCheck('llm_inference', {}, [dict(instance, api_key='k2')])
    assert check.budget.credential == other_key.budget.credential and check.budget.per_minute == 6
    # The docs' 55 s timeout, for the run and each request; cut to 5 s under a shorter interval; the user's wins.
    assert (check.timeout, check.transport.request_timeout) == (55.0, (55.0, 55.0))
    short = LlmInferenceCheck('llm_inference', {}, [dict(instance, min_collection_interval=30)])
    assert short.timeout == 25.0
    assert LlmInferenceCheck('llm_inference', {}, [dict(instance, min_collection_interval=10)]).timeout == 10.0
    mine = LlmInferenceCheck('llm_inference', {}, [dict(instance, timeout=115, min_collection_interval=120)])
    assert (mine.timeout, mine.transport.request_timeout) == (115.0, None)
    shared = LlmInferenceCheck('llm_inference', {'timeout': 20}, [instance])
    assert (shared.timeout, shared.transport.request_timeout) == (20.0, None)
    read = LlmInferenceCheck('llm_inference', {}, [dict(instance, read_timeout=30)])
    assert read.transport.request_timeout == (55.0, 30.0)
    # Every other provider keeps the 10 s of every HTTP check.
    cerebras = LlmInferenceCheck('llm_inference', {}, [dict(instance, provider='cerebras')])
    assert (cerebras.timeout, cerebras.transport.request_timeout) == (10.0, None)
    with pytest.raises(Exception, match='organization_id'):
        LlmInferenceCheck('llm_inference', {}, [{'provider': 'together', 'api_key': 'k'}])


def test_each_request_waits_as_long_as_the_run():
    """Where the provider's default deadline applies, each request's socket timeouts are that deadline, not the base
    HTTP wrapper's 10 s (which knows only `timeout` set in the instance or init_config)."""
    seen = []

    class Budget:
        def acquire(self):
            return None

        def release(self, slot):
            pass

    class Http:
        options = {'timeout': (10.0, 10.0)}

        def get(self, url, **options):
            seen.append(options['timeout'])

    instance = {'provider': 'together', 'api_key': 'k', 'organization_id': 'org_abc123'}
    check = LlmInferenceCheck('llm_inference', {}, [instance])
    run = transport.Transport(Budget(), check.timeout, lambda v: None, lambda o: None, check.transport.request_timeout)
    run.start()
    try:
        run.send(Http(), 'get', 'http://127.0.0.1/organizations/org_abc123/metrics', {})
    finally:
        run.finish()
    (connect, read) = seen[0]
    assert 54 < connect <= 55 and 54 < read <= 55  # what is left of the run's 55 s


def test_every_documented_series_reaches_the_catalog(dd_run_check, aggregator, provider_server, clock):
    from datadog_checks.llm_inference.providers.together import METRIC_MAP

    def tokens(raw):
        return (',token_type="input"', ',token_type="output"') if 'token' in raw else ('',)

    check = TOGETHER.check(provider_server, collect_raw_buckets=True)
    for n in (1, 2):
        aggregator.reset()
        body = every_series(METRIC_MAP, 'deployment_id="dep-1",model="m1",replica_id="r-0"', n, tokens, gauge=0.5)
        provider_server.reply(TOGETHER.path, Reply(body=body))
        dd_run_check(check)
        clock.t += 60
    names = {m.split('.', 1)[1] for m in aggregator.metric_names if not m.startswith('llm_inference.integration.')}
    assert provider_rows('together') <= names
    for name in ('requests.rate', 'errors.rate', 'tokens.input.rate', 'request.output_tokens', 'kv_cache.usage'):
        assert name in names
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


# --- the simulator --------------------------------------------------------------------------------------------------


def test_simulator_keys_organizations_and_limit():
    now = [1_800_000_000.0]
    server = ScrapeServer([sim.PROVIDER], clock=lambda: now[0])
    path = '{}{}/metrics'.format(sim.PATH, sim.ORGANIZATION)
    assert server.answer(path, 'Bearer wrong-key').status == 401
    assert server.answer(path, '').status == 401
    assert server.answer(path, 'Api-Key ' + sim.KEY).status == 401  # the scheme is Bearer
    # A valid key of another organization is refused, and so is this key on another organization.
    assert server.answer(path, 'Bearer ' + sim.OTHER_KEY).status == 401
    assert server.answer('{}{}/metrics'.format(sim.PATH, sim.OTHER_ORGANIZATION), 'Bearer ' + sim.KEY).status == 401
    assert server.answer(sim.PATH + 'x/other', 'Bearer ' + sim.KEY).status == 404  # not its path
    assert_simulated_limit(server, path, 'Bearer ' + sim.KEY, now)


def test_simulator_demo_instance_reads_back(dd_run_check, aggregator, clock):
    with ScrapeServer([sim.PROVIDER], clock=clock) as server:
        (healthy,) = sim.PROVIDER.demo_instances(server.url + sim.PATH)
        check = LlmInferenceCheck('llm_inference', {}, [healthy])
        base = ['provider:together', 'organization_id:' + sim.ORGANIZATION]
        dd_run_check(check)
        aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=base, count=1)
        kv = sim.DEPLOYMENTS[sim.ORGANIZATION]['dep_llama_a'].kv
        usage = [m for m in aggregator.metrics('llm_inference.kv_cache.usage') if 'deployment:dep_llama_a' in m.tags]
        assert [m.value for m in usage] == [pytest.approx(sum(kv) / len(kv))]
        assert_no_drift(aggregator, base)
        aggregator.reset()
        clock.t += 60
        dd_run_check(check)
        d = sim.DEPLOYMENTS[sim.ORGANIZATION]['dep_llama_a']
        rate = [m for m in aggregator.metrics('llm_inference.requests.rate') if 'deployment:dep_llama_a' in m.tags]
        assert [m.value for m in rate] == [pytest.approx(d.rps, rel=1e-3)]
        assert aggregator.metrics('llm_inference.model.time_to_first_token.seconds')
        aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)

        # A key of another organization: the message says what to fix, the key nowhere.
        aggregator.reset()
        failing = dict(healthy, api_key=sim.OTHER_KEY)
        assert LlmInferenceCheck('llm_inference', {}, [failing]).run()
        (sc,) = aggregator.service_checks('llm_inference.can_connect')
        assert sc.status == AgentCheck.CRITICAL and 'another Together organization' in sc.message
        assert sim.OTHER_KEY not in sc.message
