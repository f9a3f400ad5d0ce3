"""Cumulative counters and histograms (cumulative.py): rates and interval quantiles are made of two scrapes.

Expected values are worked out here: counter differences over the elapsed seconds, and histogram_quantile over the
bucket differences (reference.expected_quantile, written from PromQL's definition)."""

import math

import pytest

from datadog_checks.llm_inference import cumulative
from datadog_checks.llm_inference.exposition import parse_lines
from datadog_checks.llm_inference.providers.fireworks import FireworksCheck
from datadog_checks.llm_inference.specs import SUM, Counter, CumulativeQuantiles

from .reference import expected_quantile

BOUNDS = (0.1, 0.5, 1.0, 5.0)


class CumulativeCheck(FireworksCheck):
    """A scrape provider declaring cumulative series (Fireworks' options, its own map): the shared machinery alone."""

    METRIC_MAP = {
        'requests_total': (
            Counter('requests.rate', combine=SUM, without=('code',)),
            Counter('errors.rate', combine=SUM, errors_of='code'),
        ),
        'latency_seconds_bucket': CumulativeQuantiles('e2e_latency.seconds', 1.0, (), 'x.e2e_latency.bucket'),
    }


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def make_check(**options):
    instance = dict(provider='fireworks', api_key='k', account_id='acme', api_url='http://x', **options)
    check = CumulativeCheck('llm_inference', {}, [instance])
    clock = Clock()
    check.cumulative = cumulative.CumulativeState(clock)
    return check, clock


def requests(ok, failed, model='m'):
    return (
        'requests_total{{base_model="{m}",code="200"}} {}\n'
        'requests_total{{base_model="{m}",code="500"}} {}\n'.format(ok, failed, m=model)
    )


def histogram(counts, model='m'):
    """Cumulative bucket lines of `counts` (one per bound of BOUNDS, then +Inf)."""
    bounds = [str(b) for b in BOUNDS] + ['+Inf']
    return ''.join(
        'latency_seconds_bucket{{base_model="{}",le="{}"}} {}\n'.format(model, le, c) for le, c in zip(bounds, counts)
    )


def values(points, name):
    return {tuple(sorted(tags)): value for metric, value, tags, *_ in points if metric == name}


def scrape(check, text):
    return check.map_samples(parse_lines(text))


def test_first_scrape_submits_no_rate_and_no_quantile_then_rates_are_differences_over_seconds():
    check, clock = make_check()
    first = scrape(check, requests(100, 4) + histogram([1, 5, 9, 10, 10]))
    assert first == []  # never a zero: nothing to difference yet

    clock.now += 30
    points = scrape(check, requests(160, 10) + histogram([4, 20, 30, 38, 40]))
    rates = values(points, 'requests.rate')
    assert list(rates.values()) == [pytest.approx((60 + 6) / 30)]  # over both status codes
    errors = values(points, 'errors.rate')
    (tags,) = errors
    assert 'status_code:500' in tags
    assert errors[tags] == pytest.approx(6 / 30)

    # Interval quantiles: histogram_quantile over the bucket differences (30 observations in the interval).
    diffs = [4 - 1, 20 - 5, 30 - 9, 38 - 10, 40 - 10]
    total = diffs[-1]
    shares = [d / total for d in diffs[:-1]]
    latencies = values(points, 'e2e_latency.seconds')
    quantiles = {dict(t.split(':', 1) for t in tags)['quantile']: v for tags, v in latencies.items()}
    for q in (0.5, 0.9, 0.95, 0.99):
        assert quantiles[str(q)] == pytest.approx(expected_quantile(q, BOUNDS, shares, total))


def test_rates_follow_the_clock_between_scrapes():
    check, clock = make_check()
    scrape(check, requests(0, 0))
    previous = 0
    for seconds, ok in ((60, 120), (15, 150), (120, 150)):
        clock.now += seconds
        points = scrape(check, requests(ok, 0))
        assert list(values(points, 'requests.rate').values()) == [pytest.approx((ok - previous) / seconds)]
        previous = ok


