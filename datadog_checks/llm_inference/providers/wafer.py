# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Wafer: scrape ``/v1/endpoints/metrics/prometheus?endpoint=<endpoint>``.

"The docs" below: Wafer's page on Prometheus metrics for dedicated endpoints (last verified 2026-06-07, read
2026-11-22), summarized in docs/providers/wafer.md.
"""

from ..pricing import Spend
from ..specs import AVG, KEEP, SUM, Gauge
from ..labels import LabelMap
from ..scrape import ScrapeCheck

DEFAULT_URL = 'https://api.wafer.ai/v1/endpoints/metrics/prometheus'

# The docs: "The _last_24h suffix marks a 24h-rolling gauge (not a true monotonic counter — divide by 86400
# for an average rate...)" and the latency series are "24h-window percentile gauges".
DAY = ('window:24h',)
SECONDS_PER_DAY = 86400.0

# Label policy: 24 h counts and the engine's request counts (summed over replicas) SUM over a removed label; the
# KV usage (averaged over replicas) AVGs; percentile gauges and hit ratios cannot be combined (KEEP): their
# labels always stay.
METRIC_MAP = {
    'wafer_requests_last_24h': (
        Gauge('wafer.requests.last_24h', tags=DAY, combine=SUM),
        # The catalog's request rate: the 24 h count over all status classes / 86400, as the docs advise. A class
        # that is NaN makes no rate at all (a partial sum would read as an error share of 100 %).
        Gauge('requests.rate', scale=1 / SECONDS_PER_DAY, tags=DAY, combine=SUM, without=('status_class',)),
    ),
    'wafer_input_tokens_last_24h': Gauge('wafer.tokens.input.last_24h', tags=DAY, combine=SUM),
    'wafer_output_tokens_last_24h': Gauge('wafer.tokens.output.last_24h', tags=DAY, combine=SUM),
    'wafer_cache_read_tokens_last_24h': Gauge('wafer.tokens.cache_read.last_24h', tags=DAY, combine=SUM),
    'wafer_cache_hit_ratio_last_24h': Gauge('prompt_cache.hit_ratio', tags=DAY, combine=KEEP),
    'wafer_ttft_seconds': Gauge('time_to_first_token.seconds', tags=DAY, combine=KEEP, needs='quantile'),
    'wafer_request_duration_seconds': Gauge('e2e_latency.seconds', tags=DAY, combine=KEEP, needs='quantile'),
    'wafer_output_tokens_per_second': Gauge(
        'request.output_tokens_per_second', tags=DAY, combine=KEEP, needs='quantile'
    ),
    # "Live engine state ... the most recent ~1 min from the worker fleet"
    'wafer_engine_running_requests': Gauge('requests.running', combine=SUM),
    'wafer_engine_queue_depth': Gauge('requests.queued', combine=SUM),
    'wafer_engine_kv_cache_usage_ratio': Gauge('kv_cache.usage', combine=AVG),
    'wafer_engine_kv_cache_hit_ratio': Gauge('kv_cache.hit_ratio', combine=KEEP),
    # "distinct requests in flight in the last 2 min"
    'wafer_concurrent_requests': Gauge('wafer.concurrent_requests', tags=('window:2m',), combine=SUM),
    # "constant 86400, exposed so dashboards can label tiles correctly"
    'wafer_metrics_window_seconds': Gauge('wafer.metrics_window.seconds', combine=AVG),
}

# "All series carry a endpoint="<your-endpoint>" label": it becomes `deployment`. Equal to the instance's
# `endpoint` it is not sent twice; another value is kept as `label_endpoint`. The docs promise "no per-model
# labels in v1": a `model` label, if one comes, is the model tag. `quantile` is normalized (`max` is 1); a
# quantile label that is not one is never submitted untagged (reported instead).
LABELS = LabelMap({'endpoint': 'deployment', 'status_class': 'status_class', 'quantile': 'quantile', 'model': 'model'})

class WaferCheck(ScrapeCheck):
    PROVIDER = 'wafer'
    REQUIRED_OPTIONS = ('api_key', 'endpoint')
    IDENTITY_TAGS = {'endpoint': 'deployment'}
    # "All series carry a endpoint="<your-endpoint>" label".
    REPLY_IDENTITY = {'endpoint': 'endpoint'}
    DEFAULT_URL = DEFAULT_URL
    URL_PARAMETERS = {'endpoint': 'endpoint'}
    # "No per-model labels in v1": the `model` option says which model the endpoint serves.
    MODEL_OPTION = True
    # 24-hour counts of billed tokens (cache reads are a part of input): their hourly average.
    SPEND = Spend(
        input='wafer.tokens.input.last_24h',
        output='wafer.tokens.output.last_24h',
        cached_input='wafer.tokens.cache_read.last_24h',
        per_hour=1 / 24,
    )
    # The docs: "Rate limit: 6 req/min per API key (HTTP 429 on overrun)".
    DEFAULT_REQUESTS_PER_MINUTE = 6
    HTTP_HINTS = {
        # The docs: "Serverless (pass.wafer.ai) keys return 403 ... dedicated-only"
        403: 'metrics are for dedicated endpoints only. A serverless (pass.wafer.ai) key, or a dedicated key for an '
        'endpoint it does not own, is refused: use the key of the dedicated endpoint set in `endpoint`.',
        404: 'no metrics at this URL: check `endpoint` (the dedicated endpoint host) or `api_url`.',
    }
    NO_DATA_HINT = 'check `endpoint` (series of a worker silent for 10 minutes drop out of the reply)'
    METRIC_MAP = METRIC_MAP
    LABELS = LABELS

    # Its name in prose and the window of its quantiles (assets/build.py; its dashboard: assets/layouts/wafer.py)
    TITLE = 'Wafer'
    WINDOWS = '24 h'
