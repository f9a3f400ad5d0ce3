# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Crusoe Managed Inference: PromQL at `https://api.crusoecloud.com/v1alpha5/projects/<project_id>/metrics/timeseries`.

"The docs" below: Crusoe, "Managed Inference Metrics", https://docs.crusoecloud.com/managed-inference/inference-metrics
(read 2026-11-22), summarized in docs/providers/crusoe.md.

The queries follow the docs' "Metric Query" column (`rate(...[300s])` of the counters, `irate(..._bucket[300s])`
of the histograms), filtered on the instance's `project_id`. The check asks for the series by label and combines
them itself, by each metric's semantics (see mapping.py): `model_name` -> `model`, `service_tier` ("Each metric has
labels for service_tier"), and any label Crusoe adds kept as a tag. The quantiles are computed here from the bucket
rates, as PromQL `histogram_quantile` does, which lets the check see the bounds: the docs give no unit, and a
latency histogram whose bounds are all whole numbers reaching into the thousands is in milliseconds.

The docs name the TTFT histogram twice: `crusoe_inference_histogram_first_token_latency_bucket` (table) and
`crusoe_inference_first_token_latency` (curl example). Both spellings are asked in the same request; per series
group the documented one is used, the other only where it is the one present: never both added together.
"""

import math
from functools import partial

from ..buckets import without_le
from ..specs import SUM, Gauge, Quantiles
from ..labels import LabelMap
from ..promql_client import QUERY_PATH
from ..query import Query, QueryCheck

DEFAULT_URL = 'https://api.crusoecloud.com/v1alpha5/projects/{project_id}/metrics/timeseries'
WINDOW = '300s'  # the docs' queries use [300s]; the data has a 60 s minimum resolution
WINDOW_TAG = ('window:5m',)

LABELS = LabelMap({'model_name': 'model', 'service_tier': 'service_tier', 'project_id': 'project_id'})

# counter -> catalog rate (SUM over a removed label); the docs: `rate(crusoe_inference_<x>{...}[300s])`
RATES = {
    'crusoe_inference_request_count': Gauge('requests.rate', combine=SUM),
    'crusoe_inference_input_token_count': Gauge('tokens.input.rate', combine=SUM),
    'crusoe_inference_output_token_count': Gauge('tokens.output.rate', combine=SUM),
}
# catalog quantiles -> (histogram spellings, documented first; the smallest highest bound that means milliseconds).
# A per-token latency bucket of 100 s or a first-token one of 1000 s, with no bound under 1, is not in seconds.
HISTOGRAMS = {
    Quantiles('time_to_first_token.seconds'): (
        ('crusoe_inference_histogram_first_token_latency', 'crusoe_inference_first_token_latency'),
        1000.0,
    ),
    Quantiles('time_per_output_token.seconds'): (
        ('crusoe_inference_histogram_output_token_latency', 'crusoe_inference_output_token_latency'),
        100.0,
    ),
}
KNOWN_NAMES = frozenset(RATES) | frozenset(
    name + suffix
    for spellings, _ in HISTOGRAMS.values()
    for name in spellings
    for suffix in ('_bucket', '_sum', '_count')
)


def _selector(metric, project_id):
    return '{}{{project_id="{}"}}'.format(metric, project_id.replace('\\', '\\\\').replace('"', '\\"'))


def latency_scale(bounds, ms_from, setting='auto'):
    """1 for seconds, 0.001 for milliseconds: `latency_unit`, or what the finite bucket bounds say."""
    if setting == 'seconds':
        return 1.0
    if setting == 'milliseconds':
        return 0.001
    finite = [b for b in bounds if 0 < b < math.inf]
    if finite and min(finite) >= 1 and max(finite) >= ms_from:
        return 0.001
    return 1.0


def read_rate(spec, samples, reading):
    reader, mapper = reading.reader(LABELS), reading.mapper
    for labels, value in samples:
        mapper.add(spec, reader.context(labels), value, extra=WINDOW_TAG)


def read_buckets(spec, metric, rank, ms_from, samples, reading):
    reader, mapper = reading.reader(LABELS), reading.mapper
    histograms = reading.buckets()
    for labels, value in samples:
        le, rest = without_le(labels)
        histograms.add(rest, le, value, metric + '_bucket')
    histograms.report_to(reading.report, mapper)
    groups = histograms.groups
    if not groups:
        return
    scale = latency_scale({b for rows in groups.values() for b in rows[0::2]}, ms_from, reading.options.latency_unit)
    if scale != 1.0 and reading.options.latency_unit == 'auto':
        reading.check.drift.once(
            ('unit', metric),
            'crusoe: %s bucket bounds are whole numbers up to %g: read as milliseconds (set `latency_unit` to say '
            'otherwise)',
            metric,
            max(b for rows in groups.values() for b in rows[0::2] if b < math.inf),
        )
    for rest, rows in groups.items():
        if scale != 1.0:
            rows[0::2] = [bound * scale for bound in rows[0::2]]
        mapper.add_histogram(spec, reader.context(dict(rest)), rows, rank, WINDOW_TAG)


def read_names(samples, reading):
    """`count by (__name__)` of the project's series: names the check does not read are drift."""
    for labels, value in samples:
        name = labels.get('__name__')
        if name and name not in KNOWN_NAMES:
            reading.report.unmapped_name(name, int(value) if value == value and value < math.inf else 1)


