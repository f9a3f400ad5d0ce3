"""Scrape providers on payloads in the shapes real replies take, not only the documented one: every series keeps its
identity, known variants are read, and what cannot be mapped is reported (values AND tags asserted).

Fireworks' live shape (public client code): no `# TYPE`, millisecond timestamps, errors labelled `code`, the
undocumented series, a full `deployment` path without `deployment_id`, an extra `region` label, labels in any order.
Wafer: its own sample with `# HELP`, plus labels its docs leave open (`backend_id`, `model`), quantile="max", a NaN
status class, an `endpoint` label that differs from the instance's.
"""

import logging

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics

from .common import (
    assert_aggregates,
    API_KEY,
    ENDPOINT,
    FIREWORKS,
    WAFER,
    assert_gauge_close,
    catalog_values,
    drift_values,
    fixture_text,
    model_tags,
)
from .provider_server import Reply
from .reference import expected_quantile

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
REPLICAS = {'llama-prod': 3, 'qwen-batch': 1, 'dsv3-idle': 0}  # 0: scaled to zero
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
    for deployment, replicas in REPLICAS.items():
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


# --- Wafer ---------------------------------------------------------------------------------------------------------

WAFER_BASE = WAFER.tags


def test_label_over_max_label_values(dd_run_check, aggregator, provider_server, caplog):
    """A label with more values than `max_label_values` is aggregated away where the metric allows, and its series
    are not submitted where it does not (percentiles); a WARNING and the telemetry name it."""
    body = ''.join(
        'wafer_engine_running_requests{{endpoint="{e}",pod="p{i}"}} 1\n'
        'wafer_ttft_seconds{{endpoint="{e}",pod="p{i}",quantile="0.5"}} 0.{i}\n'.format(e=ENDPOINT, i=i)
        for i in range(1, 6)
    )
    provider_server.reply(WAFER.path, Reply(body=body))
    with caplog.at_level(logging.WARNING):
        dd_run_check(WAFER.check(provider_server, max_label_values=4))
    aggregator.assert_metric('llm_inference.requests.running', 5, tags=WAFER_BASE, count=1)
    assert not aggregator.metrics('llm_inference.time_to_first_token.seconds')
    aggregator.assert_metric('llm_inference.integration.labels_over_limit', 5, tags=WAFER_BASE + ['label:pod'])
    assert drift_values(aggregator, 'series_dropped') == {'reason:label_limit': 5}
    assert 'label `pod` has 5 values on llm_inference.requests.running' in caplog.text
    assert '`max_label_values` (4)' in caplog.text


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
