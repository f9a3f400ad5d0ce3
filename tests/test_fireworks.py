"""Fireworks: every documented family (and deployment_replicas) into the catalog, typed and untyped payloads."""

import logging

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.providers.fireworks import FireworksCheck

from .common import (
    aggregate_series,
    assert_aggregates,
    API_KEY,
    FIREWORKS,
    assert_agent_conventions,
    assert_gauge_close,
    assert_no_drift,
    assert_reply_identity,
    fault_rows,
    fixture_text,
    model_tags,
)
from .provider_server import Reply
from .reference import expected_quantile

TEAM = ['team:ml']
# The model the fixture payloads were written from: per deployment, its request rate (per second) and, per
# histogram family, the cumulative share of requests at or below each bucket bound.
DEPLOYMENTS = {
    'llama70b-prod': ('accounts/fireworks/models/llama-v3p1-70b-instruct', 12.5),
    'dsv3-batch': ('accounts/fireworks/models/deepseek-v3', 3.25),
    'qwen-idle': ('accounts/fireworks/models/qwen3-8b', 0.0),  # no requests in the window: no quantiles
}
LATENCY_BOUNDS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
TOKEN_BOUNDS = [16, 64, 256, 1024, 4096, 16384]
HISTOGRAMS = {
    'time_to_first_token.seconds': (LATENCY_BOUNDS, [0, 0.02, 0.10, 0.35, 0.70, 0.88, 0.95, 0.99, 1, 1], 0.001),
    'e2e_latency.seconds': (LATENCY_BOUNDS, [0, 0, 0, 0.01, 0.05, 0.20, 0.55, 0.90, 0.98, 1], 0.001),
    'queue_latency.seconds': (LATENCY_BOUNDS, [0.50, 0.70, 0.85, 0.93, 0.97, 0.99, 1, 1, 1, 1], 0.001),
    'time_per_output_token.seconds': (LATENCY_BOUNDS, [0.05, 0.60, 0.95, 0.99, 1, 1, 1, 1, 1, 1], 0.001),
    'prefill_latency.seconds': (LATENCY_BOUNDS, [0.10, 0.30, 0.60, 0.85, 0.97, 1, 1, 1, 1, 1], 0.001),
    'prefill_queue_latency.seconds': (LATENCY_BOUNDS, [0.80, 0.90, 0.95, 0.99, 1, 1, 1, 1, 1, 1], 0.001),
    'request.output_tokens': (TOKEN_BOUNDS, [0.05, 0.30, 0.80, 0.97, 1, 1], 1),
    'request.input_tokens': (TOKEN_BOUNDS, [0, 0.10, 0.40, 0.75, 0.95, 0.99], 1),
}
GAUGES = {  # catalog name -> value per deployment (llama, dsv3, idle), all tagged with model/deployment/account
    'requests.rate': (12.5, 3.25, 0.0),
    'tokens.cached_input.rate': (4200.0, 150.5, 0.0),
    'tokens.input.rate': (10500.0, 2600.0, 0.0),
    'kv_cache.usage': (0.82, 0.41, 0.0),
    'fireworks.kv_slots.usage': (0.77, 0.38, 0.0),
    'fireworks.model_forward_time': (31.5, 18.25, 0.0),
    'requests.running': (42.0, 7.5, 0.0),
    'fireworks.prompt_cache.ttl': (300.0, 120.0, 60.0),
}
WINDOWED = {'requests.rate', 'tokens.cached_input.rate', 'tokens.input.rate'}
ERRORS = [('llama70b-prod', '500', 0.25), ('llama70b-prod', '429', 0.5), ('dsv3-batch', '400', 0.05)]
REPLICAS = {'llama70b-prod': 4, 'dsv3-batch': 2, 'qwen-idle': 1}


def tags_for(deployment, *extra):
    model, _ = DEPLOYMENTS[deployment]
    return ['provider:fireworks', 'account:acme', 'team:ml', *model_tags(model), 'deployment:' + deployment, *extra]


