# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The Wafer dashboard, after the Health group the builder puts first (see build.py)."""

from ..widgets import Dashboard, Group, QueryValue, Timeseries, q, quantile_lines, scoped

_ONLY = 'provider:wafer,$deployment'
_BY = 'deployment'
DASHBOARD = Dashboard(
    'Wafer dedicated endpoints: live engine state (about the last minute) and 24-hour rolling counts and percentiles.',
    ['deployment'],
    [
        Group(
            'Live engine state',
            'vivid_pink',
            'In-flight and queued requests, KV-cache usage and hit rate, from the last minute of the worker fleet.',
            [
                Timeseries('Running requests', q('requests.running', _ONLY, _BY, 'sum')),
                Timeseries('Queued requests', q('requests.queued', _ONLY, _BY, 'sum'), display='bars'),
                Timeseries('KV-cache usage', q('kv_cache.usage', _ONLY, _BY, 'max')),
                Timeseries('KV-cache hit ratio', q('kv_cache.hit_ratio', _ONLY, _BY)),
                Timeseries(
                    'Distinct requests in flight, last 2 min', q('wafer.concurrent_requests', _ONLY, _BY, 'sum')
                ),
            ],
        ),
        Group(
            'Last 24 hours',
            'vivid_orange',
            'Rolling 24-hour gauges, not counters: alert on their level against your baseline. The request rate is '
            'the 24-hour count / 86400.',
            [
                Timeseries(
                    'Requests (24 h) by status class',
                    q('wafer.requests.last_24h', _ONLY, _BY + ',status_class', 'sum'),
                    display='bars',
                ),
                Timeseries('Average requests / s (24 h)', q('requests.rate', _ONLY, _BY, 'sum')),
                # Wafer reports no error rate: its share comes from the 24-hour counts by status class. Over the
                # request rate (the 24 h count / 86400), which the check leaves out when a class is NaN, so a
                # missing class is no share rather than a low one.
                Timeseries(
                    'Error share (%) over 24 h, from the 24-hour counts by status class (4xx and 5xx)',
                    q('wafer.requests.last_24h', scoped(_ONLY, 'status_class IN (4xx, 5xx)'), _BY, 'sum'),
                    q('requests.rate', _ONLY, _BY, 'sum'),
                    formula='query1 / (query2 * 86400) * 100',
                ),
                Timeseries(
                    'Tokens (24 h)',
                    q('wafer.tokens.input.last_24h', _ONLY, _BY, 'sum'),
                    q('wafer.tokens.output.last_24h', _ONLY, _BY, 'sum'),
                    q('wafer.tokens.cache_read.last_24h', _ONLY, _BY, 'sum'),
                ),
                Timeseries('Prompt cache hit ratio (24 h)', q('prompt_cache.hit_ratio', _ONLY, _BY)),
                quantile_lines(
                    'Time to first token p99 / p50 (24 h)', 'time_to_first_token.seconds', _ONLY, _BY, per='endpoint'
                ),
                quantile_lines('Request duration p99 / p50 (24 h)', 'e2e_latency.seconds', _ONLY, _BY, per='endpoint'),
                quantile_lines(
                    'Output tokens / s per request p50 / p10',
                    'request.output_tokens_per_second',
                    _ONLY,
                    _BY,
                    ('0.5', '0.1'),
                    'endpoint',
                ),
                QueryValue(
                    'Aggregation window (s)', q('wafer.metrics_window.seconds', _ONLY, None, 'max'), precision=0
                ),
            ],
        ),
    ],
)

