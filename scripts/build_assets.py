"""Writes assets/dashboards/*.json and assets/monitors/*.json from the declarations below.

The dashboards and monitors are data, but declaring them here keeps ids, layouts, template variables and the
metric/tag names consistent; tests/test_assets.py checks the committed files equal this script's output.
Run: .venv/bin/python scripts/build_assets.py
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS = 'llm_inference.'
ALL = '$provider,$model,$deployment'


class Layout:
    """Ids and grid positions for an ordered dashboard (12 columns)."""

    def __init__(self):
        self.next_id = 1000

    def id(self):
        self.next_id += 1
        return self.next_id


def note(content, color='white', height=1):
    return {
        'type': 'note',
        'content': content,
        'background_color': color,
        'font_size': '14',
        'text_align': 'left',
        'vertical_align': 'top',
        'show_tick': False,
        'tick_pos': '50%',
        'tick_edge': 'left',
        'has_padding': True,
        '_height': height,
        '_width': 12,
    }


def timeseries(title, *queries, formula=None, display='line', width=6):
    """queries: (metric query) strings; a formula over query1..n, or one line per query."""
    qs = [{'data_source': 'metrics', 'name': 'query{}'.format(i + 1), 'query': q} for i, q in enumerate(queries)]
    formulas = [{'formula': formula}] if formula else [{'formula': q['name']} for q in qs]
    return {
        'type': 'timeseries',
        'title': title,
        'title_size': '16',
        'title_align': 'left',
        'show_legend': True,
        'legend_layout': 'auto',
        'legend_columns': ['avg', 'min', 'max', 'value'],
        'requests': [
            {
                'queries': qs,
                'formulas': formulas,
                'response_format': 'timeseries',
                'display_type': display,
                'style': {'palette': 'dog_classic', 'line_type': 'solid', 'line_width': 'normal'},
            }
        ],
        '_width': width,
        '_height': 3,
    }


def value(title, query, aggregator='last', width=3, precision=2, formula=None, extra=()):
    qs = [{'data_source': 'metrics', 'name': 'query1', 'query': query, 'aggregator': aggregator}]
    qs += [
        {'data_source': 'metrics', 'name': 'query{}'.format(i + 2), 'query': q, 'aggregator': aggregator}
        for i, q in enumerate(extra)
    ]
    return {
        'type': 'query_value',
        'title': title,
        'title_size': '16',
        'title_align': 'left',
        'autoscale': True,
        'precision': precision,
        'requests': [{'queries': qs, 'formulas': [{'formula': formula or 'query1'}], 'response_format': 'scalar'}],
        '_width': width,
        '_height': 2,
    }


def toplist(title, query, width=6):
    return {
        'type': 'toplist',
        'title': title,
        'title_size': '16',
        'title_align': 'left',
        'requests': [
            {
                'queries': [{'data_source': 'metrics', 'name': 'query1', 'query': query, 'aggregator': 'last'}],
                'formulas': [{'formula': 'query1', 'limit': {'count': 10, 'order': 'desc'}}],
                'response_format': 'scalar',
            }
        ],
        '_width': width,
        '_height': 3,
    }


def check_status(title, group_by, width=3):
    return {
        'type': 'check_status',
        'title': title,
        'title_size': '16',
        'title_align': 'left',
        'check': NS + 'can_connect',
        'grouping': 'cluster',
        'group_by': list(group_by),
        'tags': ['$provider'],
        '_width': width,
        '_height': 2,
    }


def monitor_summary(width=6):
    return {
        'type': 'manage_status',
        'title': 'Recommended monitors',
        'summary_type': 'monitors',
        'query': 'tag:(integration:llm_inference)',
        'display_format': 'countsAndList',
        'color_preference': 'text',
        'hide_zero_counts': True,
        'show_last_triggered': False,
        'sort': 'status,asc',
        'count': 50,
        'start': 0,
        '_width': width,
        '_height': 2,
    }


def group(layout, title, color, text, widgets):
    placed, x, y, row_height = [], 0, 0, 0
    for definition in [note(text, color='white')] + widgets:
        width, height = definition.pop('_width'), definition.pop('_height')
        if x + width > 12:
            x, y, row_height = 0, y + row_height, 0
        placed.append(
            {'id': layout.id(), 'definition': definition, 'layout': {'x': x, 'y': y, 'width': width, 'height': height}}
        )
        x, row_height = x + width, max(row_height, height)
    return {
        'id': layout.id(),
        'definition': {
            'type': 'group',
            'title': title,
            'background_color': color,
            'show_title': True,
            'layout_type': 'ordered',
            'widgets': placed,
        },
    }


def dashboard(title, description, template_variables, groups):
    return {
        'title': title,
        'description': description,
        'author_name': 'llm_inference',
        'layout_type': 'ordered',
        'reflow_type': 'auto',
        'notify_list': [],
        'template_variables': [
            {'name': v, 'prefix': v, 'default': '*', 'available_values': []} for v in template_variables
        ],
        'widgets': groups,
    }


def q(metric, filters=ALL, by=None, agg='avg'):
    text = '{}:{}{}{{{}}}'.format(agg, NS, metric, filters)
    return text + (' by {{{}}}'.format(by) if by else '')


def overview():
    layout = Layout()
    return dashboard(
        'LLM Inference - Overview',
        'Every hosted LLM inference provider you pay for on one screen: compare time to first token, errors, '
        'throughput '
        'and cache pressure across providers and models. Metrics come from the llm_inference integration; see its '
        'metadata.csv for the catalog.',
        ['provider', 'model', 'deployment'],
        [
            group(
                layout,
                'Health',
                'vivid_green',
                'Is every provider answering? `can_connect` is CRITICAL when a key, account, endpoint or project is '
                'wrong or the provider fails, WARNING while a run waits for its request budget or a 429 cooldown.',
                [
                    check_status('Can connect, by provider', ['provider']),
                    value('Requests / s', q('requests.rate', by=None, agg='sum'), aggregator='avg'),
                    value(
                        'Error share',
                        q('errors.rate', agg='sum'),
                        aggregator='avg',
                        formula='query1 / query2 * 100',
                        extra=[q('requests.rate', agg='sum')],
                    ),
                    monitor_summary(width=3),
                ],
            ),
            group(
                layout,
                'Latency',
                'vivid_blue',
                'Quantiles as each provider computes them (the `window` tag says over what: Fireworks 1 m, Groq and '
                'Crusoe 5 m, Wafer 24 h). Compare p99 across providers for the same model before moving traffic.',
                [
                    timeseries(
                        'Time to first token p99 (s)',
                        q('time_to_first_token.seconds', ALL + ',quantile:0.99', 'provider,model'),
                    ),
                    timeseries(
                        'Time to first token p50 (s)',
                        q('time_to_first_token.seconds', ALL + ',quantile:0.5', 'provider,model'),
                    ),
                    timeseries(
                        'End-to-end latency p99 (s)', q('e2e_latency.seconds', ALL + ',quantile:0.99', 'provider,model')
                    ),
                    timeseries(
                        'Queue latency p99 (s)', q('queue_latency.seconds', ALL + ',quantile:0.99', 'provider,model')
                    ),
                ],
            ),
            group(
                layout,
                'Traffic and errors',
                'vivid_orange',
                'Request and error rates per provider and model. A rising error share on one provider while the others '
                'stay flat points at that provider; look at `status_code` for 429s (your own rate limits) vs 5xx.',
                [
                    timeseries('Requests / s', q('requests.rate', by='provider,model', agg='sum'), display='bars'),
                    timeseries(
                        'Errors / s by status code',
                        q('errors.rate', by='provider,model,status_code', agg='sum'),
                        display='bars',
                    ),
                    timeseries(
                        'Error share (%)',
                        q('errors.rate', by='provider,model', agg='sum'),
                        q('requests.rate', by='provider,model', agg='sum'),
                        formula='query1 / query2 * 100',
                        width=12,
                    ),
                ],
            ),
            group(
                layout,
                'Tokens',
                'vivid_purple',
                'Token throughput: what you are billed for. A falling cached share raises cost and time to '
                'first token.',
                [
                    timeseries('Input tokens / s', q('tokens.input.rate', by='provider,model', agg='sum')),
                    timeseries(
                        'Output tokens / s', q('tokens.output.rate', '$provider,$model', by='provider,model', agg='sum')
                    ),
                    timeseries(
                        'Cached input tokens / s', q('tokens.cached_input.rate', by='provider,model', agg='sum')
                    ),
                    timeseries(
                        'Prompt cache hit ratio (24 h)',
                        q('prompt_cache.hit_ratio', '$provider,$deployment', 'provider,deployment'),
                    ),
                ],
            ),
            group(
                layout,
                'Capacity and cache pressure',
                'vivid_pink',
                'KV-cache usage near 1 and a growing queue mean a deployment is at capacity: requests wait, time to '
                'first token rises. Add replicas before users notice.',
                [
                    timeseries('KV-cache usage', q('kv_cache.usage', by='provider,deployment', agg='max')),
                    timeseries(
                        'Requests queued',
                        q('requests.queued', '$provider,$deployment', 'provider,deployment', agg='sum'),
                        display='bars',
                    ),
                    timeseries('Requests running', q('requests.running', by='provider,deployment', agg='sum')),
                    toplist(
                        'Busiest deployments (KV-cache usage)', q('kv_cache.usage', by='provider,deployment', agg='max')
                    ),
                ],
            ),
            group(
                layout,
                'The integration itself',
                'gray',
                'What the check spends of each provider\'s request budget (Fireworks and Wafer: 6 a minute). Runs '
                'skipped or 429s mean too many instances share a key or account, or another client uses it. '
                'Provider drift: series whose names the check does not map (a renamed or new metric), labels it '
                'keeps beyond the catalog, and series it read but did not submit (NaN, a sum missing a member, a '
                'label over `max_label_values`); see the README, "How the check reads what providers send".',
                [
                    timeseries(
                        'Requests to providers by outcome',
                        q('integration.requests', '$provider', 'provider,outcome', 'sum') + '.as_count()',
                        display='bars',
                    ),
                    timeseries(
                        '429s received',
                        q('integration.rate_limited', '$provider', 'provider', 'sum') + '.as_count()',
                        display='bars',
                    ),
                    timeseries(
                        'Runs skipped (budget or cooldown)',
                        q('integration.runs_skipped', '$provider', 'provider', 'sum') + '.as_count()',
                        display='bars',
                    ),
                    timeseries('Series submitted per run', q('integration.series', '$provider', 'provider', 'sum')),
                    timeseries(
                        'Drift: series not mapped, by name',
                        q('integration.unmapped_series', '$provider', 'provider,raw_name', 'sum'),
                        display='bars',
                    ),
                    timeseries(
                        'Drift: series read but not submitted, by reason',
                        q('integration.series_dropped', '$provider', 'provider,reason', 'sum'),
                        display='bars',
                    ),
                    timeseries(
                        'Drift: series with labels beyond the catalog, by label',
                        q('integration.unmapped_labels', '$provider', 'provider,label', 'sum'),
                    ),
                    timeseries(
                        'Labels over `max_label_values` (values seen)',
                        q('integration.labels_over_limit', '$provider', 'provider,label', 'max'),
                    ),
                ],
            ),
        ],
    )


def provider_dashboard(provider, title, about, groups, variables):
    layout = Layout()
    built = [group(layout, name, color, text, widgets) for name, color, text, widgets in groups]
    return dashboard(
        title,
        about,
        variables,
        [
            group(
                layout,
                'Health',
                'vivid_green',
                'Service check and the integration\'s own requests for this provider.',
                [
                    check_status(
                        'Can connect',
                        ['provider']
                        + {'fireworks': ['account'], 'wafer': ['deployment'], 'crusoe': ['project_id'], 'groq': []}[
                            provider
                        ],
                    ),
                    timeseries(
                        'Requests to the provider by outcome',
                        'sum:{}integration.requests{{provider:{}}} by {{outcome}}.as_count()'.format(NS, provider),
                        display='bars',
                        width=9,
                    ),
                ],
            )
        ]
        + built,
    )


def fireworks():
    f = 'provider:fireworks,$model,$deployment'
    by = 'model,deployment'
    lat = [
        ('time_to_first_token.seconds', 'Time to first token'),
        ('e2e_latency.seconds', 'End-to-end latency'),
        ('queue_latency.seconds', 'Generation queue latency'),
        ('time_per_output_token.seconds', 'Time per output token'),
        ('prefill_latency.seconds', 'Prefill latency'),
        ('prefill_queue_latency.seconds', 'Prefill queue latency'),
    ]
    return provider_dashboard(
        'fireworks',
        'LLM Inference - Fireworks AI',
        'Fireworks AI dedicated deployments: rates over 1-minute windows, latency quantiles '
        'computed by the integration from the per-deployment bucket rates.',
        [
            (
                'Traffic',
                'vivid_orange',
                'Requests, errors by HTTP code and tokens per deployment (1-minute windows).',
                [
                    timeseries('Requests / s', q('requests.rate', f, by, 'sum'), display='bars'),
                    timeseries(
                        'Errors / s by HTTP code', q('errors.rate', f, by + ',status_code', 'sum'), display='bars'
                    ),
                    timeseries('Prompt tokens / s', q('tokens.input.rate', f, by, 'sum')),
                    timeseries('Cached prompt tokens / s', q('tokens.cached_input.rate', f, by, 'sum')),
                ],
            ),
            (
                'Latency quantiles',
                'vivid_blue',
                'p50 and p99 per deployment. Queue latencies rising first mean capacity, '
                'prefill latencies rising mean longer prompts.',
                [
                    timeseries(
                        title + ' p99 / p50 (s)',
                        q(metric, f + ',quantile:0.99', by),
                        q(metric, f + ',quantile:0.5', by),
                    )
                    for metric, title in lat
                ],
            ),
            (
                'Requests shape',
                'vivid_purple',
                'Prompt and generated tokens per request (p50, p99).',
                [
                    timeseries(
                        'Prompt tokens per request',
                        q('request.input_tokens', f + ',quantile:0.99', by),
                        q('request.input_tokens', f + ',quantile:0.5', by),
                    ),
                    timeseries(
                        'Generated tokens per request',
                        q('request.output_tokens', f + ',quantile:0.99', by),
                        q('request.output_tokens', f + ',quantile:0.5', by),
                    ),
                ],
            ),
            (
                'Capacity',
                'vivid_pink',
                'KV blocks and slots in use, concurrency, forward pass time and replicas (0: scaled to zero). Two '
                'series Fireworks does not document are shown as reported.',
                [
                    timeseries('KV-cache blocks in use', q('kv_cache.usage', f, by, 'max')),
                    timeseries('KV-cache slots in use', q('fireworks.kv_slots.usage', f, by, 'max')),
                    timeseries('Concurrent requests', q('requests.running', f, by, 'sum')),
                    timeseries('Model forward time', q('fireworks.model_forward_time', f, by)),
                    timeseries('Prompt cache TTL', q('fireworks.prompt_cache.ttl', f, by)),
                    timeseries(
                        'Active generators fraction (undocumented series)',
                        q('fireworks.generator.active_fraction', f, by, 'max'),
                    ),
                    timeseries(
                        'Generated tokens gauge (undocumented series)',
                        q('fireworks.tokens.generated_gauge', f, by, 'sum'),
                    ),
                    timeseries(
                        'Replicas',
                        q('fireworks.replicas', 'provider:fireworks,$deployment', 'deployment', 'sum'),
                        display='bars',
                    ),
                ],
            ),
        ],
        ['model', 'deployment'],
    )


def wafer():
    f = 'provider:wafer,$deployment'
    return provider_dashboard(
        'wafer',
        'LLM Inference - Wafer',
        'Wafer dedicated endpoints: live engine state (about '
        'the last minute) and 24-hour rolling counts and percentiles.',
        [
            (
                'Live engine state',
                'vivid_pink',
                'In-flight and queued requests, KV-cache usage and hit rate, from the last minute of the worker fleet.',
                [
                    timeseries('Running requests', q('requests.running', f, 'deployment', 'sum')),
                    timeseries('Queued requests', q('requests.queued', f, 'deployment', 'sum'), display='bars'),
                    timeseries('KV-cache usage', q('kv_cache.usage', f, 'deployment', 'max')),
                    timeseries('KV-cache hit ratio', q('kv_cache.hit_ratio', f, 'deployment')),
                    timeseries('Concurrent requests (2 min)', q('wafer.concurrent_requests', f, 'deployment', 'sum')),
                ],
            ),
            (
                'Last 24 hours',
                'vivid_orange',
                'Rolling 24-hour gauges, not counters: alert on their level against your '
                'baseline. The request rate is the 24-hour count / 86400.',
                [
                    timeseries(
                        'Requests (24 h) by status class',
                        q('wafer.requests.last_24h', f, 'deployment,status_class', 'sum'),
                        display='bars',
                    ),
                    timeseries('Average requests / s (24 h)', q('requests.rate', f, 'deployment', 'sum')),
                    timeseries(
                        'Tokens (24 h)',
                        q('wafer.tokens.input.last_24h', f, 'deployment', 'sum'),
                        q('wafer.tokens.output.last_24h', f, 'deployment', 'sum'),
                        q('wafer.tokens.cache_read.last_24h', f, 'deployment', 'sum'),
                    ),
                    timeseries('Prompt cache hit ratio (24 h)', q('prompt_cache.hit_ratio', f, 'deployment')),
                    timeseries(
                        'Time to first token p99 / p50 (24 h)',
                        q('time_to_first_token.seconds', f + ',quantile:0.99', 'deployment'),
                        q('time_to_first_token.seconds', f + ',quantile:0.5', 'deployment'),
                    ),
                    timeseries(
                        'Request duration p99 / p50 (24 h)',
                        q('e2e_latency.seconds', f + ',quantile:0.99', 'deployment'),
                        q('e2e_latency.seconds', f + ',quantile:0.5', 'deployment'),
                    ),
                    timeseries(
                        'Output tokens / s per request p50 / p10',
                        q('request.output_tokens_per_second', f + ',quantile:0.5', 'deployment'),
                        q('request.output_tokens_per_second', f + ',quantile:0.1', 'deployment'),
                    ),
                    value('Aggregation window (s)', q('wafer.metrics_window.seconds', f, None, 'max'), precision=0),
                ],
            ),
        ],
        ['deployment'],
    )


def groq():
    f = 'provider:groq,$model'
    fams = [
        ('time_to_first_token.seconds', 'Time to first token (s)'),
        ('e2e_latency.seconds', 'End-to-end latency (s)'),
        ('queue_latency.seconds', 'Queue latency (s)'),
        ('request.input_tokens', 'Input tokens per request'),
        ('request.output_tokens', 'Output tokens per request'),
    ]
    return provider_dashboard(
        'groq',
        'LLM Inference - Groq',
        'Groq (Enterprise) usage by model, from Groq\'s '
        'VictoriaMetrics recording rules: 1-minute request rates, 5-minute percentiles.',
        [
            (
                'Requests',
                'vivid_orange',
                'Requests and non-2xx responses per model; 429s are your organization\'s limits.',
                [
                    timeseries('Requests / s', q('requests.rate', f, 'model', 'sum'), display='bars'),
                    timeseries(
                        'Errors / s by status code', q('errors.rate', f, 'model,status_code', 'sum'), display='bars'
                    ),
                ],
            ),
            (
                'Percentiles (5 min)',
                'vivid_blue',
                'p99, p95 and p50 as Groq computes them; a p99 that moves while p50 '
                'stays flat points at queueing, not at the model.',
                [
                    timeseries(
                        title + ' p99 / p95 / p50',
                        *[q(metric, f + ',quantile:' + p, 'model') for p in ('0.99', '0.95', '0.5')],
                    )
                    for metric, title in fams
                ],
            ),
        ],
        ['model'],
    )


def crusoe():
    f = 'provider:crusoe,$model,$service_tier'
    by = 'model,service_tier'
    return provider_dashboard(
        'crusoe',
        'LLM Inference - Crusoe',
        'Crusoe Managed Inference by model and service tier '
        '(`pt` is provisioned throughput), 5-minute windows as in Crusoe\'s own queries.',
        [
            (
                'Throughput',
                'vivid_orange',
                'Requests and tokens per second per model and service tier; a drop on `pt` with '
                'steady demand means your provisioned throughput is saturated.',
                [
                    timeseries('Requests / s', q('requests.rate', f, by, 'sum'), display='bars'),
                    timeseries('Input tokens / s', q('tokens.input.rate', f, by, 'sum')),
                    timeseries('Output tokens / s', q('tokens.output.rate', f, by, 'sum')),
                ],
            ),
            (
                'Latency',
                'vivid_blue',
                'Time to first token and time per output token from Crusoe\'s histograms.',
                [
                    timeseries(
                        'Time to first token p99 / p50 (s)',
                        q('time_to_first_token.seconds', f + ',quantile:0.99', by),
                        q('time_to_first_token.seconds', f + ',quantile:0.5', by),
                    ),
                    timeseries(
                        'Time per output token p99 / p50 (s)',
                        q('time_per_output_token.seconds', f + ',quantile:0.99', by),
                        q('time_per_output_token.seconds', f + ',quantile:0.5', by),
                    ),
                ],
            ),
        ],
        ['model', 'service_tier'],
    )


def monitor(title, description, query, message, thresholds, kind='query alert', **options):
    definition = {
        'name': title,
        'type': kind,
        'query': query,
        'message': message,
        'tags': ['integration:llm_inference'],
        'options': dict(
            {
                'thresholds': thresholds,
                'notify_audit': False,
                'include_tags': True,
                'new_group_delay': 300,
                'silenced': {},
            },
            **options,
        ),
        'priority': None,
        'restriction_policy': {'bindings': []},
    }
    return {
        'version': 2,
        'created_at': '2026-11-22',
        'last_updated_at': '2026-11-22',
        'title': title,
        'description': description,
        'tags': ['integration:llm_inference'],
        'definition': definition,
    }


MONITORS = {
    'can_connect': lambda: monitor(
        'LLM inference provider unreachable or refusing the key',
        'Three consecutive CRITICAL runs (three minutes at the default interval): one failed run is often a provider '
        'blip, three are a wrong key, account, endpoint or project, or an outage.',
        '"llm_inference.can_connect".over("*").by("provider","account","deployment","project_id").last(4)'
        '.count_by_status()',
        '{{#is_alert}}The llm_inference check cannot collect from {{provider.name}} '
        '({{account.name}}{{deployment.name}}{{project_id.name}}): {{check_message}}\n\nCheck the message above: 401 '
        '= the key is wrong or revoked; 403 = a Wafer serverless key or a non-Enterprise Groq key; 404 = the account, '
        'endpoint or project id; 5xx or timeouts = the provider\'s status page.{{/is_alert}}',
        {'critical': 3, 'warning': 1, 'ok': 1},
        kind='service check',
        notify_no_data=False,
        renotify_interval=0,
    ),
    'rate_limited': lambda: monitor(
        'LLM inference metrics rate-limited for several minutes',
        'Five skipped runs in 10 minutes: the Fireworks and Wafer budgets (6 requests a minute) are shared, so '
        'a single '
        '429 is normal after a restart, but half the runs skipped means instances or other clients compete for it.',
        'sum(last_10m):sum:llm_inference.integration.runs_skipped{*} by {provider,account,deployment}.as_count() >= 5',
        'The llm_inference check skipped {{value}} runs in 10 minutes for {{provider.name}} {{account.name}}'
        '{{deployment.name}}: its request budget or a 429 cooldown. Look for other instances (or Agents, or Grafana) '
        'using the same key or account; run the instances as cluster checks; keep `min_collection_interval` at 60.',
        {'critical': 5, 'warning': 3},
        notify_no_data=False,
    ),
    'error_share': lambda: monitor(
        'LLM inference error share high for a model',
        'More than 5% of requests failing for 15 minutes (warning at 2%): above the background of client errors that '
        'every API sees, low enough to page before users open tickets.',
        'avg(last_15m):sum:llm_inference.errors.rate{*} by {provider,model} / '
        'sum:llm_inference.requests.rate{*} by {provider,model} > 0.05',
        '{{provider.name}} is failing {{value}} of requests to {{model.name}}. Check `status_code` on the overview: '
        '429 = your own rate limits at the provider; 5xx = the provider (check its status page, shift traffic to '
        'another provider); 400 = a client change.',
        {'critical': 0.05, 'warning': 0.02},
        notify_no_data=False,
    ),
    'ttft_p99': lambda: monitor(
        'LLM inference time to first token p99 high',
        'p99 time to first token above 5 s for 15 minutes (warning at 2 s): interactive users notice beyond a couple '
        'of seconds. Tune per model with the `model` tag if some of yours are batch workloads.',
        'avg(last_15m):avg:llm_inference.time_to_first_token.seconds{quantile:0.99} by {provider,model} > 5',
        'p99 time to first token is {{value}} s on {{provider.name}} for {{model.name}}. Check queue latency and '
        'KV-cache usage on the overview (capacity), the prompt cache hit ratio (longer prefills), and the same '
        'model on '
        'other providers.',
        {'critical': 5, 'warning': 2},
        notify_no_data=False,
    ),
    'kv_cache': lambda: monitor(
        'LLM inference KV cache nearly full',
        'KV-cache usage above 0.95 for 10 minutes: past this point the engine evicts or queues requests and time to '
        'first token climbs; 0.9 warns while there is still time to scale.',
        'avg(last_10m):max:llm_inference.kv_cache.usage{*} by {provider,deployment} > 0.95',
        'KV-cache usage is {{value}} on {{provider.name}} {{deployment.name}}. Add replicas or shift traffic; check '
        'whether prompt lengths grew (request.input_tokens).',
        {'critical': 0.95, 'warning': 0.9},
        notify_no_data=False,
    ),
    'queue_growing': lambda: monitor(
        'LLM inference queue growing',
        'The queued requests of a deployment grew by more than 20 in 10 minutes (warning 10): a queue that keeps '
        'growing means arrivals exceed capacity, whatever its absolute level.',
        'change(avg(last_10m),last_10m):sum:llm_inference.requests.queued{*} by {provider,deployment} > 20',
        'The queue of {{provider.name}} {{deployment.name}} grew by {{value}} requests in 10 minutes. Check KV-cache '
        'usage and running requests; add capacity or shed load.',
        {'critical': 20, 'warning': 10},
        notify_no_data=False,
    ),
    'stopped_reporting': lambda: monitor(
        'LLM inference deployment stopped reporting',
        'No request rate from a deployment for 20 minutes while it used to report: the deployment was deleted or '
        'scaled to zero, or its metrics stopped (Wafer drops a worker silent for 10 minutes).',
        'avg(last_10m):sum:llm_inference.requests.rate{*} by {provider,deployment} < 0',
        '{{provider.name}} deployment {{deployment.name}} stopped reporting metrics. If it was not removed on purpose, '
        'check the provider console and the `can_connect` service check of its instance.',
        {'critical': 0},
        notify_no_data=True,
        no_data_timeframe=20,
    ),
}

DASHBOARDS = {'overview': overview, 'fireworks': fireworks, 'wafer': wafer, 'groq': groq, 'crusoe': crusoe}


def render(obj):
    return json.dumps(obj, indent=2, sort_keys=True) + '\n'


def build():
    files = {}
    for name, make in DASHBOARDS.items():
        files[os.path.join('assets', 'dashboards', 'llm_inference_{}.json'.format(name))] = render(make())
    for name, make in MONITORS.items():
        files[os.path.join('assets', 'monitors', '{}.json'.format(name))] = render(make())
    return files


if __name__ == '__main__':
    for path, text in build().items():
        with open(os.path.join(ROOT, path), 'w') as f:
            f.write(text)
        print('wrote', path)
    sys.exit(0)
