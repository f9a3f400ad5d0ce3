# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The Crusoe dashboard, after the Health group the builder puts first (see build.py)."""

from ..widgets import Dashboard, Group, Timeseries, q, quantile_lines

_ONLY = 'provider:crusoe,$model,$service_tier'
_BY = 'model,service_tier'
_PER = 'model and tier'
DASHBOARD = Dashboard(
    'Crusoe Managed Inference by model and service tier (`pt` is provisioned throughput), 5-minute windows as in '
    'Crusoe\'s own queries.',
    ['model', 'service_tier'],
    [
        Group(
            'Throughput',
            'vivid_orange',
            'Requests and tokens per second per model and service tier; a drop on `pt` with steady demand means your '
            'provisioned throughput is saturated.',
            [
                Timeseries('Requests / s', q('requests.rate', _ONLY, _BY, 'sum'), display='bars'),
                Timeseries('Input tokens / s', q('tokens.input.rate', _ONLY, _BY, 'sum')),
                Timeseries('Output tokens / s', q('tokens.output.rate', _ONLY, _BY, 'sum')),
            ],
        ),
        Group(
            'Latency',
            'vivid_blue',
            'Time to first token and time per output token from Crusoe\'s histograms, per model and tier (where a '
            'label Crusoe adds splits them, the worst series).',
            [
                quantile_lines(
                    'Time to first token p99 / p50 (s)', 'time_to_first_token.seconds', _ONLY, _BY, per=_PER
                ),
                quantile_lines(
                    'Time per output token p99 / p50 (s)', 'time_per_output_token.seconds', _ONLY, _BY, per=_PER
                ),
            ],
        ),
    ],
)

