# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The Cerebras dashboard, after the Health group the builder puts first (see build.py), and its monitor: an
endpoint Cerebras reports down."""

from ..recommended_monitors import Monitor
from ..widgets import Dashboard, Group, Timeseries, q, quantile_lines

_ONLY = 'provider:cerebras,$organization_id,$deployment'
_BY = 'organization_id,deployment'
_STATUS = 'max:llm_inference.cerebras.endpoint.status{provider:cerebras} by {organization_id,deployment}'
DASHBOARD = Dashboard(
    'Cerebras dedicated endpoints: every value describes the last complete minute (rates are its counts / 60, '
    'latencies its percentiles and mean).',
    ['organization_id', 'deployment'],
    [
        Group(
            'Endpoints',
            'vivid_green',
            'Endpoint status as Cerebras reports it: 1 up, 0 down, -1 Cerebras could not compute the status.',
            [
                Timeseries(
                    'Endpoint status (1 up, 0 down, -1 unknown)', q('cerebras.endpoint.status', _ONLY, _BY, 'min')
                )
            ],
        ),
        Group(
            'Traffic',
            'vivid_orange',
            'Requests, successes, failures by HTTP code and tokens of successful requests, per second over the last '
            'complete minute.',
            [
                Timeseries('Requests / s', q('requests.rate', _ONLY, _BY, 'sum'), display='bars'),
                Timeseries(
                    'Successful (HTTP 200) requests / s', q('cerebras.requests.success.rate', _ONLY, _BY, 'sum')
                ),
                Timeseries(
                    'Failed requests / s by HTTP code',
                    q('errors.rate', _ONLY, _BY + ',status_code', 'sum'),
                    display='bars',
                ),
                Timeseries(
                    'Error share (%)',
                    q('errors.rate', _ONLY, _BY, 'sum'),
                    q('requests.rate', _ONLY, _BY, 'sum'),
                    formula='query1 / query2 * 100',
                ),
                Timeseries('Input tokens / s', q('tokens.input.rate', _ONLY, _BY, 'sum')),
                Timeseries('Output tokens / s', q('tokens.output.rate', _ONLY, _BY, 'sum')),
            ],
        ),
        Group(
            'Latency',
            'vivid_blue',
            'Percentiles Cerebras computes per endpoint over the last complete minute, and the mean (a mean is no '
            'percentile: it has its own metric). Queue time rising first means capacity.',
            [
                quantile_lines('Time to first token p99 / p50 (s)', 'time_to_first_token.seconds', _ONLY, _BY),
                quantile_lines('End-to-end latency p99 / p50 (s)', 'e2e_latency.seconds', _ONLY, _BY),
                quantile_lines('Queue time p99 / p50 (s)', 'queue_latency.seconds', _ONLY, _BY),
                Timeseries(
                    'Mean latencies (s)',
                    q('cerebras.time_to_first_token.avg.seconds', _ONLY, _BY),
                    q('cerebras.e2e_latency.avg.seconds', _ONLY, _BY),
                    q('cerebras.queue_latency.avg.seconds', _ONLY, _BY),
                ),
            ],
        ),
    ],
)

# Beside the shared recommended monitors (build.py reads this module's MONITORS).
MONITORS = (
    Monitor(
        id='cerebras_endpoint_down',
        listed_as='Cerebras endpoint down',
        title='Cerebras endpoint down',
        description='A Cerebras dedicated endpoint reported down (status 0) for 5 minutes. The status squared is '
        '0 only when the endpoint is down: -1 (Cerebras could not compute the status) does not page as "down".',
        query='max(last_5m):{0} * {0} < 0.5'.format(_STATUS),
        message='{{#is_alert}}Cerebras reports endpoint {{deployment.name}} of organization {{organization_id.name}} '
        'down for 5 minutes. Check the endpoint in the Cerebras cloud console and Cerebras\' status page, and '
        'shift traffic to another endpoint or provider.{{/is_alert}}',
        thresholds={'critical': 0.5},
        options={'notify_no_data': False},
    ),
)
