# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The Groq dashboard, after the Health group the builder puts first (see build.py)."""

from ..widgets import Dashboard, Group, Timeseries, q, quantile_lines

_ONLY = 'provider:groq,$model'
DASHBOARD = Dashboard(
    'Groq (Enterprise) usage by model, from Groq\'s VictoriaMetrics recording rules: 1-minute request rates, 5-minute '
    'percentiles.',
    ['model'],
    [
        Group(
            'Requests',
            'vivid_orange',
            'Requests and non-2xx responses per model; 429s are your organization\'s limits.',
            [
                Timeseries('Requests / s', q('requests.rate', _ONLY, 'model', 'sum'), display='bars'),
                Timeseries(
                    'Errors / s by status code', q('errors.rate', _ONLY, 'model,status_code', 'sum'), display='bars'
                ),
            ],
        ),
        Group(
            'Percentiles (5 min)',
            'vivid_blue',
            'p99, p95 and p50 as Groq computes them; a p99 that moves while p50 stays flat points at queueing, not at '
            'the model.',
            [
                quantile_lines(title + ' p99 / p95 / p50', metric, _ONLY, 'model', ('0.99', '0.95', '0.5'), 'model')
                for metric, title in (
                    ('time_to_first_token.seconds', 'Time to first token (s)'),
                    ('e2e_latency.seconds', 'End-to-end latency (s)'),
                    ('queue_latency.seconds', 'Queue latency (s)'),
                    ('request.input_tokens', 'Input tokens per request'),
                    ('request.output_tokens', 'Output tokens per request'),
                )
            ],
        ),
    ],
)

