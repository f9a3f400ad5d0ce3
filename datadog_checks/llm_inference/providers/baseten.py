# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Baseten: scrape the organization's ``https://app.baseten.co/metrics``.

"The docs" below: Baseten, "Export metrics" overview https://docs.baseten.co/observability/export-metrics/overview,
"Metrics support matrix" https://docs.baseten.co/observability/export-metrics/supported-metrics and "Export to
Prometheus" https://docs.baseten.co/observability/export-metrics/prometheus (all read 2026-12-03); summarized in
docs/providers/baseten.md.

Its series are real Prometheus types: `_total` counters and `_bucket` histograms are cumulative, so rates and
interval quantiles are made of two scrapes (Counter, CumulativeQuantiles: cumulative.py). The first run after a
start submits only the gauges.
"""

from ..pricing import Spend
from ..specs import AVG, SUM, Counter, CumulativeQuantiles, Gauge
from ..labels import LabelMap
from ..scrape import ScrapeCheck

DEFAULT_URL = 'https://app.baseten.co/metrics'
MIB = 1024.0 * 1024.0  # the docs: GPU memory "in MiB"


def _histogram(raw, name, bucket_metric):
    """A cumulative histogram's `_bucket` series as interval quantiles, in the unit the docs give."""
    return {raw + '_bucket': CumulativeQuantiles(name, 1.0, (), bucket_metric)}


# Label policy: counters' rates and replica counts SUM over a removed label; per-replica gauges that are levels
# (GPU utilization, average in-flight tokens) AVG.
METRIC_MAP = {
    # "Cumulative number of requests to the model" (counter; `status_code`, `is_async`).
    'baseten_inference_requests_total': (
        Counter('requests.rate', combine=SUM, without=('status_code',)),
        Counter('errors.rate', combine=SUM, errors_of='status_code'),  # status codes outside 2xx
    ),
    # "The number of input/output tokens" (LLM engine deployments only; counters).
    'baseten_llm_input_tokens_total': Counter('tokens.input.rate', combine=SUM),
    'baseten_llm_output_tokens_total': Counter('tokens.output.rate', combine=SUM),
    'baseten_llm_spec_decode_num_accepted_tokens_total': Counter(
        'baseten.spec_decode.accepted_tokens.rate', combine=SUM
    ),
    'baseten_llm_spec_decode_num_draft_tokens_total': Counter('baseten.spec_decode.draft_tokens.rate', combine=SUM),
    'baseten_async_webhook_requests_total': Counter('baseten.async_webhook_requests.rate', combine=SUM),
    # CPU seconds a second: the cores in use.
    'baseten_container_cpu_usage_seconds_total': Counter('baseten.container.cpu_usage', combine=SUM),
    'baseten_container_restarts_total': Counter('baseten.container.restarts.rate', combine=SUM),
    # Gauges: point-in-time.
    'baseten_replicas_active': Gauge('baseten.replicas.active', combine=SUM),
    'baseten_replicas_starting': Gauge('baseten.replicas.starting', combine=SUM),
    # "in-flight plus queued requests" (async excluded), the autoscaling signal: not requests.running alone.
    'baseten_concurrent_requests': Gauge('baseten.concurrent_requests', combine=SUM),
    'baseten_async_queue_size': Gauge('baseten.async_queue.size', combine=SUM),
    'baseten_container_cpu_memory_working_set_bytes': Gauge('baseten.container.memory_working_set.bytes', combine=SUM),
    'baseten_pod_readiness': Gauge('baseten.pod_readiness', combine=SUM),
    'baseten_gpu_memory_used': Gauge('baseten.gpu.memory_used.bytes', scale=MIB, combine=SUM),
    'baseten_gpu_utilization': Gauge('baseten.gpu.utilization', combine=AVG),  # percent, 0-100
    'baseten_ongoing_websocket_connections': Gauge('baseten.websocket_connections', combine=SUM),
    'baseten_llm_in_flight_tokens': Gauge('baseten.llm.in_flight_tokens', combine=SUM),
    'baseten_llm_avg_in_flight_tokens': Gauge('baseten.llm.avg_in_flight_tokens', combine=AVG),
    'baseten_llm_num_requests': Gauge('baseten.llm.num_requests', combine=SUM),
}
# Histograms, cumulative `_bucket` / `_sum` / `_count`: quantiles from the buckets (the raw buckets, opt-in, for
# the end-to-end latency only).
HISTOGRAMS = (
    ('baseten_end_to_end_response_time_seconds', 'e2e_latency.seconds', 'baseten.e2e_latency.bucket'),
    # Time to first BYTE: the docs call it a proxy for time to first token; it is not one (a byte is not a token).
    ('baseten_time_to_first_byte_seconds', 'baseten.time_to_first_byte.seconds', ''),
    ('baseten_request_size_bytes', 'baseten.request_size.bytes', ''),
    ('baseten_response_size_bytes', 'baseten.response_size.bytes', ''),
    ('baseten_time_in_async_queue_seconds', 'baseten.async_queue_time.seconds', ''),
    ('baseten_async_webhook_latency_seconds', 'baseten.async_webhook_latency.seconds', ''),
    ('baseten_llm_input_tokens_per_request', 'request.input_tokens', ''),
    ('baseten_llm_output_tokens_per_request', 'request.output_tokens', ''),
    # Tokens a second of each request; the docs do not say input or output, so it keeps a Baseten name.
    ('baseten_llm_tokens_per_second_per_request', 'baseten.request.tokens_per_second', ''),
    ('baseten_llm_kv_cache_hit_rate', 'baseten.kv_cache.hit_rate', ''),
)
for _raw, _name, _buckets in HISTOGRAMS:
    METRIC_MAP.update(_histogram(_raw, _name, _buckets))

