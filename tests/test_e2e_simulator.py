"""Every provider through the entry class against the bundled simulator, for several cycles, on a simulated clock."""

import io
import os

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck, runner
from simulator import models
from simulator.query_data import CRUSOE_MODELS, GROQ_MODELS, GROQ_PROJECT, MINUTES, groq_rate, groq_token_rate
from simulator.server import CRUSOE_PROJECT, KEYS, PRICING, Simulator

from .common import Clock, assert_gauge_close, model_tags
from .reference import expected_quantile

pytestmark = pytest.mark.integration
CYCLES = 4
QUANTILE_FAMILIES = {
    'latency_to_first_token_ms': 'time_to_first_token.seconds',
    'latency_overall_ms': 'e2e_latency.seconds',
    'latency_generation_queue_ms': 'queue_latency.seconds',
}


@pytest.fixture
def simulation(monkeypatch, load_time):
    # A fixed phase of the simulated day: outside bursts and error spikes, so the run is the same every time.
    start = load_time - (load_time % models.SPIKE_EVERY) + models.SPIKE_FOR + 60
    clock = Clock(start).install(monkeypatch)
    with Simulator(clock=clock) as sim:
        yield sim, clock


def fireworks_expectations(aggregator, t):
    for d in models.FIREWORKS_DEPLOYMENTS:
        tags = ['provider:fireworks', 'account:acme', *model_tags(d.base_model), 'deployment:' + d.deployment_id]
        rps = models.deployment_load(d, t)
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', rps, tags + ['window:1m'])
        gauges = models.fireworks_gauges(d, t)
        assert_gauge_close(
            aggregator, 'llm_inference.kv_cache.usage', gauges['generator_kv_blocks_fraction:avg_by_deployment'], tags
        )
        # Spend: replicas at the demo's price per replica-hour, over the prompt tokens of the hour (Fireworks reports
        # no output tokens).
        hourly = d.replicas * PRICING['fireworks']['replica_hour']
        cost = tags + ['basis:replicas', 'price_source:user']
        assert_gauge_close(aggregator, 'llm_inference.cost.hourly', hourly, cost)
        prompt = gauges['tokens_prompt_total:sum_by_deployment'] * 3600 / 1e6
        assert_gauge_close(
            aggregator,
            'llm_inference.cost.per_million_tokens',
            hourly / prompt,
            cost + ['window:1m', 'tokens_counted:input'],
        )
        buckets = models.fireworks_buckets(d, t)
        for family, name in QUANTILE_FAMILIES.items():
            rows = buckets[family][:-1]
            bounds = [float(le) for le, _ in rows]
            shares = [rate / rps for _, rate in rows]
            for q in ('0.5', '0.99'):
                value = expected_quantile(float(q), bounds, shares, 1.0) / 1000
                assert_gauge_close(
                    aggregator, 'llm_inference.' + name, value, tags + ['window:1m', 'quantile:' + q], rel=1e-6
                )


def wafer_expectations(aggregator, endpoint, t):
    values = models.wafer_values(endpoint, t)
    tags = ['provider:wafer', 'deployment:' + endpoint, *model_tags(models.WAFER_MODELS[endpoint])]
    # A flat hourly price over the tokens of the last 24 hours (an hourly average).
    hourly = PRICING[endpoint]['hour']
    assert_gauge_close(aggregator, 'llm_inference.cost.hourly', hourly, tags + ['basis:flat', 'price_source:user'])
    served = (values['wafer_input_tokens_last_24h'] + values['wafer_output_tokens_last_24h']) / 24 / 1e6
    assert_gauge_close(
        aggregator,
        'llm_inference.cost.per_million_tokens',
        hourly / served,
        tags + ['basis:flat', 'price_source:user', 'window:24h', 'tokens_counted:input_output'],
    )
    total = sum(values['wafer_requests_last_24h'].values())
    assert_gauge_close(aggregator, 'llm_inference.requests.rate', total / 86400, tags + ['window:24h'])
    assert_gauge_close(aggregator, 'llm_inference.kv_cache.usage', values['wafer_engine_kv_cache_usage_ratio'], tags)
    assert_gauge_close(
        aggregator,
        'llm_inference.time_to_first_token.seconds',
        values['wafer_ttft_seconds']['0.99'],
        tags + ['quantile:0.99', 'window:24h'],
    )


