# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The overview dashboard: every provider and model side by side. Shared by all providers, so it names none: what it
says per provider (identity tags, windows, budgets) comes from their declarations, through `facts` (build.py)."""

from .widgets import (
    ALL,
    CheckStatus,
    Dashboard,
    Group,
    MonitorSummary,
    QueryValue,
    Table,
    Timeseries,
    Toplist,
    q,
    scoped,
)

TITLE = 'LLM Inference - Overview'
ABOUT = (
    'Every hosted LLM inference provider you pay for on one screen: compare time to first token, errors, throughput, '
    'cache pressure and spend across providers and models, and the same model on every provider (pick a '
    '`canonical_model`). Metrics come from the llm_inference integration; see its metadata.csv for the catalog.'
)
BY_MODEL = 'provider,model'
BY_DEPLOYMENT = 'provider,deployment'
SAME_MODEL = '$provider,$canonical_model'
# Costs are split by how they were priced: `price_source` user (`pricing`) or list (`list_prices`).
SPEND_BY = 'provider,model,basis,price_source'


def _integration(metric, by, agg='sum', count=True):
    return q('integration.' + metric, '$provider', by, agg) + ('.as_count()' if count else '')


def _error_share(facts, title, filters, by=None, **options):
    """Errors over requests, both of the providers that report errors only: the requests of a provider without
    error data would read as requests without errors."""
    scope = scoped(filters, facts.error_scope)
    return Timeseries(
        '{} ({} only: the providers that report errors)'.format(title, facts.error_titles),
        q('errors.rate', scope, by, 'sum'),
        q('requests.rate', scope, by, 'sum'),
        formula='query1 / query2 * 100',
        **options,
    )


def _worst(metric, filters, quantile, by):
    """A percentile cannot be averaged across series: the worst series of each group (titled so by the caller)."""
    return q(metric, '{},quantile:{}'.format(filters, quantile), by, 'max')


def overview(facts):
    return Dashboard(
        ABOUT,
        ['provider', 'model', 'deployment', 'canonical_model'],
        [
            Group(
                'Health',
                'vivid_green',
                'Is every provider answering? `can_connect` is CRITICAL when the key or {} is wrong or the provider '
                'fails, WARNING while a run waits for its request budget or a 429 cooldown.'.format(
                    facts.identity_options
                ),
                [
                    CheckStatus(
                        'Can connect, by provider and instance', ('provider',) + facts.identity_tags, ['$provider']
                    ),
                    QueryValue('Requests / s', q('requests.rate', agg='sum'), aggregator='avg'),
                    QueryValue(
                        'Error share (%), {} only'.format(facts.error_titles),
                        q('errors.rate', scoped(ALL, facts.error_scope), agg='sum'),
                        q('requests.rate', scoped(ALL, facts.error_scope), agg='sum'),
                        aggregator='avg',
                        formula='query1 / query2 * 100',
                    ),
                    MonitorSummary(width=3),
                ],
            ),
            Group(
                'Same model, every provider',
                'vivid_yellow',
                'Pick a `canonical_model` (the same open model under every provider\'s name; fine-tunes through '
                '`model_aliases`) and compare it side by side: where it answers fastest, fails least and costs least '
                'per million tokens. Each provider computes its quantiles over its own `window`. The latency lines '
                'are model-level (`llm_inference.model.*`): the percentile of all the model\'s deployments, endpoints '
                'and tiers in an instance merged; where several instances of one provider serve it, the worst of them.',
                [
                    Timeseries(
                        'Time to first token p{} (s) by provider, model-level (worst instance)'.format(label),
                        _worst('model.time_to_first_token.seconds', SAME_MODEL, quantile, 'provider,canonical_model'),
                    )
                    for label, quantile in (('99', '0.99'), ('50', '0.5'))
                ]
                + [
                    _error_share(facts, 'Error share (%) by provider', SAME_MODEL, 'provider,canonical_model'),
                    Timeseries(
                        '$ per million tokens by provider',
                        q('cost.per_million_tokens', SAME_MODEL, 'provider,canonical_model,basis,price_source'),
                    ),
                ],
            ),
            Group(
                'Latency',
                'vivid_blue',
                'Quantiles as each provider computes them (the `window` tag says over what: {}), for each model the '
                'worst of its deployments, endpoints and tiers: a percentile cannot be averaged. Compare p99 across '
                'providers for the same model before moving traffic.'.format(facts.windows),
                [
                    Timeseries(title + ', worst deployment or tier', _worst(metric, ALL, quantile, BY_MODEL))
                    for title, metric, quantile in (
                        ('Time to first token p99 (s)', 'time_to_first_token.seconds', '0.99'),
                        ('Time to first token p50 (s)', 'time_to_first_token.seconds', '0.5'),
                        ('End-to-end latency p99 (s)', 'e2e_latency.seconds', '0.99'),
                        ('Queue latency p99 (s)', 'queue_latency.seconds', '0.99'),
                    )
                ],
            ),
            Group(
                'Distributions (opt-in)',
                'vivid_blue',
                'Exact percentiles of any slice, computed by Datadog from the distributions the check submits with '
                '`latency_distributions: true` (empty without it): the percentile of every request of the group, '
                'across deployments, tiers and instances.',
                [
                    Timeseries(title, q('distribution.' + metric, ALL, BY_MODEL, agg))
                    for title, metric, agg in (
                        ('Time to first token p99 (s), all requests', 'time_to_first_token.seconds', 'p99'),
                        ('Time to first token p50 (s), all requests', 'time_to_first_token.seconds', 'p50'),
                        ('End-to-end latency p99 (s), all requests', 'e2e_latency.seconds', 'p99'),
                        ('Time per output token p99 (s), all requests', 'time_per_output_token.seconds', 'p99'),
                    )
                ],
            ),
            Group(
                'Traffic and errors',
                'vivid_orange',
                'Request and error rates per provider and model. A rising error share on one provider while the others '
                'stay flat points at that provider; look at `status_code` for 429s (your own rate limits) vs 5xx.',
                [
                    Timeseries('Requests / s', q('requests.rate', by=BY_MODEL, agg='sum'), display='bars'),
                    Timeseries(
                        'Errors / s by status code',
                        q('errors.rate', by=BY_MODEL + ',status_code', agg='sum'),
                        display='bars',
                    ),
                    _error_share(facts, 'Error share (%)', ALL, BY_MODEL, width=12),
                ],
            ),
            Group(
                'Tokens',
                'vivid_purple',
                'Token throughput: what you are billed for. A falling cached share raises cost and time to first token.',
                [
                    Timeseries('Input tokens / s', q('tokens.input.rate', by=BY_MODEL, agg='sum')),
                    Timeseries('Output tokens / s', q('tokens.output.rate', '$provider,$model', BY_MODEL, 'sum')),
                    Timeseries('Cached input tokens / s', q('tokens.cached_input.rate', by=BY_MODEL, agg='sum')),
                    Timeseries(
                        'Prompt cache hit ratio (24 h)',
                        q('prompt_cache.hit_ratio', '$provider,$deployment', BY_DEPLOYMENT),
                    ),
                ],
            ),
            Group(
                'Spend',
                'vivid_green',
                'What each provider and model costs at the prices in your `pricing` options, or at the dated public '
                'list prices where `list_prices` is on (`price_source` says which: user or list; list prices are '
                'serverless list prices, not your contract): per hour (`basis` says how: tokens, replicas or a flat '
                'rate; one basis per instance) and per million tokens served (`tokens_counted` says which). A model '
                'without a price has no cost. Idle spend: replicas billed by the hour while their deployment serves '
                'almost no requests.',
                [
                    Timeseries(
                        '$ per hour by provider and model',
                        q('cost.hourly', '$provider,$model', SPEND_BY, 'sum'),
                        display='bars',
                    ),
                    Timeseries(
                        '$ per million tokens by provider and model',
                        q('cost.per_million_tokens', '$provider,$model', SPEND_BY),
                    ),
                    Toplist(
                        '$ per hour, highest first',
                        q('cost.hourly', '$provider,$model', BY_MODEL + ',price_source', 'sum'),
                    ),
                    QueryValue('$ per hour, all providers', q('cost.hourly', '$provider,$model', agg='sum'), width=6),
                    Table(
                        'Idle spend: replicas billed while serving almost nothing; red: under 0.01 requests / s',
                        [
                            (
                                '$ per hour (replicas)',
                                q('cost.hourly', '$provider,basis:replicas', BY_DEPLOYMENT, 'sum'),
                            ),
                            ('requests / s', q('requests.rate', '$provider', BY_DEPLOYMENT, 'sum')),
                        ],
                        highlight={1: (0.01, 'white_on_red')},
                    ),
                ],
            ),
            Group(
                'Capacity and cache pressure',
                'vivid_pink',
                'KV-cache usage near 1 and a growing queue mean a deployment is at capacity: requests wait, time to '
                'first token rises. Add replicas before users notice.',
                [
                    Timeseries('KV-cache usage', q('kv_cache.usage', by=BY_DEPLOYMENT, agg='max')),
                    Timeseries(
                        'Requests queued',
                        q('requests.queued', '$provider,$deployment', BY_DEPLOYMENT, 'sum'),
                        display='bars',
                    ),
                    Timeseries('Requests running', q('requests.running', by=BY_DEPLOYMENT, agg='sum')),
                    Toplist('Busiest deployments (KV-cache usage)', q('kv_cache.usage', by=BY_DEPLOYMENT, agg='max')),
                ],
            ),
            Group(
                'The integration itself',
                'gray',
                'What the check spends of each provider\'s request budget ({}). Runs skipped or 429s mean too many '
                'instances share a key or account, or another client uses it. Provider drift: series whose names the '
                'check does not map (a renamed or new metric), labels it keeps beyond the catalog, and series it read '
                'but did not submit (NaN, a sum missing a member, a label over `max_label_values`); see the README, '
                '"How the check reads what providers send".'.format(facts.budgets),
                [
                    Timeseries(
                        'Requests to providers by outcome', _integration('requests', 'provider,outcome'), display='bars'
                    ),
                    Timeseries('429s received', _integration('rate_limited', 'provider'), display='bars'),
                    Timeseries(
                        'Runs skipped (budget or cooldown)', _integration('runs_skipped', 'provider'), display='bars'
                    ),
                    Timeseries('Series submitted per run', _integration('series', 'provider', count=False)),
                    Timeseries(
                        'Drift: series not mapped, by name',
                        _integration('unmapped_series', 'provider,raw_name', count=False),
                        display='bars',
                    ),
                    Timeseries(
                        'Drift: series read but not submitted, by reason',
                        _integration('series_dropped', 'provider,reason', count=False),
                        display='bars',
                    ),
                    Timeseries(
                        'Drift: series with labels beyond the catalog, by label',
                        _integration('unmapped_labels', 'provider,label', count=False),
                    ),
                    Timeseries(
                        'Labels over `max_label_values` (values seen)',
                        _integration('labels_over_limit', 'provider,label', 'max', count=False),
                    ),
                ],
            ),
        ],
    )