@pytest.mark.parametrize('payload', ['fireworks_untyped.txt', 'fireworks_typed.txt'])
def test_every_family_mapped_with_tags(dd_run_check, aggregator, provider_server, payload):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text(payload)))
    check = FIREWORKS.check(provider_server, tags=TEAM)
    assert isinstance(check, FireworksCheck)
    dd_run_check(check)

    for name, values in GAUGES.items():
        for deployment, value in zip(DEPLOYMENTS, values):
            extra = ['window:1m'] if name in WINDOWED else []
            aggregator.assert_metric('llm_inference.' + name, value, tags=tags_for(deployment, *extra), count=1)
    for deployment, code, value in ERRORS:
        aggregator.assert_metric(
            'llm_inference.errors.rate', value, tags=tags_for(deployment, 'status_code:' + code, 'window:1m'), count=1
        )
    for deployment, replicas in REPLICAS.items():
        aggregator.assert_metric(
            'llm_inference.fireworks.replicas',
            replicas,
            tags=['provider:fireworks', 'account:acme', 'team:ml', 'deployment:' + deployment],
            count=1,
        )
    for name, (bounds, shares, scale) in HISTOGRAMS.items():
        for deployment in ('llama70b-prod', 'dsv3-batch'):
            total = DEPLOYMENTS[deployment][1]
            for q in ('0.5', '0.9', '0.95', '0.99'):
                value = expected_quantile(float(q), bounds, shares, total) * scale
                tags = tags_for(deployment, 'window:1m', 'quantile:' + q)
                # The payload's bucket values are rounded to 6 digits.
                assert_gauge_close(aggregator, 'llm_inference.' + name, value, tags, rel=1e-5)
        # The idle deployment had no requests in the window: nothing, not NaN or 0.
        assert not [m for m in aggregator.metrics('llm_inference.' + name) if 'deployment:qwen-idle' in m.tags]

    aggregator.assert_metric(
        'llm_inference.integration.requests', 1, tags=['provider:fireworks', 'account:acme', 'team:ml', 'outcome:ok']
    )
    # 8 gauges x 3 deployments + 3 errors + 3 replicas + 8 families x 2 deployments x 4 quantiles
    aggregator.assert_metric(
        'llm_inference.integration.series',
        24 + 3 + 3 + 64 + aggregate_series(aggregator),
        tags=['provider:fireworks', 'account:acme', 'team:ml'],
    )
    aggregator.assert_service_check(
        'llm_inference.can_connect', AgentCheck.OK, tags=['provider:fireworks', 'account:acme', 'team:ml'], count=1
    )
    assert_no_drift(aggregator, ['provider:fireworks', 'account:acme', 'team:ml'])
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)

    seen = provider_server.requests[-1]
    assert seen.headers['Authorization'] == 'Bearer ' + API_KEY
    assert len(provider_server.requests) == 1


def test_raw_buckets_are_opt_in(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
    dd_run_check(FIREWORKS.check(provider_server, tags=TEAM, collect_raw_buckets=True))
    # llama: 12.5 req/s; 35% of requests had their first token within 100 ms (0.1 s).
    assert_gauge_close(
        aggregator,
        'llm_inference.fireworks.time_to_first_token.bucket',
        12.5 * 0.35,
        tags_for('llama70b-prod', 'window:1m', 'upper_bound:0.1'),
    )
    aggregator.assert_metric(
        'llm_inference.fireworks.request.input_tokens.bucket',
        3.25,
        tags=tags_for('dsv3-batch', 'window:1m', 'upper_bound:+Inf'),
        count=1,
    )
    raw = {
        'fireworks.time_to_first_token.bucket': 'time_to_first_token.seconds',
        'fireworks.e2e_latency.bucket': 'e2e_latency.seconds',
        'fireworks.queue_latency.bucket': 'queue_latency.seconds',
        'fireworks.time_per_output_token.bucket': 'time_per_output_token.seconds',
        'fireworks.prefill_latency.bucket': 'prefill_latency.seconds',
        'fireworks.prefill_queue_latency.bucket': 'prefill_queue_latency.seconds',
        'fireworks.request.input_tokens.bucket': 'request.input_tokens',
        'fireworks.request.output_tokens.bucket': 'request.output_tokens',
    }
    for bucket_metric, family in raw.items():
        bounds = HISTOGRAMS[family][0]
        # every bound plus +Inf, for each of the three deployments
        assert len(aggregator.metrics('llm_inference.' + bucket_metric)) == (len(bounds) + 1) * 3, bucket_metric
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)


