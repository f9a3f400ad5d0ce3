# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""How a provider's raw series become catalog metrics: the declarations every provider module is made of."""

import re
from dataclasses import dataclass

NAMESPACE = 'llm_inference'
DEFAULT_QUANTILES = (0.5, 0.9, 0.95, 0.99)

try:
    # The tags the base treats as the Agent's own (AgentCheck renames them in a check's tags unless
    # `disable_generic_tags`); a public constant of datadog_checks.base.utils.tagging, absent on some older bases.
    from datadog_checks.base.utils.tagging import GENERIC_TAGS
except ImportError:  # pragma: no cover - an older base without it: our own list below still holds
    GENERIC_TAGS = frozenset()

# Tags the Agent sets itself; a provider label is never allowed to take one of these names (it becomes
# `label_<name>`): the base's GENERIC_TAGS, and what the Agent or Datadog also set that the base does not list.
RESERVED_TAGS = frozenset(GENERIC_TAGS) | frozenset(
    ('host', 'service', 'env', 'version', 'cluster', 'cluster_name', 'device', 'source')
)
# Tags the check sets itself; a label the catalog does not map may not pose as one of these either.
CATALOG_TAGS = frozenset(
    (
        'provider',
        'model',
        'canonical_model',
        'deployment',
        'account',
        'project_id',
        'service_tier',
        'status_code',
        'status_class',
        'quantile',
        'window',
        'upper_bound',
        'outcome',
        'basis',
        'tokens_counted',
        'price_source',
        'raw_name',
        'label',
        'reason',
        'series_variant',
    )
)


# How a spec's series combine when a label is removed (by `exclude_labels`, the label guard, or the spec itself):
SUM = 'sum'  # rates and counts: the parts add up
AVG = 'avg'  # gauges the provider already averaged (over replicas): the unweighted mean of the parts
KEEP = None  # quantile gauges and ratios: parts cannot be combined, so their labels always stay


# eq=False: specs are dictionary keys in the check's hot loop, and identity hashing is what they need.
@dataclass(frozen=True, eq=False)
class Gauge:
    """A raw gauge submitted as ``name`` (under ``llm_inference.``), multiplied by ``scale``.

    ``tags`` are constant tags (such as the window the provider computed over). ``combine`` declares how series
    that differ only in a removed label become one (SUM, AVG, or KEEP: never). ``without`` names raw labels this
    metric always aggregates away (a request rate over status classes). ``kind`` is the submission type
    (gauge unless said). A series without the ``needs`` label is not submitted (a percentile without its quantile).
    """

    name: str
    scale: float = 1.0
    tags: tuple = ()
    combine: object = SUM
    without: tuple = ()
    kind: str = ''
    needs: str = ''  # a raw label without which a series is not submitted (a percentile's `quantile`)
    # A raw label marking the series that another spec of the same raw name submits (a mean beside the percentiles
    # of one family): a series without `needs` that carries it is that spec's, skipped here without being reported.
    other: str = ''
    # Rates, counts, tokens, latencies, shares: a negative value is a provider's error, not submitted (counted
    # `negative`). False only where a value may be below 0 (a user's own query).
    nonnegative: bool = True
    cumulative = False  # (class attribute, not a field: Counter sets it)


@dataclass(frozen=True, eq=False)
class Quantiles:
    """A family of cumulative bucket series (``le`` label) submitted as quantile gauges under ``name``.

    Bucket rates of series that differ only in a removed label are summed per bound before the quantile. ``only`` is
    (raw label, its values) as for Counter: a family of several populations (by `token_type`) is several specs.
    """

    name: str
    scale: float = 1.0
    tags: tuple = ()
    raw_buckets: str = ''  # the opt-in metric for the raw per-bucket values
    # (raw label, its values): only series with one of those values are members; None among them stands for the
    # label absent. One raw bucket family may feed several specs this way (a family by `token_type`: input, output).
    only: tuple = ()
    errors_of = ''
    combine = SUM
    nonnegative = True  # bucket counts and rates
    without = ()
    needs = ''
    other = ''
    cumulative = False


# Cumulative series (real Prometheus counters and `_bucket` histograms) count since the process that exposes them
# started: a value is only made of two scrapes (cumulative.py). The first scrape after a start submits nothing.


@dataclass(frozen=True, eq=False)
class Counter(Gauge):
    """A cumulative counter submitted as its per-second rate between two scrapes: (value - previous) / seconds.

    ``errors_of`` names a raw label holding an HTTP status: only series whose status is outside 2xx are members
    (an error rate from a request counter). ``only`` is (raw label, its values): only series with one of those
    values are members (input tokens of a counter by `token_type`; None among the values: the label absent)."""

    errors_of: str = ''
    only: tuple = ()
    cumulative = True


@dataclass(frozen=True, eq=False)
class CumulativeQuantiles(Quantiles):
    """Cumulative `_bucket` counters: interval quantiles of the bucket increases between two scrapes, as PromQL's
    ``histogram_quantile(q, rate(x_bucket[...]))``."""

    cumulative = True


_EXTREMES = {'max': '1', 'min': '0'}
_PERCENTILE = re.compile(r'^[pP](\d+(?:[._]\d+)?)$')


def normalize_quantile(text):
    """``p99``, ``P99``, ``0.99``, ``99`` and ``0.990`` all become ``0.99``; ``p999`` becomes ``0.999``.

    ``max`` is the 1-quantile and ``min`` the 0-quantile by definition. Returns None for anything that is not a
    quantile.
    """
    text = str(text).strip()
    if text.lower() in _EXTREMES:
        return _EXTREMES[text.lower()]
    match = _PERCENTILE.match(text)
    try:
        if match:
            digits = match.group(1).replace('_', '.')
            if '.' in digits:
                value = float(digits) / 100
            else:
                # p99 = 0.99, p999 = 0.999, p5 = 0.05
                value = float(digits) / (10 ** max(2, len(digits)))
        else:
            value = float(text)
            if value > 1:
                value /= 100
    except ValueError:
        return None
    if not 0 <= value <= 1:
        return None
    return format_quantile(value)


def format_quantile(value):
    """0.5 -> '0.5', 0.95 -> '0.95', 1.0 -> '1'."""
    return ('%.6f' % value).rstrip('0').rstrip('.') or '0'
