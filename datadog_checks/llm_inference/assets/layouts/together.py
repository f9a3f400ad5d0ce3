# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The Together AI dashboard, after the Health group the builder puts first (see build.py): the three stages of a
request (edge, router, worker), as Together's own example dashboard shows them."""

from ..widgets import Dashboard, Group, Timeseries, q, quantile_lines

_ONLY = 'provider:together,$organization_id,$model,$deployment'
_BY = 'model,deployment'
DASHBOARD = Dashboard(
    'Together AI dedicated endpoints: rates and latency quantiles over each collection interval (made of two scrapes '
    'of cumulative counters and histograms; none on the first run after a restart), at the edge (what clients see), '
    'the router and the worker (the model server).',
    ['organization_id', 'model', 'deployment'],
    [
        Group(
            'Edge: what clients see',
            'vivid_orange',
            'Requests and errors at the front-door proxy, and the latency clients observe. Time to first token is of '
            'streaming requests only: a non-streaming client gets its first token with the whole reply.',
            [
                Timeseries('Requests / s', q('requests.rate', _ONLY, _BY, 'sum'), display='bars'),
                Timeseries(
                    'Errors / s by status code', q('errors.rate', _ONLY, _BY + ',status_code', 'sum'), display='bars'
                ),
                Timeseries(
                    'Error share (%)',
                    q('errors.rate', _ONLY, _BY, 'sum'),
                    q('requests.rate', _ONLY, _BY, 'sum'),
                    formula='query1 / query2 * 100',
                ),
                Timeseries('In flight at the edge', q('requests.running', _ONLY, _BY, 'sum')),
                quantile_lines('End-to-end latency p99 / p50 (s)', 'e2e_latency.seconds', _ONLY, _BY),
                quantile_lines('Time to first token p99 / p50 (s)', 'time_to_first_token.seconds', _ONLY, _BY),
            ],
        ),
        Group(
            'Router and worker',
            'vivid_blue',
            'Where the time goes on Together\'s side: routing and queueing before the worker (pre-worker time rising '
            'first means capacity), the router\'s and the worker\'s own latencies, and the time per output token.',
            [
                quantile_lines('Pre-worker time p99 / p50 (s)', 'together.router.pre_worker.seconds', _ONLY, _BY),
                quantile_lines(
                    'Router end-to-end latency p99 / p50 (s)', 'together.router.e2e_latency.seconds', _ONLY, _BY
                ),
                quantile_lines(
                    'Router time to first token p99 / p50 (s)',
                    'together.router.time_to_first_token.seconds',
                    _ONLY,
                    _BY,
                ),
                quantile_lines(
                    'Worker time to first token p99 / p50 (s)',
                    'together.worker.time_to_first_token.seconds',
                    _ONLY,
                    _BY,
                ),
                quantile_lines(
                    'Worker generation time p99 / p50 (s)', 'together.worker.generation.seconds', _ONLY, _BY
                ),
                quantile_lines('Time per output token p99 / p50 (s)', 'time_per_output_token.seconds', _ONLY, _BY),
                Timeseries(
                    'Served / s by stage (router, worker)',
                    q('together.router.requests.rate', _ONLY, _BY, 'sum'),
                    q('together.worker.requests.rate', _ONLY, _BY, 'sum'),
                ),
                Timeseries('In flight at the router', q('together.router.requests.running', _ONLY, _BY, 'sum')),
            ],
        ),
        Group(
            'Tokens and cache',
            'vivid_green',
            'Tokens the workers process, and the engines\' KV-cache utilization and cache hit rate, averaged over '
            'each deployment\'s replicas.',
            [
                Timeseries(
                    'Tokens / s (input, output)',
                    q('tokens.input.rate', _ONLY, _BY, 'sum'),
                    q('tokens.output.rate', _ONLY, _BY, 'sum'),
                ),
                Timeseries('KV-cache usage (0-1)', q('kv_cache.usage', _ONLY, _BY, 'avg')),
                Timeseries('Engine cache hit rate (0-1)', q('together.engine.cache_hit_rate', _ONLY, _BY, 'avg')),
            ],
        ),
    ],
)
