# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Cerebras: scrape ``/api/v1/metrics/organizations/<organization_id>`` (dedicated endpoints; private preview).

"The docs" below are two pages, both read 2026-12-03 and summarized in docs/providers/cerebras.md:
- the guide, "Metrics", https://inference-docs.cerebras.ai/capabilities/metrics ("the guide");
- the API reference, "Retrieve metrics", https://inference-docs.cerebras.ai/api-reference/metrics/retrieve-metrics,
  whose example reply is the documented payload ("the reference").
"""

from ..labels import LabelMap
from ..scrape import ScrapeCheck
from ..specs import KEEP, SUM, Gauge

DEFAULT_URL = 'https://cloud.cerebras.ai/api/v1/metrics/organizations/{organization_id}'

# The guide: metrics are "Aggregated at the minute level - Data represents the last complete minute". The reference
# declares the `*_total` series `# TYPE ... gauge` and describes each as a total "in the last complete minute": they
# are per-minute counts, not counters. A rate a second is the count / 60.
ONE_MINUTE = ('window:1m',)
PER_SECOND = 1 / 60.0

# The percentile label: the reference writes `percentile="p50"` (values avg, p50, p90, p95, p99), the guide
# `ttft_seconds{statistic="p95"}`. Both are read (see _percentile_label). `avg` ("Mean latency across all requests",
# the guide) is no quantile: it is submitted as a metric of its own, `cerebras.<family>.avg.seconds`.
PERCENTILE = 'percentile'
AVERAGE = 'statistic'  # the raw label the `avg` series carry once read (it never becomes a tag: see `without`)


def _latency(name):
    """The percentile gauges of one family: the quantiles under the catalog name, the mean under `cerebras.`."""
    return (
        Gauge(name + '.seconds', tags=ONE_MINUTE, combine=KEEP, needs=PERCENTILE, other=AVERAGE),
        Gauge(
            'cerebras.{}.avg.seconds'.format(name),
            tags=ONE_MINUTE,
            combine=KEEP,
            needs=AVERAGE,
            other=PERCENTILE,
            without=(AVERAGE,),
        ),
    )


# Label policy: per-minute counts SUM over a removed label; the status and the percentile gauges cannot be combined
# (KEEP). Every series carries `endpoint` and `organization_id` (the reference's example).
METRIC_MAP = {
    # "Status of inference endpoint (-1=error calculating status, 0=down, 1=up)": submitted as it is (the monitor
    # "Cerebras endpoint down" reads it; -1 is not "down").
    # -1 ("error computing") is a status, not a negative count.
    'inference_endpoint_status': Gauge('cerebras.endpoint.status', combine=KEEP, nonnegative=False),
    # "Total request count (all HTTP codes) in the last complete minute"
    'requests_count_total': Gauge('requests.rate', scale=PER_SECOND, tags=ONE_MINUTE, combine=SUM),
    # "Total successful requests" ("HTTP 200") "in the last complete minute"
    'requests_success_total': Gauge(
        'cerebras.requests.success.rate', scale=PER_SECOND, tags=ONE_MINUTE, combine=SUM
    ),
    # "Total failed requests by HTTP code in the last complete minute"
    'requests_failure_total': Gauge('errors.rate', scale=PER_SECOND, tags=ONE_MINUTE, combine=SUM),
    # "Total input tokens for successful requests in the last complete minute" (and output)
    'input_tokens_total': Gauge('tokens.input.rate', scale=PER_SECOND, tags=ONE_MINUTE, combine=SUM),
    'output_tokens_total': Gauge('tokens.output.rate', scale=PER_SECOND, tags=ONE_MINUTE, combine=SUM),
    # "Queue time percentiles in seconds", "End-to-end API latency percentiles in seconds"; `ttft_seconds` is named
    # by the guide ("95% of your requests receive their first token within 500ms" for 0.5: seconds, as everywhere
    # in both pages; no page names a millisecond series, and one would be reported as unmapped, never read as s).
    'queue_time_seconds': _latency('queue_latency'),
    'e2e_latency_seconds': _latency('e2e_latency'),
    'ttft_seconds': _latency('time_to_first_token'),
}


def _percentile_label(labels):
    """The guide's `statistic` and the reference's `percentile` are one label: read as `percentile`. Its `avg` value
    is the mean, not a quantile: that series carries `statistic` instead, which its own spec reads (and aggregates
    away: the metric's name says it is a mean)."""
    if PERCENTILE in labels and AVERAGE in labels:
        # Both spellings on one series: `percentile` is read; the other stays a tag of its own (and is reported).
        labels = dict(labels)
        labels['cerebras_' + AVERAGE] = labels.pop(AVERAGE)
    if PERCENTILE not in labels and AVERAGE not in labels:
        return labels, 0
    spelled = PERCENTILE if PERCENTILE in labels else AVERAGE
    raw = labels[spelled]
    target = AVERAGE if raw.strip().lower() == 'avg' else PERCENTILE
    if target == spelled:
        return labels, 0
    labels = {k: v for k, v in labels.items() if k not in (PERCENTILE, AVERAGE)}
    labels[target] = raw
    return labels, 0


# `endpoint` is the dedicated endpoint (the reference's example: endpoint="model"): the `deployment` tag. The
# organization equal to the instance's `organization_id` is not sent twice. The failures' HTTP code: the reference
# names no label ("by HTTP code"), so the usual spellings are read. A `model` label, if one comes, is the model.
LABELS = LabelMap(
    {
        'endpoint': 'deployment',
        'organization_id': 'organization_id',
        PERCENTILE: 'quantile',
        AVERAGE: 'statistic',
        'status_code': 'status_code',
        'http_code': 'status_code',
        'code': 'status_code',
        'model': 'model',
    },
    derive=_percentile_label,
)


class CerebrasCheck(ScrapeCheck):
    PROVIDER = 'cerebras'
    REQUIRED_OPTIONS = ('api_key', 'organization_id')
    IDENTITY_TAGS = {'organization_id': 'organization_id'}
    # The reference's example reply: every series carries `organization_id`.
    REPLY_IDENTITY = {'organization_id': 'organization_id'}
    DEFAULT_URL = DEFAULT_URL
    # The guide: "Rate limit: Maximum 6 requests per minute per organization".
    DEFAULT_REQUESTS_PER_MINUTE = 6
    BUDGET_SCOPE = 'organization_id'
    AUTH_SCHEME = 'Bearer'
    HTTP_HINTS = {
        403: 'this key may not read the metrics of this organization: check that `organization_id` is the id of the '
        'key\'s own organization (Settings page of the Cerebras cloud console, it looks like `org_abc123`, not the '
        'organization\'s name) and that the organization has dedicated endpoints with the metrics preview enabled.',
        404: 'no metrics at this URL: check `organization_id` (the id from the Settings page of the Cerebras cloud '
        'console, which looks like `org_abc123`, not the organization\'s name) or `api_url`.',
    }
    NO_DATA_HINT = (
        'no dedicated endpoint of this organization reports metrics (check `organization_id`, and that it has '
        'dedicated endpoints: the metrics are for them only)'
    )
    METRIC_MAP = METRIC_MAP
    LABELS = LABELS

    # Its name in prose and the window of its quantiles (assets/build.py; its dashboard: assets/layouts/cerebras.py)
    TITLE = 'Cerebras'
    # It reports errors (`errors.rate`, from requests_failure_total): the assets' error shares count its requests.
    REPORTS_ERRORS = True
    WINDOWS = '1 m'
