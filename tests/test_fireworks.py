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
    Provider,
    assert_agent_conventions,
    assert_gauge_close,
    assert_no_drift,
    assert_reply_identity,
    catalog_values,
    drift_values,
    fault_rows,
    fixture_text,
    model_tags,
)
from .provider_server import Reply
from .reference import expected_quantile

# This provider's test instance (the shared tests find it as `SETUP`), and the model names its payloads and its
# simulator send, with their canonical names written out by hand (common.model_tags).
FIREWORKS = Provider('fireworks', {'account_id': 'acme'}, '/v1/accounts/acme/metrics', identity=('account:acme',))
SETUP = FIREWORKS
CANONICAL = {
    'accounts/fireworks/models/llama-v3p1-70b-instruct': 'llama-3.1-70b-instruct',
    'accounts/fireworks/models/llama-v3p3-70b-instruct': 'llama-3.3-70b-instruct',
    'accounts/fireworks/models/deepseek-v3': 'deepseek-v3',
    'accounts/fireworks/models/qwen3-8b': 'qwen3-8b',
    'accounts/fireworks/models/qwen3-235b-a22b': 'qwen3-235b-a22b',
}
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


def test_a_warm_run_reads_the_last_runs_label_texts_as_a_first_run_would(
    dd_run_check, aggregator, provider_server, caplog
):
    """A run reuses the contexts of the last run's label texts (labels.LabelReader `earlier`): the same tags, the
    reply's ids still compared each run, the same series in another label order still one series, and a label text
    the reply no longer sends forgotten a run later."""
    rate = 'request_counter_total:sum_by_deployment{{{}}} {}\n'
    d1 = 'base_model="m",deployment_account="acme",deployment_id="d1"'
    d1_reordered = 'deployment_id="d1",deployment_account="acme",base_model="m"'
    d2 = 'base_model="m",deployment_account="acme",deployment_id="d2"'
    check = FIREWORKS.check(provider_server, account_id='acmee', requests_per_minute=0)
    base = ['provider:fireworks', 'account:acmee']

    def run(body):
        aggregator.reset()
        caplog.clear()
        provider_server.reply(FIREWORKS.path, Reply(body=body))
        with caplog.at_level(logging.WARNING):
            dd_run_check(check)
        rates = {}
        for m in aggregator.metrics('llm_inference.requests.rate'):
            deployment = next(t for t in m.tags if t.startswith('deployment:'))
            kept = ['label_deployment_account:acme']
            assert sorted(m.tags) == sorted(base + [*model_tags('m'), deployment, 'window:1m', *kept])
            rates[deployment] = m.value
            aggregator.assert_metric('llm_inference.requests.rate', m.value, tags=m.tags, count=1)
        return rates

    assert run(rate.format(d1, 2)) == {'deployment:d1': 2.0}
    assert set(check.label_texts) == {d1}
    # The series in another order first (a text new this run), then the text of the last run: one series, the first.
    body = rate.format(d1_reordered, 7) + rate.format(d1, 5) + rate.format(d2, 1)
    assert run(body) == {'deployment:d1': 7.0, 'deployment:d2': 1.0}
    assert 'fireworks: 1 duplicated series in the reply were ignored' in caplog.text
    assert_reply_identity(aggregator, caplog, base, base[1], 2, ANOTHER_ACCOUNT)
    assert set(check.label_texts) == {d1, d1_reordered, d2}
    # The text of the last run first this time: the same.
    assert run(rate.format(d1, 5) + rate.format(d1_reordered, 7)) == {'deployment:d1': 5.0}
    assert_reply_identity(aggregator, caplog, base, base[1], 1, ANOTHER_ACCOUNT)
    assert run(rate.format(d2, 4)) == {'deployment:d2': 4.0}
    assert set(check.label_texts) == {d2}


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


