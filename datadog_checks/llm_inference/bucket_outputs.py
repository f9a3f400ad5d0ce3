# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What a bucket family gives besides its quantiles, from the same per-series buckets (rows [(bound, rate)], sorted,
one value per bound, bounds in the provider's unit, `spec.scale` converting them):

- distributions (`latency_distributions`): the requests of one collection interval per bucket, as Datadog
  distribution buckets, so Datadog computes the percentile of any slice exactly;
- SLO rates (`latency_objectives`): the rate of requests within an objective's threshold and of all measured ones.

Buckets here are per-second rates (recording rules, `rate()` of `_bucket`): a bucket's requests in one run are its
rate x the collection interval. (Cumulative counters become rates by their difference over the time between two
scrapes before they get here: the same rows.)
"""

import math

DISTRIBUTION_PREFIX = 'distribution.'
GOOD, TOTAL = 'slo.requests.good', 'slo.requests.total'
# 1 s and 10 s are bounds of every bucket provider's histograms (and of Prometheus' and vLLM's default buckets): a
# default between two bounds would be rounded down, and warned about, on a fresh install.
DEFAULT_OBJECTIVES = {'time_to_first_token': 1.0, 'e2e_latency': 10.0}
_TOLERANCE = 1e-9  # a bound of 2000 ms x 0.001 is the threshold 2 s, whatever the float rounding


def monotonic(rows):
    """The cumulative values made non-decreasing, as histogram_quantile reads them (a rate dip between two bounds
    is sampling noise, never negative requests)."""
    highest, out = -math.inf, []
    for bound, value in rows:
        highest = value if value > highest else highest
        out.append((bound, highest))
    return out


def distribution_points(spec, tags, rows, interval):
    """(name, (count, lower bound, upper bound), tags, 'distribution_bucket') per non-empty bucket: the requests of
    one interval in each bucket. Counts are whole numbers: the cumulative counts are rounded, then differenced, so
    they add up to the interval's requests, rounded, whatever the number of buckets."""
    rows = monotonic(rows)
    if not rows or not math.isinf(rows[-1][0]):
        return []  # without +Inf the total is unknown: no distribution rather than a truncated one
    name = DISTRIBUTION_PREFIX + spec.name
    points, lower, below = [], 0.0, 0
    for bound, rate in rows:
        cumulative = int(round(rate * interval))
        upper = bound * spec.scale if not math.isinf(bound) else math.inf
        count = cumulative - below
        if count > 0:
            points.append((name, (count, min(lower, upper), upper), tags, 'distribution_bucket'))
        below = max(below, cumulative)
        lower = upper
    return points


def objective_of(spec):
    """The `latency_objectives` key of a latency spec (`time_to_first_token.seconds` -> `time_to_first_token`), or
    None for a family that is no latency."""
    if spec.name.endswith('.seconds'):
        return spec.name[: -len('.seconds')]
    return None


def threshold_text(seconds):
    return '{:.6g}'.format(seconds)


def objective_points(spec, tags, rows, threshold):
    """(good, total) points of one series for one objective, and the threshold used (None: no bound at or below
    the one asked for, so no value). `good` is the rate at the largest bound at or below `threshold` seconds."""
    rows = monotonic(rows)
    if not rows or not math.isinf(rows[-1][0]):
        return [], None
    used = None
    for bound, rate in rows:
        if not math.isinf(bound) and bound * spec.scale <= threshold * (1 + _TOLERANCE):
            used = (bound * spec.scale, rate)
    if used is None:
        return [], None
    objective = objective_of(spec)
    extra = ('objective:' + objective, 'threshold:' + threshold_text(used[0]))
    out = tags + extra
    return [(GOOD, used[1], out), (TOTAL, rows[-1][1], out)], used[0]
