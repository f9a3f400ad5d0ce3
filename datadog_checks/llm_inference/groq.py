# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Groq: MetricsQL on VictoriaMetrics at `https://api.groq.com/v1/metrics/prometheus` (groq.txt).

The series names changed between doc versions and the spelling of `{percentile}` is not documented (p99? P99?
0.99?), so one selector on `__name__` discovers whatever the server has, in one request, and the names are read
here: every spelling becomes `quantile:0.99`.
"""

import re
from collections import defaultdict

from .catalog import DEFAULT_QUANTILES, Labels, format_quantile, normalize_quantile
from .histogram import bucket_quantile
from .query import Query, QueryCheck

DEFAULT_URL = 'https://api.groq.com/v1/metrics/prometheus'

# groq.txt: e2e_latency_seconds, ttft_latency_seconds, queue_latency_seconds, tokens_in, tokens_out, each as
# `<family>:{percentile}:rate5m`, "broken out by model".
FAMILIES = {
    'e2e_latency_seconds': 'e2e_latency.seconds',
    'ttft_latency_seconds': 'time_to_first_token.seconds',
    'queue_latency_seconds': 'queue_latency.seconds',
    'tokens_in': 'request.input_tokens',
    'tokens_out': 'request.output_tokens',
}
_FAMILY = '(?:{})'.format('|'.join(FAMILIES))
# Current names (groq.txt) and the older ones (`model_project_id_status_code:requests:rate5m`,
# `le_model_project_id:<family>_bucket:rate5m`).
SELECTOR = (
    '{{__name__=~"requests:rate1m|model_project_id_status_code:requests:rate5m|{f}:[^:]+:rate5m|'
    'le_model_project_id:{f}_bucket:rate5m"}}'.format(f=_FAMILY)
)

REQUESTS = re.compile(r'^(?:model_project_id_status_code:)?requests:rate(\d+[smh])$')
PERCENTILE = re.compile(r'^({}):([^:]+):rate(\d+[smh])$'.format(_FAMILY))
BUCKETS = re.compile(r'^le_model_project_id:({})_bucket:rate(\d+[smh])$'.format(_FAMILY))

LABELS = Labels({'model': 'model', 'project_id': 'project_id', 'status_code': 'status_code'})


def _is_error(status_code):
    return not str(status_code).startswith('2')


def to_points(samples):
    """Catalog points from the discovered series; current names win over older ones for the same signal."""
    requests, percentiles, buckets = [], [], []
    for labels, value in samples:
        name = labels.get('__name__', '')
        if REQUESTS.match(name):
            requests.append((name, labels, value))
        elif PERCENTILE.match(name):
            percentiles.append((name, labels, value))
        elif BUCKETS.match(name):
            buckets.append((name, labels, value))
    points = []
    if any(name == 'requests:rate1m' for name, _, _ in requests):
        requests = [r for r in requests if r[0] == 'requests:rate1m']
    totals, errors = defaultdict(float), defaultdict(float)
    for name, labels, value in requests:
        window = 'window:' + REQUESTS.match(name).group(1)
        group = tuple(LABELS.tags(labels, skip=('status_code',))) + (window,)
        totals[group] += value
        if _is_error(labels.get('status_code', '')):
            errors[group + ('status_code:{}'.format(labels.get('status_code')),)] += value
    points.extend(('requests.rate', v, list(g)) for g, v in totals.items())
    points.extend(('errors.rate', v, list(g)) for g, v in errors.items())

    seen_families = set()
    for name, labels, value in percentiles:
        family, spelling, window = PERCENTILE.match(name).groups()
        quantile = normalize_quantile(spelling)
        if quantile is None:
            continue
        seen_families.add(family)
        tags = LABELS.tags(labels) + ['quantile:' + quantile, 'window:' + window]
        points.append((FAMILIES[family], value, tags))

    groups = defaultdict(list)
    for name, labels, value in buckets:
        family, window = BUCKETS.match(name).groups()
        try:
            bound = float(labels.get('le'))
        except (TypeError, ValueError):
            continue
        if family not in seen_families:
            groups[(family, window, tuple(LABELS.tags(labels)))].append((bound, value))
    for (family, window, group), series in groups.items():
        for q in DEFAULT_QUANTILES:
            value = bucket_quantile(q, series)
            if value is not None:
                tags = list(group) + ['quantile:' + format_quantile(q), 'window:' + window]
                points.append((FAMILIES[family], value, tags))
    return points


class GroqCheck(QueryCheck):
    PROVIDER = 'groq'
    DEFAULT_URL = DEFAULT_URL

    def default_queries(self):
        return [Query(SELECTOR, to_points, 'groq catalog series')]