# --- Fireworks' live shape, and the variants real replies take (moved from test_payload_shapes.py) -----------------
# The live shape (public client code): no `# TYPE`, millisecond timestamps, errors labelled `code`, the undocumented
# series, a full `deployment` path without `deployment_id`, an extra `region` label, labels in any order. Every series
# keeps its identity, known variants are read, and what cannot be mapped is reported (values AND tags asserted).

FW_BASE = FIREWORKS.tags
LLAMA = 'accounts/fireworks/models/llama-v3p3-70b-instruct'
QWEN = 'accounts/fireworks/models/qwen3-235b-a22b'
TTFT_BOUNDS = [50, 100, 250, 500, 1000, 2500]
# What fireworks_live.txt was written from: (deployment, region) -> model and values.
LIVE = {
    ('llama-prod', 'us-iowa-1'): dict(
        model=LLAMA,
        req=8.0,
        err={'500': 0.2, '429': 0.4},
        prompt=6000.0,
        cached=1500.0,
        kv=0.7,
        active=0.55,
        gen=900.0,
        shares=[0.05, 0.30, 0.70, 0.90, 0.98, 1.0],
    ),
    ('llama-prod', 'eu-frankfurt-1'): dict(
        model=LLAMA,
        req=4.0,
        err={'500': 0.1},
        prompt=3000.0,
        cached=500.0,
        kv=0.5,
        active=0.35,
        gen=450.0,
        shares=[0.0, 0.10, 0.50, 0.80, 0.95, 1.0],
    ),
    # Only the full `deployment` path: deployment and account come from it.
    ('qwen-batch', 'us-iowa-1'): dict(
        model=QWEN,
        req=2.0,
        err={'400': 0.05},
        prompt=1000.0,
        cached=0.0,
        kv=0.2,
        active=0.1,
        gen=150.0,
        shares=[0.0, 0.0, 0.20, 0.60, 0.90, 1.0],
    ),
}
LIVE_REPLICAS = {'llama-prod': 3, 'qwen-batch': 1, 'dsv3-idle': 0}  # 0: scaled to zero
ONE_MINUTE = 'window:1m'
SUMMED = {'req': 'requests.rate', 'prompt': 'tokens.input.rate', 'cached': 'tokens.cached_input.rate'}
AVERAGED = {'kv': 'kv_cache.usage', 'active': 'fireworks.generator.active_fraction'}


def fw_tags(deployment, region, *extra):
    model = LIVE[(deployment, region)]['model']
    return (
        FW_BASE
        + [*model_tags(model), 'deployment:' + deployment]
        + (['region:' + region] if region else [])
        + list(extra)
    )


