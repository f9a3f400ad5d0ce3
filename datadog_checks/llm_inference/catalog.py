# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""How a provider's raw series become catalog metrics: the declarations every provider module is made of."""

import re
from dataclasses import dataclass, field

NAMESPACE = 'llm_inference'
DEFAULT_QUANTILES = (0.5, 0.9, 0.95, 0.99)

# Tags the Agent sets itself; a provider label is never allowed to take one of these names.
RESERVED_TAGS = frozenset(('host', 'service', 'env', 'version', 'cluster', 'cluster_name', 'device', 'source'))


# eq=False: specs are dictionary keys in the check's hot loop, and identity hashing is what they need.
@dataclass(frozen=True, eq=False)
class Gauge:
    """A raw gauge submitted as ``name`` (under ``llm_inference.``), multiplied by ``scale``.

    ``tags`` are constant tags (such as the window the provider computed over); ``sum_without`` sums the
    samples that differ only in those raw labels into one value.
    """

    name: str
    scale: float = 1.0
    tags: tuple = ()
    sum_without: tuple = ()


@dataclass(frozen=True, eq=False)
class Quantiles:
    """A family of cumulative bucket series (``le`` label) submitted as quantile gauges under ``name``."""

    name: str
    scale: float = 1.0
    tags: tuple = ()
    raw_buckets: str = ''  # the opt-in metric for the raw per-bucket values


@dataclass(frozen=True)
class Labels:
    """Raw label -> tag name. Labels not listed are dropped: cardinality stays what the catalog documents."""

    rename: dict = field(default_factory=dict)

    def tags(self, labels, skip=()):
        tags = []
        for raw, value in labels.items():
            tag = self.rename.get(raw)
            if tag is None or raw in skip:
                continue
            if tag == 'quantile':
                value = normalize_quantile(value)
                if value is None:
                    continue
            tags.append('{}:{}'.format(tag, value))
        return tags


_PERCENTILE = re.compile(r'^[pP](\d+(?:[._]\d+)?)$')


def normalize_quantile(text):
    """``p99``, ``P99``, ``0.99``, ``99`` and ``0.990`` all become ``0.99``; ``p999`` becomes ``0.999``.

    Returns None for anything that is not a quantile.
    """
    text = str(text).strip()
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
