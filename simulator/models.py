"""The simulated providers' state as a function of time: one place that says what every value is.

Traffic follows a daily shape, with bursts and an occasional error spike; KV-cache pressure follows load. Every value
is a pure function of (deployment, t), so a test can compute what the check must report from these same functions.
"""

import math
from dataclasses import dataclass

DAY = 86400.0
BURST_EVERY, BURST_FOR = 17 * 60, 2 * 60  # a burst of 1.8x traffic for 2 minutes every 17 minutes
SPIKE_EVERY, SPIKE_FOR = 45 * 60, 3 * 60  # an error spike (5xx) for 3 minutes every 45 minutes
LATENCY_BOUNDS_MS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
TOKEN_BOUNDS = (16, 64, 256, 1024, 4096, 16384)


@dataclass(frozen=True)
class Deployment:
    account: str
    deployment_id: str
    base_model: str
    peak_rps: float  # requests per second at the daily peak
    replicas: int
    ttft_ms: float  # typical time to first token at low load
    peak_hour: float = 15.0  # UTC hour of the daily peak (users in different regions)


FIREWORKS_DEPLOYMENTS = (
    Deployment('acme', 'llama70b-prod', 'accounts/fireworks/models/llama-v3p3-70b-instruct', 14.0, 4, 180.0, 15.0),
    Deployment('acme', 'dsv3-batch', 'accounts/fireworks/models/deepseek-v3', 4.0, 2, 420.0, 3.0),
    Deployment('acme', 'qwen3-8b-chat', 'accounts/fireworks/models/qwen3-8b', 22.0, 3, 60.0, 20.0),
)
WAFER_ENDPOINTS = {
    'acme-llama.wafer.ai': (9.0, 0.18),  # peak requests/s, p50 time to first token (s)
    'acme-coder.wafer.ai': (3.0, 0.32),
}
# Wafer's series carry no model: the model each endpoint serves, for the instances' `model` option.
WAFER_MODELS = {
    'acme-llama.wafer.ai': 'meta-llama/Llama-3.3-70B-Instruct',
    'acme-coder.wafer.ai': 'Qwen/Qwen2.5-Coder-32B-Instruct',
}


def daily_shape(t, peak_hour=15.0):
    """0.25 at night to 1.0 at the daily peak."""
    hour = (t % DAY) / 3600.0
    return 0.625 + 0.375 * math.cos(2 * math.pi * (hour - peak_hour) / 24.0)


def in_burst(t):
    return (t % BURST_EVERY) < BURST_FOR


def in_error_spike(t):
    return (t % SPIKE_EVERY) < SPIKE_FOR


def load(peak_rps, t, peak_hour=15.0):
    return peak_rps * daily_shape(t, peak_hour) * (1.8 if in_burst(t) else 1.0)


def deployment_load(d, t):
    return load(d.peak_rps, t, d.peak_hour)


def utilization(d, t):
    """Share of capacity in use: KV-cache pressure and queueing follow it."""
    return min(0.99, deployment_load(d, t) / (d.peak_rps * 1.9))


def _cdf_log(bound, median, spread):
    """Share of observations at or below `bound` for a log-logistic distribution around `median`."""
    return 1.0 / (1.0 + (median / bound) ** (1.0 / spread))


def latency_medians_ms(d, t):
    """Median per latency family; queueing grows with utilization."""
    u = utilization(d, t)
    queue = 2.0 + 200.0 * u**4
    return {
        'latency_to_first_token_ms': d.ttft_ms + queue,
        'latency_overall_ms': d.ttft_ms * 8 + queue,
        'latency_generation_queue_ms': queue,
        'latency_generation_per_token_ms': 18.0 + 10.0 * u,
        'latency_prefill_ms': d.ttft_ms * 0.6,
        'latency_prefill_queue_ms': queue * 0.5,
    }


def fireworks_buckets(d, t):
    """family -> [(le, per-second rate of observations <= le)], `+Inf` last."""
    rps = deployment_load(d, t)
    families = {}
    for family, median in latency_medians_ms(d, t).items():
        rows = [(str(b), rps * _cdf_log(b, median, 0.35)) for b in LATENCY_BOUNDS_MS]
        families[family] = rows + [('+Inf', rps)]
    for family, median in (('tokens_prompt_per_request', 900.0), ('tokens_generated_per_request', 280.0)):
        rows = [(str(b), rps * _cdf_log(b, median, 0.5)) for b in TOKEN_BOUNDS]
        families[family] = rows + [('+Inf', rps)]
    return families


def fireworks_gauges(d, t):
    """raw name -> value for the per-deployment gauges (errors apart)."""
    rps = deployment_load(d, t)
    u = utilization(d, t)
    return {
        'request_counter_total:sum_by_deployment': rps,
        'tokens_prompt_total:sum_by_deployment': rps * 900.0,
        'tokens_cached_prompt_total:sum_by_deployment': rps * 900.0 * 0.35,
        'generator_kv_blocks_fraction:avg_by_deployment': min(0.99, 0.15 + 0.85 * u),
        'generator_kv_slots_fraction:avg_by_deployment': min(0.99, 0.10 + 0.85 * u),
        'generator_model_forward_time:avg_by_deployment': 12.0 + 20.0 * u,
        'requests_coordinator_concurrent_count:avg_by_deployment': rps * 2.2,
        'prefiller_prompt_cache_ttl:avg_by_deployment': 300.0,
    }


def fireworks_errors(d, t):
    """http_code -> errors per second."""
    rps = deployment_load(d, t)
    errors = {'400': rps * 0.004, '429': rps * 0.01 if in_burst(t) else 0.0}
    if in_error_spike(t):
        errors['500'] = rps * 0.08
    return {code: rate for code, rate in errors.items() if rate > 0}


def wafer_values(endpoint, t):
    """raw name -> value, or -> {label value: value} for labelled series."""
    peak, ttft = WAFER_ENDPOINTS[endpoint]
    day_requests = peak * 0.625 * DAY  # the 24 h window averages the daily shape
    u = min(0.99, load(peak, t) / (peak * 1.9))
    spike = 0.03 if in_error_spike(t) else 0.002
    return {
        'wafer_requests_last_24h': {
            '2xx': round(day_requests * (1 - 0.01 - spike)),
            '4xx': round(day_requests * 0.01),
            '5xx': round(day_requests * spike),
        },
        'wafer_input_tokens_last_24h': round(day_requests * 1200),
        'wafer_output_tokens_last_24h': round(day_requests * 300),
        'wafer_cache_read_tokens_last_24h': round(day_requests * 1200 * 0.4),
        'wafer_cache_hit_ratio_last_24h': 0.4,
        'wafer_ttft_seconds': {'0.5': ttft, '0.9': ttft * 2.2, '0.95': ttft * 3.1, '0.99': ttft * 7.5},
        'wafer_request_duration_seconds': {'0.5': ttft * 12, '0.9': ttft * 30, '0.99': ttft * 70},
        'wafer_output_tokens_per_second': {'0.1': 35.0, '0.5': 70.0, '0.9': 95.0, '0.99': 110.0},
        'wafer_engine_running_requests': round(load(peak, t) * 2.5),
        'wafer_engine_queue_depth': round(max(0.0, (u - 0.6) * 40)),
        'wafer_engine_kv_cache_usage_ratio': round(min(0.99, 0.2 + 0.8 * u), 4),
        'wafer_engine_kv_cache_hit_ratio': 0.37,
        'wafer_concurrent_requests': round(load(peak, t) * 3),
        'wafer_metrics_window_seconds': 86400,
    }