def test_fireworks_live_shape(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_live.txt')))
    dd_run_check(FIREWORKS.check(provider_server))

    for (deployment, region), v in LIVE.items():
        for key, name in SUMMED.items():
            aggregator.assert_metric('llm_inference.' + name, v[key], tags=fw_tags(deployment, region, ONE_MINUTE))
        for key, name in AVERAGED.items():
            aggregator.assert_metric('llm_inference.' + name, v[key], tags=fw_tags(deployment, region), count=1)
        aggregator.assert_metric(
            'llm_inference.fireworks.tokens.generated_gauge', v['gen'], tags=fw_tags(deployment, region), count=1
        )
        # `code` is read as the status code: 500s and 429s stay apart.
        for code, rate in v['err'].items():
            aggregator.assert_metric(
                'llm_inference.errors.rate',
                rate,
                tags=fw_tags(deployment, region, ONE_MINUTE, 'status_code:' + code),
                count=1,
            )
        for q in ('0.5', '0.9', '0.95', '0.99'):
            value = expected_quantile(float(q), TTFT_BOUNDS, v['shares'], v['req']) / 1000
            tags = fw_tags(deployment, region, ONE_MINUTE, 'quantile:' + q)
            assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', value, tags, rel=1e-5)
    for deployment, replicas in LIVE_REPLICAS.items():
        aggregator.assert_metric(
            'llm_inference.fireworks.replicas', replicas, tags=FW_BASE + ['deployment:' + deployment], count=1
        )
    # Two regions of one deployment are two contexts: none collapsed.
    contexts = {tuple(sorted(m.tags)) for m in aggregator.metrics('llm_inference.requests.rate')}
    assert len(contexts) == len(aggregator.metrics('llm_inference.requests.rate')) == 3

    # `region` is not in the catalog's map: kept, and reported (25 catalog series carry it).
    assert drift_values(aggregator, 'unmapped_labels') == {'label:region': 25}
    assert drift_values(aggregator, 'unmapped_series') == {'': 0}
    assert drift_values(aggregator, 'series_dropped') == {'': 0}
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=FW_BASE + ['outcome:ok'])
    aggregator.assert_metric('llm_inference.integration.series')
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=FW_BASE, count=1)
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_fireworks_exclude_labels_aggregates_by_semantics(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_live.txt')))
    dd_run_check(FIREWORKS.check(provider_server, exclude_labels=['region']))
    us, eu = LIVE[('llama-prod', 'us-iowa-1')], LIVE[('llama-prod', 'eu-frankfurt-1')]
    llama = FW_BASE + [*model_tags(LLAMA), 'deployment:llama-prod']
    # Rates and counts add up; averages average; errors stay apart by status code.
    for key, name in SUMMED.items():
        assert_gauge_close(aggregator, 'llm_inference.' + name, us[key] + eu[key], llama + [ONE_MINUTE])
    for key, name in AVERAGED.items():
        assert_gauge_close(aggregator, 'llm_inference.' + name, (us[key] + eu[key]) / 2, llama)
    assert_gauge_close(aggregator, 'llm_inference.fireworks.tokens.generated_gauge', us['gen'] + eu['gen'], llama)
    assert_gauge_close(aggregator, 'llm_inference.errors.rate', 0.3, llama + [ONE_MINUTE, 'status_code:500'])
    assert_gauge_close(aggregator, 'llm_inference.errors.rate', 0.4, llama + [ONE_MINUTE, 'status_code:429'])
    # Bucket rates are summed per bound before the quantile: the quantile of the whole deployment.
    total = us['req'] + eu['req']
    shares = [(us['req'] * a + eu['req'] * b) / total for a, b in zip(us['shares'], eu['shares'])]
    for q in ('0.5', '0.99'):
        value = expected_quantile(float(q), TTFT_BOUNDS, shares, total) / 1000
        tags = llama + [ONE_MINUTE, 'quantile:' + q]
        assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', value, tags, rel=1e-5)
    assert not [m for n in aggregator.metric_names for m in aggregator.metrics(n) if 'region:us-iowa-1' in m.tags]


NAN_MEMBER = (
    'request_counter_total:sum_by_deployment{deployment_id="d1",base_model="m",region="a"} NaN\n'
    'request_counter_total:sum_by_deployment{deployment_id="d1",base_model="m",region="b"} 4\n'
    'request_counter_total:sum_by_deployment{deployment_id="d2",base_model="m",region="a"} 1\n'
    'request_counter_total:sum_by_deployment{deployment_id="d2",base_model="m",region="b"} 2\n'
)


@pytest.mark.parametrize('exclude', [False, True])
def test_fireworks_sum_with_a_nan_member_is_not_submitted(dd_run_check, aggregator, provider_server, exclude):
    provider_server.reply(FIREWORKS.path, Reply(body=NAN_MEMBER))
    dd_run_check(FIREWORKS.check(provider_server, **({'exclude_labels': ['region']} if exclude else {})))
    rates = {tuple(sorted(m.tags)): m.value for m in aggregator.metrics('llm_inference.requests.rate')}
    d1 = FW_BASE + [*model_tags('m'), 'deployment:d1', ONE_MINUTE]
    d2 = FW_BASE + [*model_tags('m'), 'deployment:d2', ONE_MINUTE]
    if exclude:
        # d1's sum is missing a member: no value at all, rather than 4 req/s that are really 4 + unknown.
        assert rates == {tuple(sorted(d2)): 3.0}
        assert drift_values(aggregator, 'series_dropped') == {'reason:incomplete_sum': 1}
    else:
        assert rates == {
            tuple(sorted(d1 + ['region:b'])): 4.0,
            tuple(sorted(d2 + ['region:a'])): 1.0,
            tuple(sorted(d2 + ['region:b'])): 2.0,
        }
        assert drift_values(aggregator, 'series_dropped') == {'reason:not_finite': 1}


UNUSABLE_BOUNDS = (
    # d1's TTFT histogram with three buckets the check cannot place: a bound that is not a number, a bucket without
    # `le`, and a NaN bound. The quantiles come from the other buckets (cumulative, so still a true histogram);
    # the three are reported, not skipped in silence.
    'latency_to_first_token_ms_bucket:sum_by_deployment{deployment_id="d1",base_model="m",le="100"} 1\n'
    'latency_to_first_token_ms_bucket:sum_by_deployment{deployment_id="d1",base_model="m",le="fast"} 2\n'
    'latency_to_first_token_ms_bucket:sum_by_deployment{deployment_id="d1",base_model="m"} 3\n'
    'latency_to_first_token_ms_bucket:sum_by_deployment{deployment_id="d1",base_model="m",le="NaN"} 3\n'
    'latency_to_first_token_ms_bucket:sum_by_deployment{deployment_id="d1",base_model="m",le="500"} 4\n'
    'latency_to_first_token_ms_bucket:sum_by_deployment{deployment_id="d1",base_model="m",le="+Inf"} 4\n'
)


def test_fireworks_buckets_without_a_usable_bound_are_reported(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=UNUSABLE_BOUNDS))
    dd_run_check(FIREWORKS.check(provider_server))
    d1 = FW_BASE + [*model_tags('m'), 'deployment:d1', ONE_MINUTE]
    ttft = {
        next(t for t in m.tags if t.startswith('quantile:')): m.value
        for m in aggregator.metrics('llm_inference.time_to_first_token.seconds')
    }
    assert ttft, 'the usable buckets still give quantiles'
    for tag, value in ttft.items():
        expected = expected_quantile(float(tag.split(':')[1]), [100, 500], [0.25, 1.0], 4) / 1000
        assert value == pytest.approx(expected), tag
        aggregator.assert_metric('llm_inference.time_to_first_token.seconds', value, tags=d1 + [tag], count=1)
    unmapped = {'raw_name:latency_to_first_token_ms_bucket:sum_by_deployment': 2}
    assert drift_values(aggregator, 'unmapped_series') == unmapped
    assert drift_values(aggregator, 'series_dropped') == {'reason:not_finite': 1}