def test_a_counter_that_went_down_was_reset_its_new_value_counts_from_zero():
    check, clock = make_check()
    scrape(check, requests(1000, 50) + histogram([10, 20, 30, 40, 50]))
    clock.now += 60
    points = scrape(check, requests(30, 3) + histogram([1, 2, 3, 4, 6]))
    assert list(values(points, 'requests.rate').values()) == [pytest.approx(33 / 60)]
    assert list(values(points, 'errors.rate').values()) == [pytest.approx(3 / 60)]
    assert all(v >= 0 for _, v, _ in points)
    quantiles = values(points, 'e2e_latency.seconds')
    median = [v for tags, v in quantiles.items() if 'quantile:0.5' in tags]
    assert median == [pytest.approx(expected_quantile(0.5, BOUNDS, [1 / 6, 2 / 6, 3 / 6, 4 / 6], 6))]


def test_an_interval_without_observations_gives_no_quantile():
    check, clock = make_check()
    scrape(check, histogram([1, 2, 3, 4, 5]))
    clock.now += 60
    assert values(scrape(check, histogram([1, 2, 3, 4, 5])), 'e2e_latency.seconds') == {}


def test_a_histogram_whose_bounds_changed_gives_no_interval():
    check, clock = make_check()
    scrape(check, histogram([1, 2, 3, 4, 5]))
    clock.now += 60
    text = histogram([2, 4, 6, 8, 10]).replace('le="5.0"', 'le="10.0"')
    assert values(scrape(check, text), 'e2e_latency.seconds') == {}
    clock.now += 60
    assert values(scrape(check, text.replace(' 10\n', ' 20\n')), 'e2e_latency.seconds') != {}


def test_a_new_series_has_no_rate_on_its_first_scrape_the_others_do():
    check, clock = make_check()
    scrape(check, requests(10, 0, model='a'))
    clock.now += 10
    points = scrape(check, requests(20, 0, model='a') + requests(5, 5, model='m'))
    rates = values(points, 'requests.rate')
    assert [tags for tags in rates if 'model:m' in tags] == []
    assert [v for tags, v in rates.items() if 'model:a' in tags] == [pytest.approx(1.0)]


def test_state_is_bounded_vanished_series_are_forgotten():
    check, clock = make_check()
    scrape(check, requests(10, 0, model='a'))
    for _ in range(cumulative.KEEP_SCRAPES + 1):
        clock.now += 60
        scrape(check, requests(10, 0, model='m'))
    assert not any('a' in key[2] for key in check.cumulative.previous)
    assert len(check.cumulative.previous) == 3  # `m`'s two series for the request rate, its 500 for the errors


def test_same_time_twice_gives_no_rate():
    check, clock = make_check()
    scrape(check, requests(10, 1))
    assert scrape(check, requests(20, 2)) == []
    assert not any(math.isinf(v) for _, v, _ in scrape(check, requests(20, 2)))


class SelectingCheck(FireworksCheck):
    METRIC_MAP = {
        'tokens_total': (
            Counter('tokens.input.rate', combine=SUM, without=('kind',), only=('kind', ('input', 'prompt'))),
            Counter('tokens.output.rate', combine=SUM, without=('kind',), only=('kind', ('output',))),
        )
    }


def test_only_selects_series_by_a_label_value():
    check = SelectingCheck('llm_inference', {}, [dict(provider='fireworks', api_key='k', account_id='a')])
    clock = Clock()
    check.cumulative = cumulative.CumulativeState(clock)
    text = 'tokens_total{{kind="input"}} {}\ntokens_total{{kind="output"}} {}\ntokens_total{{kind="other"}} 5\n'
    scrape(check, text.format(100, 10))
    clock.now += 10
    points = scrape(check, text.format(200, 60))
    assert values(points, 'tokens.input.rate') == {(): pytest.approx(10.0)}
    assert values(points, 'tokens.output.rate') == {(): pytest.approx(5.0)}
