# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The Baseten dashboard, after the Health group the builder puts first (see build.py), and its monitor: replicas
stuck starting."""

from ..recommended_monitors import Monitor
from ..widgets import Dashboard, Group, Timeseries, q, quantile_lines

_ONLY = 'provider:baseten,$model,$deployment'
_BY = 'model,deployment'
DASHBOARD = Dashboard(
    'Baseten deployments: rates and latency quantiles over each collection interval (made of two scrapes of '
    'cumulative counters and histograms), replicas and GPUs.',
    ['model', 'deployment'],
    [
        Group(
            'Traffic and latency',
            'vivid_orange',
            'Requests, errors and tokens per second, and end-to-end latency and time to first byte quantiles, over '
            'the interval between two runs. The first run after a restart has none.',
            [
                Timeseries('Requests / s', q('requests.rate', _ONLY, _BY, 'sum')),
                Timeseries('Errors / s by status code', q('errors.rate', _ONLY, _BY + ',status_code', 'sum')),
                Timeseries(
                    'Tokens / s',
                    q('tokens.input.rate', _ONLY, _BY, 'sum'),
                    q('tokens.output.rate', _ONLY, _BY, 'sum'),
                ),
                quantile_lines('End-to-end latency p99 / p50', 'e2e_latency.seconds', _ONLY, _BY, per='deployment'),
                quantile_lines(
                    'Time to first byte p99 / p50', 'baseten.time_to_first_byte.seconds', _ONLY, _BY, per='deployment'
                ),
            ],
        ),
        Group(
            'Replicas and GPUs',
            'vivid_blue',
            'Replicas active and starting (starting for long: capacity or image problems); concurrent requests, in '
            'flight plus queued, the autoscaling signal; GPU utilization.',
            [
                Timeseries(
                    'Replicas',
                    q('baseten.replicas.active', _ONLY, _BY, 'sum'),
                    q('baseten.replicas.starting', _ONLY, _BY, 'sum'),
                ),
                Timeseries('Concurrent requests', q('baseten.concurrent_requests', _ONLY, _BY, 'sum')),
                Timeseries('Async queue', q('baseten.async_queue.size', _ONLY, _BY, 'sum')),
                Timeseries('GPU utilization (%)', q('baseten.gpu.utilization', _ONLY, _BY, 'avg')),
            ],
        ),
    ],
)

# Beside the shared recommended monitors (build.py reads this module's MONITORS).
MONITORS = (
    Monitor(
        id='baseten_replicas_stuck_starting',
        listed_as='Baseten replicas stuck starting',
        title='Baseten replicas stuck starting',
        description='A Baseten deployment has had replicas starting (not yet ready to serve) for 15 minutes without '
        'a break: a replica that cannot come up (its image, its weights, its health check, or no GPU capacity). A '
        'scale-up whose replicas come up within minutes does not trigger it.',
        query='min(last_15m):max:llm_inference.baseten.replicas.starting{provider:baseten} by {deployment} > 0',
        message='{{#is_alert}}Baseten deployment {{deployment.name}} has had replicas starting for 15 minutes that do '
        'not become ready. Check the deployment\'s logs and events in the Baseten console: an image that fails to '
        'pull or build, model weights that fail to download, a crash or out-of-memory at load, a failing health '
        'check, or no GPU capacity of its instance type. Meanwhile it serves on its active replicas only '
        '(`llm_inference.baseten.replicas.active`).{{/is_alert}}',
        thresholds={'critical': 0},
        options={'notify_no_data': False},
    ),
)
