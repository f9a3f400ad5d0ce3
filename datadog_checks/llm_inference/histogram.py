# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Quantiles from cumulative buckets, with the interpolation of PromQL ``histogram_quantile``.

Fireworks' ``*_bucket:sum_by_deployment`` series are recording-rule outputs (per-second bucket rates over
1 m, an ``le`` label), not Prometheus histograms, so the check computes the quantiles itself.
"""
import math


def bucket_quantile(q, buckets):
    """The q-quantile of ``buckets``, an iterable of (upper_bound, cumulative_count); None where PromQL gives NaN.

    As in Prometheus: buckets are sorted by bound, equal bounds are merged, counts made monotonic; the highest
    bucket must be +Inf; a quantile in the +Inf bucket is the highest finite bound; no observations gives no
    value (never a 0 that would read as "fast").
    """
    if math.isnan(q):
        return None
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    merged = {}
    for bound, count in buckets:
        if math.isnan(bound) or math.isnan(count):
            continue
        merged[bound] = merged.get(bound, 0.0) + count
    if len(merged) < 2:
        return None
    ordered = sorted(merged.items())
    if not math.isinf(ordered[-1][0]) or ordered[-1][0] < 0:
        return None
    bounds = [b for b, _ in ordered]
    counts = []
    highest = -math.inf
    for _, count in ordered:
        highest = max(highest, count)
        counts.append(highest)
    observations = counts[-1]
    if observations <= 0:
        return None
    rank = q * observations
    # First bucket (not counting +Inf) whose cumulative count reaches the rank.
    last = len(counts) - 1
    b = next((i for i in range(last) if counts[i] >= rank), last)
    if b == last:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start = 0.0 if b == 0 else bounds[b - 1]
    end = bounds[b]
    count = counts[b]
    if b > 0:
        count -= counts[b - 1]
        rank -= counts[b - 1]
    if count == 0:
        return None  # q = 0 over an empty first bucket: 0/0, NaN in PromQL
    return start + (end - start) * (rank / count)