def crusoe_queries(project_id):
    queries = []
    for metric, spec in RATES.items():
        expr = 'rate({}[{}])'.format(_selector(metric, project_id), WINDOW)
        queries.append(Query(expr, partial(read_rate, spec), spec.name))
    for spec, (spellings, ms_from) in HISTOGRAMS.items():
        for rank, metric in enumerate(spellings):
            expr = 'irate({}[{}])'.format(_selector(metric + '_bucket', project_id), WINDOW)
            queries.append(Query(expr, partial(read_buckets, spec, metric, rank, ms_from), metric))
    names = 'count by (__name__) ({})'.format(_selector('', project_id))
    queries.append(Query(names, read_names, 'crusoe series names', optional=True))
    return queries


def _on_demand(tags):
    # Crusoe bills provisioned throughput (`service_tier:pt`) as a commitment; only on-demand tokens are billed at
    # the list price per token.
    if 'service_tier:on-demand' in tags:
        return None
    tier = next((t.partition(':')[2] for t in tags if t.startswith('service_tier:')), None)
    return 'its service tier ({}) is not billed at list prices per token: price it in `pricing`'.format(tier)


class CrusoeCheck(QueryCheck):
    LIST_PRICED = staticmethod(_on_demand)
    LIST_PRICE_IDS = {'litellm': 'crusoe'}
    PROVIDER = 'crusoe'
    API_PATH = QUERY_PATH  # the PromQL API's: its options (`queries`, `method`, `nocache`) are read
    OPTIONS = ('latency_unit',)  # its histograms' unit is not documented
    REQUIRED_OPTIONS = ('api_key', 'project_id')
    IDENTITY_TAGS = {'project_id': 'project_id'}
    # Its queries select `project_id="<project_id>"`: a series of another project is an `api_url` that answers
    # for something else (a proxy that ignores the selector).
    REPLY_IDENTITY = {'project_id': 'project_id'}
    DEFAULT_URL = DEFAULT_URL
    HTTP_HINTS = {404: 'no metrics at this URL: check `project_id` or `api_url`.'}
    NO_DATA_HINT = 'check `project_id` and that the key can see this data'

    def default_queries(self):
        return crusoe_queries(self.config.project_id)

    # Its name in prose and the window of its quantiles (assets/build.py; its dashboard: assets/layouts/crusoe.py)
    TITLE = 'Crusoe'
    WINDOWS = '5 m'
