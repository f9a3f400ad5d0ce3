"""bucket_quantile: the edge cases of PromQL histogram_quantile, each with a value worked out by hand."""

import math

import pytest

from datadog_checks.llm_inference.histogram import bucket_quantile

INF = math.inf


@pytest.mark.parametrize(
    'q, buckets, expected',
    [
        # 10 observations: 4 <= 1, 8 <= 2, 10 <= 4. Median rank 5 lies in (1, 2]: 1 + (5-4)/(8-4) = 1.25.
        (0.5, [(1, 4), (2, 8), (4, 10), (INF, 10)], 1.25),
        # Same buckets, any order.
        (0.5, [(INF, 10), (4, 10), (1, 4), (2, 8)], 1.25),
        # First bucket interpolates from 0: rank 2 of 4 in (0, 1] -> 0.5.
        (0.2, [(1, 4), (2, 8), (4, 10), (INF, 10)], 0.5),
        # Rank in the +Inf bucket: the highest finite bound.
        (0.99, [(1, 4), (2, 8), (INF, 10)], 2.0),
        # Non-monotonic counts are made monotonic (the 3 at bound 2 counts as 4).
        (0.5, [(1, 4), (2, 3), (4, 8), (INF, 8)], 1.0),
        # A first bucket with a bound <= 0 returns that bound.
        (0.1, [(-1, 5), (1, 10), (INF, 10)], -1.0),
        # Equal bounds are merged (summed), as Prometheus does with duplicate series.
        (0.5, [(1, 2), (1, 2), (2, 8), (INF, 8)], 1.0),
        # q = 1 on a finite top bucket is that bucket's bound.
        (1.0, [(1, 4), (2, 8), (INF, 8)], 2.0),
    ],
)
def test_bucket_quantile(q, buckets, expected):
    assert bucket_quantile(q, buckets) == pytest.approx(expected)


@pytest.mark.parametrize(
    'buckets',
    [
        [],  # nothing
        [(INF, 10)],  # only the +Inf bucket
        [(1, 4), (2, 8)],  # no +Inf bucket: PromQL gives NaN
        [(1, 0), (2, 0), (INF, 0)],  # a window with no requests
        [(1, math.nan), (INF, math.nan)],
    ],
)
def test_no_value_where_promql_has_none(buckets):
    assert bucket_quantile(0.5, buckets) is None


def test_quantile_outside_zero_one():
    buckets = [(1, 4), (INF, 4)]
    assert bucket_quantile(-0.1, buckets) == -INF
    assert bucket_quantile(1.1, buckets) == INF
    assert bucket_quantile(math.nan, buckets) is None
