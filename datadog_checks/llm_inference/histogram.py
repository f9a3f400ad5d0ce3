# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Quantiles from cumulative buckets, with the interpolation of PromQL ``histogram_quantile``.

Bucket series are often recording-rule outputs (per-second bucket rates over a window, an ``le`` label) or
bucket increases between two scrapes, not histograms a backend computes quantiles of, so the check does it itself.
"""

import math
from bisect import bisect_left


def bucket_quantiles(qs, buckets, repeated='sum'):
    """bucket_quantile for each of `qs`, sorting and merging the buckets once.

    `repeated='first'` keeps the first of buckets with equal bounds (the same series sent twice) instead of summing
    them as PromQL does for distinct series that share a bound.
    """
    prepared = _prepare(buckets, repeated == 'first')
    return [_quantile(q, prepared) for q in qs]


def bucket_quantile(q, buckets):
    """The q-quantile of ``buckets``, an iterable of (upper_bound, cumulative_count); None where PromQL gives NaN.

    As in Prometheus: buckets are sorted by bound, equal bounds are merged, counts made monotonic; the highest
    bucket must be +Inf; a quantile in the +Inf bucket is the highest finite bound; no observations gives no
    value (never a 0 that would read as "fast").
    """
    return _quantile(q, _prepare(buckets))


def _prepare(buckets, keep_first=False):
    """(bounds, monotonic cumulative counts) sorted by bound with equal bounds merged; None where PromQL has NaN."""
    bounds = [b for b, _ in buckets]
    if len(bounds) >= 2 and bounds[-1] == math.inf and all(a < b for a, b in zip(bounds, bounds[1:])):
        # The usual reply: bounds already sorted and distinct (a NaN bound fails `<`, so never gets here).
        counts = []
        highest = -math.inf
        for _, count in buckets:
            if count != count:
                break
            highest = count if count > highest else highest
            counts.append(highest)
        else:
            return bounds, counts
    merged = {}
    for bound, count in buckets:
        if math.isnan(bound) or math.isnan(count):
            continue
        if keep_first:
            merged.setdefault(bound, count)
        else:
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
    return bounds, counts


def _quantile(q, prepared):
    if math.isnan(q):
        return None
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    if prepared is None:
        return None
    bounds, counts = prepared
    observations = counts[-1]
    if observations <= 0:
        return None
    rank = q * observations
    # First bucket (not counting +Inf) whose cumulative count reaches the rank.
    last = len(counts) - 1
    b = bisect_left(counts, rank, 0, last)  # counts are monotonic
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