REORDERED_DUPLICATE = (
    'request_counter_total:sum_by_deployment{deployment_id="d1",base_model="m"} 1.5\n'
    'request_counter_total:sum_by_deployment{base_model="m",deployment_id="d1"} 99\n'
    'request_counter_total:sum_by_deployment{base_model="m", deployment_id="d1",region=""} 7\n'
)


def test_duplicate_check_compares_label_sets_not_texts(dd_run_check, aggregator, provider_server, caplog):
    """The same labels in another order (or with an empty label, which is no label) are the same series: the first
    counts, not a sum of the three."""
    provider_server.reply(FIREWORKS.path, Reply(body=REORDERED_DUPLICATE))
    with caplog.at_level(logging.WARNING):
        dd_run_check(FIREWORKS.check(provider_server))
    aggregator.assert_metric(
        'llm_inference.requests.rate', 1.5, tags=FW_BASE + [*model_tags('m'), 'deployment:d1', ONE_MINUTE], count=1
    )
    assert '2 duplicated series' in caplog.text


LABEL_NAMES = (
    # A label named like a tag the Agent reserves, one named like a catalog tag, an account that is not the
    # instance's, and a deployment path that disagrees with deployment_id: all kept, under `label_<name>`.
    'request_counter_total:sum_by_deployment{deployment_id="d1",base_model="m",host="gpu-7",window="5m"} 1\n'
    'request_counter_total:sum_by_deployment{deployment_id="d1",base_model="m",host="gpu-8",window="5m"} 2\n'
    'request_counter_total:sum_by_deployment{deployment_id="d1",base_model="m",deployment_account="other"} 3\n'
    'request_counter_total:sum_by_deployment{deployment_id="d1",base_model="m",'
    'deployment="accounts/acme/deployments/d9"} 4\n'
    'requests_error_total:sum_by_deployment{deployment_id="d1",base_model="m",code="500",http_code="500"} 0.5\n'
    'requests_error_total:sum_by_deployment{deployment_id="d1",base_model="m",code="grpc-14",http_code="503"} 0.25\n'
)