def query_expectations(aggregator):
    prices = PRICING['groq']['tokens']
    for model, spec in GROQ_MODELS.items():
        total = sum(groq_rate(model, code, MINUTES - 1) for code in spec['rates'])
        assert_gauge_close(
            aggregator, 'llm_inference.requests.rate', total, ['provider:groq', *model_tags(model), 'window:1m']
        )
        # Per-token prices, by canonical name; a model without one (qwen3-32b) has no cost.
        tags = ['provider:groq', *model_tags(model), 'project_id:' + GROQ_PROJECT, 'window:5m']
        price = prices.get(model_tags(model)[1].split(':', 1)[1])
        tokens = {kind: groq_token_rate(model, kind, MINUTES - 1) * 3600 for kind in ('tokens_in', 'tokens_out')}
        if price is None:
            assert not [m for m in aggregator.metrics('llm_inference.cost.hourly') if 'model:' + model in m.tags]
            continue
        hourly = (tokens['tokens_in'] * price['input'] + tokens['tokens_out'] * price['output']) / 1e6
        assert_gauge_close(
            aggregator, 'llm_inference.cost.hourly', hourly, tags + ['basis:tokens', 'price_source:user']
        )
        assert_gauge_close(
            aggregator,
            'llm_inference.cost.per_million_tokens',
            hourly / (sum(tokens.values()) / 1e6),
            tags + ['basis:tokens', 'price_source:user', 'tokens_counted:input_output'],
        )
    for (model, tier), spec in CRUSOE_MODELS.items():
        tags = [
            'provider:crusoe',
            'project_id:' + CRUSOE_PROJECT,
            *model_tags(model),
            'service_tier:' + tier,
            'window:5m',
        ]
        assert_gauge_close(aggregator, 'llm_inference.tokens.output.rate', spec['output'], tags)
        price = PRICING['crusoe']['tokens'][model_tags(model)[1].split(':', 1)[1]]
        hourly = (spec['input'] * price['input'] + spec['output'] * price['output']) * 3600 / 1e6
        assert_gauge_close(
            aggregator, 'llm_inference.cost.hourly', hourly, tags + ['basis:tokens', 'price_source:user']
        )
        assert_gauge_close(
            aggregator,
            'llm_inference.cost.per_million_tokens',
            hourly / ((spec['input'] + spec['output']) * 3600 / 1e6),
            tags + ['basis:tokens', 'price_source:user', 'tokens_counted:input_output'],
        )


def test_every_provider_for_several_cycles(aggregator, simulation):
    sim, clock = simulation
    checks = [LlmInferenceCheck('llm_inference', {}, [instance]) for instance in sim.instances()]
    for cycle in range(CYCLES):
        aggregator.reset()
        errors = [check.run() for check in checks]
        # Every instance but the serverless-key one collects; that one fails with a message that says why.
        assert [bool(e) for e in errors] == [False] * (len(checks) - 1) + [True]
        fireworks_expectations(aggregator, clock.t)
        for endpoint in models.WAFER_ENDPOINTS:
            wafer_expectations(aggregator, endpoint, clock.t)
        query_expectations(aggregator)
        statuses = [sc.status for sc in aggregator.service_checks('llm_inference.can_connect')]
        assert statuses == [AgentCheck.OK] * (len(checks) - 1) + [AgentCheck.CRITICAL]
        failing = aggregator.service_checks('llm_inference.can_connect')[-1]
        assert 'serverless' in failing.message and 'demo:failing-instance' in failing.tags
        assert KEYS['wafer_serverless'] not in failing.message
        aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
        clock.t += 60
    # One request per instance per cycle, and never a 429 from the simulated providers.
    assert [status for _, status in sim.scrape.requests].count(429) == 0
    assert sum(1 for p, _ in sim.scrape.requests if p == 'fireworks') == CYCLES
    assert len(sim.groq.requests) == CYCLES and len(sim.crusoe.requests) == CYCLES


def test_budget_keeps_under_the_providers_limit(aggregator, simulation):
    """Eight runs in one minute on one Fireworks account: six requests, two runs skipped, no 429."""
    sim, clock = simulation
    fireworks = [i for i in sim.instances() if i['provider'] == 'fireworks'][0]
    checks = [LlmInferenceCheck('llm_inference', {}, [fireworks]) for _ in range(2)]
    for n in range(8):
        checks[n % 2].run()
        clock.t += 5
    assert sim.scrape.requests == [('fireworks', 200)] * 6
    statuses = [sc.status for sc in aggregator.service_checks('llm_inference.can_connect')]
    assert statuses == [AgentCheck.OK] * 6 + [AgentCheck.WARNING] * 2
    aggregator.assert_metric('llm_inference.integration.runs_skipped', 2)  # a count: the stub sums
    # A minute later the budget has room again.
    clock.t += 60
    aggregator.reset()
    checks[0].run()
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)


def test_runner_prints_what_reaches_datadog(simulation, tmp_path):
    sim, _ = simulation
    import yaml

    conf = tmp_path / 'conf.yaml'
    # bytes on every base: datadog-checks-base 37.0.0 patches yaml's dumpers to return UTF-8 bytes
    conf.write_bytes(yaml.safe_dump({'init_config': {}, 'instances': sim.instances()}, encoding='utf-8'))
    out = io.StringIO()
    assert runner.main([str(conf)], out=out) == 0
    text = out.getvalue()
    assert '=== fireworks acme ===' in text and '=== crusoe {} ==='.format(CRUSOE_PROJECT) in text
    assert 'llm_inference.time_to_first_token.seconds' in text
    assert 'service check llm_inference.can_connect OK [provider:groq]' in text
    assert 'service check llm_inference.can_connect CRITICAL' in text and 'serverless' in text
    for key in KEYS.values():
        assert key not in text


def test_runner_refuses_secret_handles_and_bad_files(tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text('instances:\n  - provider: fireworks\n    api_key: ENC[fireworks_key]\n    account_id: acme\n')
    out = io.StringIO()
    assert runner.main([str(conf)], out=out) == 2
    assert 'secret handle' in out.getvalue() and 'datadog-agent check llm_inference' in out.getvalue()
    out = io.StringIO()
    assert runner.main([os.path.join(str(tmp_path), 'missing.yaml')], out=out) == 2
    assert 'cannot read' in out.getvalue()
    conf.write_text('instances:\n  - provider: nope\n')
    out = io.StringIO()
    assert runner.main([str(conf)], out=out) == 0
    assert 'configuration error: `provider` must be one of' in out.getvalue()
