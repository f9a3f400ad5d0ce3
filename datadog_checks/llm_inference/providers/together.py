# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Together AI: scrape ``https://o11y-de2-metrics.cloud.together.ai/organizations/<organization_id>/metrics``
(dedicated endpoints; beta).

"The docs" below: Together AI, "Monitor endpoints and deployments"
https://docs.together.ai/docs/dedicated-endpoints/monitoring and "Visualize endpoint metrics in Grafana"
https://docs.together.ai/docs/dedicated-endpoints/grafana (both read 2026-12-03), with Together's example Grafana
dashboard (togethercomputer/together-cookbook, PR #85); summarized in docs/providers/together.md.

A request passes three stages, each with its own series: the edge (the front-door proxy: what an API client sees),
the router and the worker (the model server). The catalog's client-side names come from the edge; the router's and
the worker's latencies are Together's own (`together.router.*`, `together.worker.*`), beside the worker's per-token
latency, tokens and KV cache, which are the catalog's. Counters (`_total`) and histograms (`_bucket`) are
cumulative: rates and interval quantiles are made of two scrapes (Counter, CumulativeQuantiles: cumulative.py), so
the first run after a start submits only the gauges.
"""

from ..labels import LabelMap
from ..scrape import ScrapeCheck
from ..specs import AVG, SUM, Counter, CumulativeQuantiles, Gauge

DEFAULT_URL = 'https://o11y-de2-metrics.cloud.together.ai/organizations/{organization_id}/metrics'
MS = 0.001  # the docs: edge latencies are in milliseconds, router and worker latencies in seconds
# The docs: the edge's TTFT "is most meaningful with is_streaming="true"": a non-streaming client receives its first
# token with the whole reply, so its "TTFT" is the request's duration. Streaming series, and series without the label.
STREAMING = ('is_streaming', ('true', None))
REPLICA = 'replica_id'
TOKEN_TYPE = 'token_type'


def _histogram(name, scale=1.0, raw_buckets='', only=()):
    return CumulativeQuantiles(name, scale, (), raw_buckets, only=only)


# Label policy: counters' rates and in-flight counts SUM over a removed label; the worker gauges are per replica
# levels (fractions): averaged over replicas (AVG), as the catalog's kv_cache.usage is.
METRIC_MAP = {
    # --- edge: the front-door proxy, what the API client sees ---
    # "edge_inference_requests_total" (counter, by `status_code`): every request; errors are those outside 2xx.
    'edge_inference_requests_total': (
        Counter('requests.rate', combine=SUM, without=('status_code',)),
        Counter('errors.rate', combine=SUM, errors_of='status_code'),
    ),
    # "edge_inference_request_duration_ms" (histogram, end to end at the edge, ms) and "edge_inference_ttft_ms".
    'edge_inference_request_duration_ms_bucket': _histogram('e2e_latency.seconds', MS, 'together.e2e_latency.bucket'),
    'edge_inference_ttft_ms_bucket': _histogram('time_to_first_token.seconds', MS, only=STREAMING),
    # "edge_inference_inflight_requests" (gauge)
    'edge_inference_inflight_requests': Gauge('requests.running', combine=SUM),
    # --- router ---
    'router_inference_requests_total': Counter('together.router.requests.rate', combine=SUM),
    'router_inference_request_duration_seconds_bucket': _histogram('together.router.e2e_latency.seconds'),
    'router_inference_ttft_seconds_bucket': _histogram('together.router.time_to_first_token.seconds'),
    # "routing and queueing before the worker"
    'router_pre_worker_duration_seconds_bucket': _histogram('together.router.pre_worker.seconds'),
    'router_inference_inflight_requests': Gauge('together.router.requests.running', combine=SUM),
    # The docs: a counter that does not end in `_total` (by `token_type`, `requester_organization_id`).
    'router_token_count': Counter('together.router.tokens.rate', combine=SUM),
    # --- worker: the model server ---
    'worker_inference_request_total': Counter('together.worker.requests.rate', combine=SUM),
    'worker_ttft_seconds_bucket': _histogram('together.worker.time_to_first_token.seconds'),
    'worker_generation_duration_seconds_bucket': _histogram('together.worker.generation.seconds'),
    # "inter-token latency"
    'worker_tpot_seconds_bucket': _histogram('time_per_output_token.seconds'),
    # "worker_token_total" (counter, by `token_type`: input, output)
    'worker_token_total': (
        Counter('tokens.input.rate', combine=SUM, without=(TOKEN_TYPE,), only=(TOKEN_TYPE, ('input',))),
        Counter('tokens.output.rate', combine=SUM, without=(TOKEN_TYPE,), only=(TOKEN_TYPE, ('output',))),
    ),
    # "worker_tokens_per_request" (histogram, by `token_type`): one population per token type, never merged.
    'worker_tokens_per_request_bucket': (
        _histogram('request.input_tokens', only=(TOKEN_TYPE, ('input',))),
        _histogram('request.output_tokens', only=(TOKEN_TYPE, ('output',))),
    ),
    # "worker_engine_kv_cache_utilization" (gauge, 0-1) and "worker_engine_cache_hit_rate" (gauge, 0-1), per replica.
    'worker_engine_kv_cache_utilization': Gauge('kv_cache.usage', combine=AVG, without=(REPLICA,)),
    'worker_engine_cache_hit_rate': Gauge('together.engine.cache_hit_rate', combine=AVG, without=(REPLICA,)),
}
HISTOGRAMS = [raw[: -len('_bucket')] for raw in METRIC_MAP if raw.endswith('_bucket')]
# Read and not submitted: the histograms' `_sum` and `_count` (quantiles come from the buckets), and the router's
# tokens per request, the same requests' token counts as the worker's (`request.input_tokens` and `..._output_...`).
UNUSED = frozenset(
    [raw + suffix for raw in HISTOGRAMS for suffix in ('_sum', '_count')]
    + ['router_tokens_per_request' + suffix for suffix in ('_bucket', '_sum', '_count')]
)

# The docs' labels ("not every label on every metric"). `model` is the edge's spelling, `model_id` the worker's: both
# are the model. The organization equal to the instance's `organization_id` is not sent twice.
LABELS = LabelMap(
    {
        'model': 'model',
        'model_id': 'model',
        'deployment_id': 'deployment',
        'owner_organization_id': 'organization_id',
        'owner_project_id': 'project_id',
        'status_code': 'status_code',
        'endpoint_id': 'endpoint_id',
        'endpoint_name': 'endpoint_name',
        'deployment_name': 'deployment_name',
        'deployment_service_id': 'deployment_service_id',
        'deployment_region': 'deployment_region',
        'edge_region': 'edge_region',
        REPLICA: 'replica',
        'is_streaming': 'is_streaming',
        TOKEN_TYPE: TOKEN_TYPE,
        'path': 'path',
        'requester_organization_id': 'requester_organization_id',
    }
)


class TogetherCheck(ScrapeCheck):
    PROVIDER = 'together'
    REQUIRED_OPTIONS = ('api_key', 'organization_id')
    IDENTITY_TAGS = {'organization_id': 'organization_id'}
    # Every series names the organization that owns its endpoint: another one means a key or URL of another org.
    REPLY_IDENTITY = {'organization_id': 'owner_organization_id'}
    DEFAULT_URL = DEFAULT_URL
    AUTH_SCHEME = 'Bearer'
    # The docs document no limit (the endpoint is in beta): the check's own budget, 6 a minute per organization (the
    # endpoint is the organization's), one request a minute at the interval the docs use, with room for retries.
    DEFAULT_REQUESTS_PER_MINUTE = 6
    BUDGET_SCOPE = 'organization_id'
    # The docs scrape every 60 s with a 55 s timeout, and say organizations with many endpoints can time out.
    DEFAULT_TIMEOUT = 55
    HTTP_HINTS = {
        401: 'the key was refused: check `api_key`. It must be a Together API key of the organization in '
        '`organization_id`: a valid key of another Together organization is refused too (`tg whoami` prints a '
        'key\'s organization id).',
        403: 'this key may not read the organization\'s metrics: the metrics endpoint is in beta and access may need '
        'to be enabled for the organization (ask your Together AI contact), and `api_key` must belong to '
        '`organization_id`.',
        404: 'no metrics at this URL: check `organization_id` (the organization id `tg whoami` prints, like '
        '`org_abc123`) or `api_url` (the endpoint is in beta: its host and path may change).',
    }
    NO_DATA_HINT = (
        'no dedicated endpoint of this organization served traffic recently (an empty reply is what the endpoint '
        'sends then; check `organization_id`)'
    )
    METRIC_MAP = METRIC_MAP
    UNUSED = UNUSED
    LABELS = LABELS

    # Its name in prose and the window of its quantiles (assets/build.py; its dashboard: assets/layouts/together.py)
    TITLE = 'Together AI'
    # It reports errors (`errors.rate`, from the edge's requests): the assets' error shares count its requests.
    REPORTS_ERRORS = True
    # Rates and quantiles are over the interval between two runs.
    WINDOWS = 'over the collection interval'