def test_labels_never_pose_as_reserved_or_catalog_tags(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=LABEL_NAMES))
    dd_run_check(FIREWORKS.check(provider_server))
    base = FW_BASE + [*model_tags('m'), 'deployment:d1', ONE_MINUTE]
    for value, extra in (
        (1, ['label_host:gpu-7', 'label_window:5m']),
        (2, ['label_host:gpu-8', 'label_window:5m']),
        (3, ['label_deployment_account:other']),
        (4, ['label_deployment:accounts/acme/deployments/d9']),
    ):
        aggregator.assert_metric('llm_inference.requests.rate', value, tags=base + extra, count=1)
    # `code` and `http_code` that agree are one tag; that disagree, both kept.
    aggregator.assert_metric('llm_inference.errors.rate', 0.5, tags=base + ['status_code:500'], count=1)
    aggregator.assert_metric(
        'llm_inference.errors.rate', 0.25, tags=base + ['status_code:503', 'label_code:grpc-14'], count=1
    )
    # A path that disagrees with deployment_id is unexpected: kept, and reported like a new label.
    assert drift_values(aggregator, 'unmapped_labels') == {'label:host': 2, 'label:window': 2, 'label:deployment': 1}


SPELLINGS_OF_ONE_SERIES = (
    # The same deployment's errors under the documented label and the live one, and its request rate with and
    # without deployment_id: two spellings of one series are never added together; the documented one counts.
    'requests_error_total:sum_by_deployment{deployment_id="d1",base_model="m",http_code="500"} 0.5\n'
    'requests_error_total:sum_by_deployment{deployment_id="d1",base_model="m",code="500"} 0.5\n'
    'requests_error_total:sum_by_deployment{deployment="accounts/acme/deployments/d2",base_model="m",code="429"} 2\n'
    'request_counter_total:sum_by_deployment{deployment_id="d1",deployment_account="acme",base_model="m",'
    'deployment="accounts/acme/deployments/d1"} 6\n'
    'request_counter_total:sum_by_deployment{base_model="m",deployment="accounts/acme/deployments/d1"} 6\n'
)


def test_two_spellings_of_one_series_are_not_added(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=SPELLINGS_OF_ONE_SERIES))
    dd_run_check(FIREWORKS.check(provider_server))
    d1 = FW_BASE + [*model_tags('m'), 'deployment:d1', ONE_MINUTE]
    aggregator.assert_metric('llm_inference.errors.rate', 0.5, tags=d1 + ['status_code:500'], count=1)
    aggregator.assert_metric(
        'llm_inference.errors.rate',
        2,
        tags=FW_BASE + [*model_tags('m'), 'deployment:d2', ONE_MINUTE, 'status_code:429'],
    )
    aggregator.assert_metric('llm_inference.requests.rate', 6, tags=d1, count=1)


RENAMED = (
    '# Fireworks renamed everything (a made-up future version)\n'
    'fw_request_rate{deployment_id="d1"} 2\n'
    'fw_request_rate{deployment_id="d2"} 3\n'
    'fw_ttft_ms_bucket{deployment_id="d1",le="+Inf"} 2\n'
)


