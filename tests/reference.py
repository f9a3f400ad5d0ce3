"""Expected values worked out independently of the check's code."""


def expected_quantile(q, bounds, shares, total=1.0):
    """Inverse of the piecewise-linear CDF through (bound, share * total), from (0, 0): how histogram_quantile reads
    buckets, written from its definition. A rank past the last finite bucket (in +Inf) is that bucket's bound."""
    rank = q * total
    low_bound, low_count = 0.0, 0.0
    for bound, share in zip(bounds, shares):
        count = share * total
        if count >= rank:
            return low_bound + (bound - low_bound) * (rank - low_count) / (count - low_count)
        low_bound, low_count = bound, count
    return bounds[-1]


def bucket_quantile(q, buckets):
    """expected_quantile of cumulative buckets {upper bound: count} (+Inf as inf, which holds the total)."""
    bounds = sorted(b for b in buckets if b != float('inf'))
    total = buckets[float('inf')]
    return expected_quantile(q, bounds, [buckets[b] / total for b in bounds], total)
