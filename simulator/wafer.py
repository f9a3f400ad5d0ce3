"""Wafer: `/v1/endpoints/metrics/prometheus?endpoint=<e>` in Prometheus text (docs/providers/wafer.md): a dedicated key
reads its endpoints, a serverless key gets 403, 6 requests a minute per key."""

from dataclasses import dataclass

from . import traffic
from .exposition import line, text
from .provider import FAILING_TAG, Reply, ScrapeProvider

KEY = 'wafer-dedicated-demo-key'
SERVERLESS_KEY = 'wafer-serverless-demo-key'  # Wafer's docs: serverless keys get 403


@dataclass(frozen=True)
class Endpoint:
    peak_rps: float  # requests per second at the daily peak
    ttft: float  # p50 time to first token (s)
    tail: float  # how far the upper quantiles reach above the p50 (1: p99 = 7.5 x p50)
    headroom: float  # capacity over the daily peak: KV-cache pressure and queueing follow load / capacity
    cache_hit: float  # share of input tokens read from the prompt cache


ENDPOINTS = {
    'acme-llama.wafer.ai': Endpoint(9.0, 0.18, 1.0, 1.9, 0.4),
    'acme-coder.wafer.ai': Endpoint(3.0, 0.32, 1.6, 1.2, 0.22),  # long code prompts on a busier endpoint
}
# Wafer's series carry no model: the model each endpoint serves, for the instances' `model` option.
MODELS = {
    'acme-llama.wafer.ai': 'meta-llama/Llama-3.3-70B-Instruct',
    'acme-coder.wafer.ai': 'Qwen/Qwen2.5-Coder-32B-Instruct',
}
PRICING = {'acme-llama.wafer.ai': {'hour': 12.0}, 'acme-coder.wafer.ai': {'hour': 6.0}}  # a flat hourly rate


def values(endpoint, t):
    """raw name -> value, or -> {label value: value} for labelled series."""
    e = ENDPOINTS[endpoint]
    peak, ttft, tail = e.peak_rps, e.ttft, e.tail
    day_requests = peak * 0.625 * traffic.DAY  # the 24 h window averages the daily shape
    u = min(0.99, traffic.load(peak, t) / (peak * e.headroom))
    spike = 0.03 if traffic.in_error_spike(t) else 0.002
    return {
        'wafer_requests_last_24h': {
            '2xx': round(day_requests * (1 - 0.01 - spike)),
            '4xx': round(day_requests * 0.01),
            '5xx': round(day_requests * spike),
        },
        'wafer_input_tokens_last_24h': round(day_requests * 1200),
        'wafer_output_tokens_last_24h': round(day_requests * 300),
        'wafer_cache_read_tokens_last_24h': round(day_requests * 1200 * e.cache_hit),
        'wafer_cache_hit_ratio_last_24h': e.cache_hit,
        'wafer_ttft_seconds': {
            '0.5': ttft,
            '0.9': ttft * (1 + 1.2 * tail),
            '0.95': ttft * (1 + 2.1 * tail),
            '0.99': ttft * (1 + 6.5 * tail),
        },
        'wafer_request_duration_seconds': {
            '0.5': ttft * 12,
            '0.9': ttft * (12 + 18 * tail),
            '0.99': ttft * (12 + 58 * tail),
        },
        'wafer_output_tokens_per_second': {'0.1': 35.0, '0.5': 70.0, '0.9': 95.0, '0.99': 110.0},
        'wafer_engine_running_requests': round(traffic.load(peak, t) * 2.5),
        'wafer_engine_queue_depth': round(max(0.0, (u - 0.6) * 40)),
        'wafer_engine_kv_cache_usage_ratio': round(min(0.99, 0.2 + 0.8 * u), 4),
        'wafer_engine_kv_cache_hit_ratio': round(e.cache_hit * 0.9, 4),
        'wafer_concurrent_requests': round(traffic.load(peak, t) * 3),
        'wafer_metrics_window_seconds': 86400,
    }


def exposition(endpoint, t):
    """`# TYPE ... gauge`, an `endpoint` label on every series, `quantile`/`status_class` where partitioned."""
    lines = []
    for name, value in values(endpoint, t).items():
        lines.append('# TYPE {} gauge'.format(name))
        if isinstance(value, dict):
            label = 'status_class' if name == 'wafer_requests_last_24h' else 'quantile'
            for key, v in value.items():
                lines.append(line(name, {'endpoint': endpoint, label: key}, v))
        else:
            lines.append(line(name, {'endpoint': endpoint}, value))
    return text(lines)


class Wafer(ScrapeProvider):
    name = 'wafer'
    keys = {'dedicated': KEY, 'serverless': SERVERLESS_KEY}
    path = '/v1/endpoints/metrics/prometheus'
    pricing = PRICING

    def answer(self, path, query, key, limited, now):
        if path != self.path:
            return None
        endpoint = query.get('endpoint', [''])[0]
        if key == SERVERLESS_KEY:
            return Reply(403, 'dedicated endpoints only: serverless keys cannot read metrics\n', {})
        if key != KEY:
            return Reply(401, 'missing or invalid API key\n', {})
        if endpoint not in ENDPOINTS:
            return Reply(403, 'this key does not own endpoint {!r}\n'.format(endpoint), {})
        wait = limited((self.name, key))
        if wait:
            return Reply(429, 'rate limit: 6/min per key\n', {'Retry-After': str(wait)})
        return Reply(200, exposition(endpoint, now), {})

    def demo_instances(self, url):
        instances = [
            {
                'provider': self.name,
                'api_key': KEY,
                'endpoint': endpoint,
                'model': MODELS[endpoint],
                'api_url': url,
                'min_collection_interval': 60,
                'pricing': PRICING[endpoint],
            }
            for endpoint in ENDPOINTS
        ]
        # The mistake users make most: a serverless key (Wafer's docs: serverless keys get 403).
        instances.append(
            {
                'provider': self.name,
                'api_key': SERVERLESS_KEY,
                'endpoint': 'acme-llama.wafer.ai',
                'api_url': url,
                'tags': [FAILING_TAG],
                'min_collection_interval': 60,
            }
        )
        return instances


PROVIDER = Wafer()