def test_fireworks_names_changed_is_a_warning_that_names_them(dd_run_check, aggregator, provider_server, caplog):
    provider_server.reply(FIREWORKS.path, Reply(body=RENAMED))
    check = FIREWORKS.check(provider_server)
    with caplog.at_level(logging.WARNING):
        dd_run_check(check)
        dd_run_check(check)
    (sc, _) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING
    assert "metric names changed (seen: `fw_request_rate`, `fw_ttft_ms_bucket`)" in sc.message
    assert catalog_values(aggregator) == []
    aggregator.assert_metric(
        'llm_inference.integration.unmapped_series', 2, tags=FW_BASE + ['raw_name:fw_request_rate'], count=2
    )
    aggregator.assert_metric(
        'llm_inference.integration.unmapped_series', 1, tags=FW_BASE + ['raw_name:fw_ttft_ms_bucket'], count=2
    )
    # Logged once per new name per check instance, not every run.
    assert caplog.text.count('named `fw_request_rate`') == 1


def test_drift_tags_are_bounded(dd_run_check, aggregator, provider_server):
    names = ['new_metric_{:02d}'.format(i) for i in range(14)]
    body = 'request_counter_total:sum_by_deployment{deployment_id="d1",base_model="m"} 1\n' + ''.join(
        '{}{{deployment_id="d1"}} 1\n'.format(n) for n in names
    )
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server))
    values = drift_values(aggregator, 'unmapped_series')
    assert values == dict({'raw_name:' + n: 1 for n in names[:10]}, **{'raw_name:other': 4})


def test_runner_lists_drift(provider_server, tmp_path):
    """The runner prints what the reply held that the check did not map, and the labels over the limit."""
    import io

    import yaml

    from datadog_checks.llm_inference import runner

    body = fixture_text('fireworks_live.txt') + 'fw_new_metric{deployment_id="llama-prod"} 1\n'
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    instance = FIREWORKS.instance(provider_server)
    conf = tmp_path / 'conf.yaml'
    conf.write_bytes(
        yaml.safe_dump({'init_config': {}, 'instances': [dict(instance, max_label_values=1)]}, encoding='utf-8')
    )
    out = io.StringIO()
    assert runner.main([str(conf)], out=out) == 0
    text = out.getvalue()
    assert 'drift: names the check does not map (not collected): fw_new_metric (1 series)' in text
    assert 'drift: labels the catalog does not map (kept as tags unless excluded): region (25 series)' in text
    assert (
        'drift: label region has 2 values on llm_inference.requests.rate, over `max_label_values`: aggregated away'
        in text
    )
    # Aggregated away: one request rate for the two regions of llama-prod.
    assert 'llm_inference.requests.rate' in text and 'region:' not in text
    assert API_KEY not in text


# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields.
FAULTS = fault_rows(
    SETUP,
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
    nan=(
        'request_counter_total:sum_by_deployment{deployment_id="a",base_model="m"} NaN\n'
        'request_counter_total:sum_by_deployment{deployment_id="b",base_model="m"} +Inf\n'
        'request_counter_total:sum_by_deployment{deployment_id="c",base_model="m"} -Inf\n'
        'request_counter_total:sum_by_deployment{deployment_id="d",base_model="m"} 3.5\n',
        [3.5],
    ),
    duplicates=(
        'request_counter_total:sum_by_deployment{deployment_id="a",base_model="m"} 1.5\n'
        'request_counter_total:sum_by_deployment{deployment_id="a",base_model="m"} 99\n',
        [1.5],
    ),
    **{
        '403': (AgentCheck.CRITICAL, 'HTTP 403', 'has metrics access'),
        '404': (AgentCheck.CRITICAL, 'check `account_id`'),
        '503': (AgentCheck.CRITICAL, 'HTTP 503', 'next run retries'),
    },
)