# The docs: "model_id", "model_name", "deployment_id" (required); request metrics add `status_code`, `is_async`;
# container and GPU metrics `replica`, GPU metrics `gpu`; optional `environment`, `rollout_phase`; pod readiness
# `condition`.
LABELS = LabelMap(
    {
        'model_name': 'model',
        'model_id': 'model_id',
        'deployment_id': 'deployment',
        'status_code': 'status_code',
        'is_async': 'is_async',
        'environment': 'environment',
        'rollout_phase': 'rollout_phase',
        'replica': 'replica',
        'gpu': 'gpu',
        'condition': 'condition',
    }
)


class BasetenCheck(ScrapeCheck):
    PROVIDER = 'baseten'
    REQUIRED_OPTIONS = ('api_key',)
    DEFAULT_URL = DEFAULT_URL
    # The docs: `{"Authorization": "Api-Key YOUR_API_KEY"}`, not Bearer.
    AUTH_SCHEME = 'Api-Key'
    # The docs: "6 requests per minute per organization"; one endpoint per organization, which the key identifies.
    DEFAULT_REQUESTS_PER_MINUTE = 6
    SPEND = Spend(input='tokens.input.rate', output='tokens.output.rate', replicas='baseten.replicas.active')
    HTTP_HINTS = {
        401: 'the key was refused: check `api_key`. Baseten wants `Authorization: Api-Key <key>` (which the check sends), so a key '
        'valid elsewhere as a Bearer token is not enough: use a Baseten API key of this organization (a workspace '
        'key, or a `workspace-export-metrics` key, which authorizes only this endpoint).',
        403: 'this key may not read the organization\'s metrics: use a workspace API key or a '
        '`workspace-export-metrics` key.',
    }
    NO_DATA_HINT = 'no deployment of this organization reports metrics (check that it has active deployments)'
    METRIC_MAP = METRIC_MAP
    UNUSED = frozenset(raw + suffix for raw, _, _ in HISTOGRAMS for suffix in ('_sum', '_count'))
    LABELS = LABELS

    # Its name in prose and the window of its quantiles (assets/build.py; its dashboard: assets/layouts/baseten.py)
    TITLE = 'Baseten'
    # It reports errors (`errors.rate`): the assets' error shares count only such providers' requests.
    REPORTS_ERRORS = True
    # Rates and quantiles are over the interval between two runs.
    WINDOWS = 'over the collection interval'