def test_default_has_no_raw_buckets(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
    dd_run_check(FIREWORKS.check(provider_server, tags=TEAM))
    assert not [name for name in aggregator.metric_names if name.endswith('.bucket')]


def test_configured_quantiles(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
    dd_run_check(FIREWORKS.check(provider_server, tags=TEAM, quantiles=[0.75]))
    bounds, shares, scale = HISTOGRAMS['e2e_latency.seconds']
    assert_gauge_close(
        aggregator,
        'llm_inference.e2e_latency.seconds',
        expected_quantile(0.75, bounds, shares, 12.5) * scale,
        tags_for('llama70b-prod', 'window:1m', 'quantile:0.75'),
    )
    quantile_tags = {
        t for m in aggregator.metrics('llm_inference.e2e_latency.seconds') for t in m.tags if 'quantile' in t
    }
    assert quantile_tags == {'quantile:0.75'}


def test_default_url_and_budget_key():
    check = LlmInferenceCheck('llm_inference', {}, [{'provider': 'fireworks', 'api_key': 'k', 'account_id': 'my acct'}])
    assert check.url == 'https://api.fireworks.ai/v1/accounts/my%20acct/metrics'
    other_key = LlmInferenceCheck(
        'llm_inference', {}, [{'provider': 'fireworks', 'api_key': 'k2', 'account_id': 'my acct'}]
    )
    # The Fireworks budget is per account: two keys on one account share it.
    assert check.budget.credential == other_key.budget.credential
    assert 'k' not in check.budget.credential.replace('my', '')  # a hash, not the key


# A reply of account `acme`: its account once as `deployment_account`, once only in the full `deployment` path.
REPLY_OF_ACME = (
    'request_counter_total:sum_by_deployment{base_model="m",deployment_account="acme",deployment_id="d1"} 2\n'
    'deployment_replicas{deployment="accounts/acme/deployments/d2"} 3\n'
)


ANOTHER_ACCOUNT = (
    "fireworks: `account_id` is `acmee`, but the reply's series are of account `acme` (their `deployment_account` "
    "label): fix `account_id` (or `api_url`, which chose this reply). Collected as configured: every point is tagged "
    "`account:acmee`, the reply's id kept as `label_deployment_account`."
)


# The typo: collected (the data is real) under the configured id, the reply's own kept apart.
@pytest.mark.parametrize('account_id, message', [('acme', None), ('acmee', ANOTHER_ACCOUNT)])
def test_a_reply_of_another_account_is_a_warning_naming_both(
    dd_run_check, aggregator, provider_server, caplog, account_id, message
):
    provider_server.reply(FIREWORKS.path, Reply(body=REPLY_OF_ACME))
    check = FIREWORKS.check(provider_server, account_id=account_id)  # api_url: .../accounts/acme/metrics
    with caplog.at_level(logging.WARNING):
        dd_run_check(check)

    base = ['provider:fireworks', 'account:' + account_id]
    kept = ['label_deployment_account:acme'] if message else []
    aggregator.assert_metric(
        'llm_inference.requests.rate', 2, tags=base + [*model_tags('m'), 'deployment:d1', 'window:1m', *kept], count=1
    )
    aggregator.assert_metric('llm_inference.fireworks.replicas', 3, tags=base + ['deployment:d2', *kept], count=1)
    assert_reply_identity(aggregator, caplog, base, base[1], 2, message)
    # At start, `api_url` (an `acme` URL) against the option too (urls.py).
    at_start = [w for w in check.warnings if '`api_url` names account_id `acme`' in w]
    assert len(at_start) == (1 if message else 0) and all('`account_id` is `acmee`' in w for w in at_start)
    assert_agent_conventions(aggregator)


def test_stale_samples_do_not_hide_a_reply_of_another_account(dd_run_check, aggregator, provider_server, clock):
    """One WARNING a run says all it found: the stale samples left out and the account at odds with `account_id`."""
    rate = 'request_counter_total:sum_by_deployment{{deployment_id="{}",base_model="m",deployment_account="acme"}}'
    old = str(int((clock.wall() - 3720) * 1000))
    body = rate.format('d1') + ' 5 ' + old + '\n' + rate.format('d2') + ' 3\n'
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server, account_id='acmee'))
    base = ['provider:fireworks', 'account:acmee']
    aggregator.assert_metric(
        'llm_inference.requests.rate',
        3,
        tags=base + [*model_tags('m'), 'deployment:d2', 'window:1m', 'label_deployment_account:acme'],
        count=1,
    )
    assert len(aggregator.metrics('llm_inference.requests.rate')) == 1  # d1's sample is an hour old
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING
    stale = sc.message.index('1 samples carry timestamps up to 1 h 2 min old, over `max_sample_age` (300 s)')
    assert stale < sc.message.index("`account_id` is `acmee`, but the reply's series are of account `acme`")
    assert sc.message.endswith(' URL: {}/v1/accounts/acme/metrics'.format(provider_server.url)), sc.message


def test_the_warning_names_api_url_only_where_it_is_set():
    check = FIREWORKS.check(account_id='acmee')  # the default URL, built from `account_id`
    (message,) = check.reply_identity_warnings({'deployment_account': {'acme', 'beta', 'gamma', 'delta'}})
    assert message.startswith(
        "`account_id` is `acmee`, but the reply's series are of account `acme`, `beta`, `delta` and 1 more (their "
        "`deployment_account` label): fix `account_id`. Collected"
    )
    assert check.reply_identity_warnings({'deployment_account': {'acmee', 'beta'}}) == []  # its own among others
    assert check.reply_identity_warnings({'deployment_account': set()}) == []  # no series names an account


# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields.
FAULTS = fault_rows(
    FIREWORKS,
    lambda: Reply(body=fixture_text('fireworks_untyped.txt')),
    (
        'llm_inference.requests.rate',
        12.5,
        FIREWORKS.tags
        + [
            *model_tags('accounts/fireworks/models/llama-v3p1-70b-instruct'),
            'deployment:llama70b-prod',
            'window:1m',
        ],
    ),
    **{
        '403': (AgentCheck.CRITICAL, 'HTTP 403', 'has metrics access'),
        '404': (AgentCheck.CRITICAL, 'check `account_id`'),
        '503': (AgentCheck.CRITICAL, 'HTTP 503', 'next run retries'),
    },
)
