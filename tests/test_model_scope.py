"""Model-level percentiles: the buckets of all a model's deployments summed before the quantile, under
`llm_inference.model.*`, while each deployment's own percentiles stay what they were."""

import pytest

from .common import assert_gauge_close, model_tags
from .provider_server import Reply
from .reference import expected_quantile
from .test_fireworks import FIREWORKS

MODEL = 'accounts/fireworks/models/llama-v3p1-70b-instruct'
BOUNDS = [100, 250, 500, 1000, 2500, 5000]  # ms
# Two deployments of one model with different latency shapes: a fast busy one and a slow quiet one.
SHAPES = {
    'fast': (20.0, [0.30, 0.80, 0.97, 0.995, 1, 1]),
    'slow': (2.0, [0, 0.05, 0.20, 0.50, 0.90, 1]),
}
QUANTILES = (0.5, 0.9, 0.95, 0.99)


def bucket_line(deployment, le, value):
    return (
        'latency_to_first_token_ms_bucket:sum_by_deployment{{base_model="{}",deployment_account="acme",'
        'deployment_id="{}",le="{}"}} {}'.format(MODEL, deployment, le, value)
    )


def payload():
    lines = []
    for deployment, (rate, shares) in SHAPES.items():
        for bound, share in zip(BOUNDS, shares):
            lines.append(bucket_line(deployment, bound, rate * share))
        lines.append(bucket_line(deployment, '+Inf', rate))
    return '\n'.join(lines) + '\n'


def merged_shares():
    """(total rate, cumulative share per bound) of the two deployments' buckets summed per bound."""
    total = sum(rate for rate, _ in SHAPES.values())
    counts = [sum(rate * shares[i] for rate, shares in SHAPES.values()) for i in range(len(BOUNDS))]
    return total, [c / total for c in counts]


def test_model_level_p99_is_the_p99_of_the_merged_buckets(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=payload()))
    dd_run_check(FIREWORKS.check(provider_server))
    base = ['provider:fireworks', 'account:acme', *model_tags(MODEL), 'window:1m']
    for deployment, (rate, shares) in SHAPES.items():
        for q in QUANTILES:
            assert_gauge_close(
                aggregator,
                'llm_inference.time_to_first_token.seconds',
                expected_quantile(q, BOUNDS, shares) / 1000,
                base + ['deployment:' + deployment, 'quantile:{}'.format(q)],
            )
    total, shares = merged_shares()
    for q in QUANTILES:
        assert_gauge_close(
            aggregator,
            'llm_inference.model.time_to_first_token.seconds',
            expected_quantile(q, BOUNDS, shares) / 1000,
            base + ['quantile:{}'.format(q)],
        )
    # Not an average of the deployments' p99s, nor either of them.
    model_p99 = expected_quantile(0.99, BOUNDS, shares)
    p99s = [expected_quantile(0.99, BOUNDS, s) for _, s in SHAPES.values()]
    assert model_p99 not in p99s and model_p99 != pytest.approx(sum(p99s) / 2)
    # No model-level series carries a deployment, and no per-deployment series lacks one.
    assert all(
        not any(t.startswith('deployment:') for t in m.tags)
        for m in aggregator.metrics('llm_inference.model.time_to_first_token.seconds')
    )
    assert all(
        any(t.startswith('deployment:') for t in m.tags)
        for m in aggregator.metrics('llm_inference.time_to_first_token.seconds')
    )


def test_a_bound_one_member_lacks_is_left_out_of_the_merge(dd_run_check, aggregator, provider_server):
    """A deployment whose bucket is NaN at one bound: the merge is over the bounds every member has, never a
    partial sum at that bound."""
    text = payload().replace(bucket_line('slow', 1000, 2.0 * 0.50), bucket_line('slow', 1000, 'NaN'))
    provider_server.reply(FIREWORKS.path, Reply(body=text))
    dd_run_check(FIREWORKS.check(provider_server))
    total, shares = merged_shares()
    bounds = [b for b in BOUNDS if b != 1000]
    kept = [s for b, s in zip(BOUNDS, shares) if b != 1000]
    base = ['provider:fireworks', 'account:acme', *model_tags(MODEL), 'window:1m']
    assert_gauge_close(
        aggregator,
        'llm_inference.model.time_to_first_token.seconds',
        expected_quantile(0.99, bounds, kept) / 1000,
        base + ['quantile:0.99'],
    )


def test_a_series_without_a_model_belongs_to_no_model_population():
    """A series that names no model (an endpoint-only feed) has no model-level value: its population would be the
    whole instance, which is no model's percentile."""
    from datadog_checks.llm_inference.model_scope import ModelBuckets, ModelQuantiles

    buckets, quantiles = ModelBuckets(), ModelQuantiles()
    for deployment in ('a', 'b'):
        tags = ('deployment:' + deployment, 'window:1m', 'quantile:0.99')
        buckets.add(tags, [(1.0, 2.0), (float('inf'), 3.0)])
        quantiles.add(tags, 1.5)
    assert buckets.merged() == [] and quantiles.single() == [] and quantiles.several() == []
    named = ('deployment:a', 'model:m', 'window:1m')
    buckets.add(named, [(1.0, 2.0), (float('inf'), 3.0)])
    quantiles.add(named + ('quantile:0.99',), 1.5)
    assert buckets.merged() == [(('model:m', 'window:1m'), [(1.0, 2.0), (float('inf'), 3.0)])]
    assert quantiles.single() == [(('model:m', 'window:1m', 'quantile:0.99'), 1.5)]
