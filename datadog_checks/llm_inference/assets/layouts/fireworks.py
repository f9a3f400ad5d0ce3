# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The Fireworks AI dashboard, after the Health group the builder puts first (see build.py)."""

from ..widgets import Dashboard, Group, Timeseries, q, quantile_lines

_ONLY = 'provider:fireworks,$model,$deployment'
_BY = 'model,deployment'
DASHBOARD = Dashboard(
    'Fireworks AI dedicated deployments: rates over 1-minute windows, latency quantiles computed by the integration '
    'from the per-deployment bucket rates.',
    ['model', 'deployment'],
    [
        Group(
            'Traffic',
            'vivid_orange',
            'Requests, errors by HTTP code and tokens per deployment (1-minute windows).',
            [
                Timeseries('Requests / s', q('requests.rate', _ONLY, _BY, 'sum'), display='bars'),
                Timeseries(
                    'Errors / s by HTTP code', q('errors.rate', _ONLY, _BY + ',status_code', 'sum'), display='bars'
                ),
                Timeseries('Prompt tokens / s', q('tokens.input.rate', _ONLY, _BY, 'sum')),
                Timeseries('Cached prompt tokens / s', q('tokens.cached_input.rate', _ONLY, _BY, 'sum')),
            ],
        ),
        Group(
            'Latency quantiles',
            'vivid_blue',
            'p50 and p99 per deployment (where a deployment reports several series, e.g. per region, the worst of '
            'them). Queue latencies rising first mean capacity, prefill latencies rising mean longer prompts.',
            [
                quantile_lines('Time to first token p99 / p50 (s)', 'time_to_first_token.seconds', _ONLY, _BY),
                quantile_lines('End-to-end latency p99 / p50 (s)', 'e2e_latency.seconds', _ONLY, _BY),
                quantile_lines('Generation queue latency p99 / p50 (s)', 'queue_latency.seconds', _ONLY, _BY),
                quantile_lines('Time per output token p99 / p50 (s)', 'time_per_output_token.seconds', _ONLY, _BY),
                quantile_lines('Prefill latency p99 / p50 (s)', 'prefill_latency.seconds', _ONLY, _BY),
                quantile_lines('Prefill queue latency p99 / p50 (s)', 'prefill_queue_latency.seconds', _ONLY, _BY),
            ],
        ),
        Group(
            'Requests shape',
            'vivid_purple',
            'Prompt and generated tokens per request (p50, p99).',
            [
                quantile_lines('Prompt tokens per request', 'request.input_tokens', _ONLY, _BY),
                quantile_lines('Generated tokens per request', 'request.output_tokens', _ONLY, _BY),
            ],
        ),
        Group(
            'Capacity',
            'vivid_pink',
            'KV blocks and slots in use, concurrency, forward pass time and replicas (0: scaled to zero). Two series '
            'Fireworks does not document are shown as reported.',
            [
                Timeseries('KV-cache blocks in use', q('kv_cache.usage', _ONLY, _BY, 'max')),
                Timeseries('KV-cache slots in use', q('fireworks.kv_slots.usage', _ONLY, _BY, 'max')),
                Timeseries('Concurrent requests', q('requests.running', _ONLY, _BY, 'sum')),
                Timeseries('Model forward time', q('fireworks.model_forward_time', _ONLY, _BY)),
                Timeseries('Prompt cache TTL', q('fireworks.prompt_cache.ttl', _ONLY, _BY)),
                Timeseries(
                    'Active generators fraction (undocumented series)',
                    q('fireworks.generator.active_fraction', _ONLY, _BY, 'max'),
                ),
                Timeseries(
                    'Generated tokens gauge (undocumented series)',
                    q('fireworks.tokens.generated_gauge', _ONLY, _BY, 'sum'),
                ),
                Timeseries(
                    'Replicas',
                    q('fireworks.replicas', 'provider:fireworks,$deployment', 'deployment', 'sum'),
                    display='bars',
                ),
            ],
        ),
    ],
)

