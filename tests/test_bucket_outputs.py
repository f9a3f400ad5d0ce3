"""What bucket families give besides quantiles: distribution buckets (`latency_distributions`) and the SLO rates of
`latency_objectives`."""

import math

import pytest

from .common import model_tags
from .provider_server import Reply
from .test_model_scope import BOUNDS, MODEL, SHAPES, payload
from .test_fireworks import FIREWORKS

TTFT = 'llm_inference.distribution.time_to_first_token.seconds'


def series_tags(deployment):
    return sorted(['provider:fireworks', 'account:acme', *model_tags(MODEL), 'window:1m', 'deployment:' + deployment])


def test_distribution_counts_add_up_to_the_requests_of_the_interval(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=payload()))
    check = FIREWORKS.check(provider_server, latency_distributions=True, min_collection_interval=30)
    dd_run_check(check)
    buckets = aggregator.histogram_bucket(TTFT)
    assert buckets
    for deployment, (rate, shares) in SHAPES.items():
        mine = [b for b in buckets if sorted(b.tags) == series_tags(deployment)]
        # Every request of the 30 s interval, in whole numbers, once.
        assert sum(b.value for b in mine) == round(rate * 30)
        assert all(not b.monotonic for b in mine)
        # Bounds in seconds; each bucket's requests those between its bounds.
        cumulative = [rate * 30 * s for s in shares] + [rate * 30]
        uppers = [b / 1000 for b in BOUNDS] + [math.inf]
        expected = {}
        below, lower = 0, 0.0
        for upper, count in zip(uppers, cumulative):
            if round(count) - below > 0:
                expected[(lower, upper)] = round(count) - below
            below, lower = max(below, round(count)), upper
        assert {(b.lower_bound, b.upper_bound): b.value for b in mine} == pytest.approx(expected)
    aggregator.assert_histogram_bucket(TTFT, None, None, None, False, None, None)  # marks them asserted


def test_no_distributions_by_default(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=payload()))
    dd_run_check(FIREWORKS.check(provider_server))
    assert not aggregator.histogram_bucket(TTFT)


def slo_values(aggregator, name):
    return {tuple(sorted(m.tags)): m.value for m in aggregator.metrics('llm_inference.slo.requests.' + name)}


def test_objectives_give_good_and_total_rates(dd_run_check, aggregator, provider_server, caplog):
    provider_server.reply(FIREWORKS.path, Reply(body=payload()))
    # 0.75 s falls between the bounds 0.5 and 1: 0.5 is used, and said so once.
    check = FIREWORKS.check(provider_server, latency_objectives={'time_to_first_token': 0.75})
    dd_run_check(check)
    dd_run_check(check)
    good, total = slo_values(aggregator, 'good'), slo_values(aggregator, 'total')
    for deployment, (rate, shares) in SHAPES.items():
        tags = tuple(sorted(series_tags(deployment) + ['objective:time_to_first_token', 'threshold:0.5']))
        assert good[tags] == pytest.approx(rate * shares[BOUNDS.index(500)])
        assert total[tags] == pytest.approx(rate)
    said = [r for r in caplog.records if 'largest bound below it, 0.5 s' in r.getMessage()]
    assert len(said) == 1


def test_default_objectives(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=payload()))
    dd_run_check(FIREWORKS.check(provider_server))
    good = slo_values(aggregator, 'good')
    rate, shares = SHAPES['slow']
    tags = tuple(sorted(series_tags('slow') + ['objective:time_to_first_token', 'threshold:2']))
    # The 2 s objective on bounds up to 5 s: 2.5 s is above it, so 1 s is the largest bound at or below it.
    assert not any('threshold:2' in t for t in good)
    tags = tuple(sorted(series_tags('slow') + ['objective:time_to_first_token', 'threshold:1']))
    assert good[tags] == pytest.approx(rate * shares[BOUNDS.index(1000)])


def test_no_objectives(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=payload()))
    dd_run_check(FIREWORKS.check(provider_server, latency_objectives={}))
    assert not aggregator.metrics('llm_inference.slo.requests.good')
