"""Query providers on the shapes their engines really hold: Groq's older and newer names mixed on a real
VictoriaMetrics, Crusoe's two histogram spellings and millisecond buckets on a real Prometheus. Values AND tags."""

import logging

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from simulator.crusoe import (
    CRUSOE_RENAMED_PROJECT,
    CRUSOE_VARIANT,
    CRUSOE_VARIANT_PROJECT,
    MS_TPOT_BOUNDS,
    MS_TPOT_SHARES,
    MS_TTFT_BOUNDS,
    MS_TTFT_SHARES,
)
from simulator.groq import (
    GROQ_VARIANT_BUCKET_RATE,
    GROQ_VARIANT_E2E_SHARES,
    GROQ_VARIANT_PROJECT,
    GROQ_VARIANT_TOKENS,
    GROQ_VARIANT_TTFT_SHARES,
)
from simulator.query_series import LATENCY_BOUNDS

from .common import (
    assert_aggregates,
    CRUSOE,
    CRUSOE_KEY,
    GROQ,
    GROQ_KEY,
    assert_gauge_close,
    catalog_values,
    drift_values,
    model_tags,
)
from .reference import expected_quantile

pytestmark = pytest.mark.integration
QUANTILES = ('0.5', '0.9', '0.95', '0.99')
LLAMA = 'llama-3.3-70b-versatile'
GPT = 'openai/gpt-oss-120b'


def groq(proxy, **extra):
    return GROQ.check(api_key=GROQ_KEY, api_url=proxy.url, **extra)


def test_groq_newer_and_older_names(dd_run_check, aggregator, groq_variant_engine, caplog):
    _, proxy = groq_variant_engine
    before = len(proxy.requests)
    with caplog.at_level(logging.WARNING):
        dd_run_check(groq(proxy))
    assert len(proxy.requests) - before == 1

    # llama's 200s have been NaN for 6 minutes (VictoriaMetrics no longer answers them, they were there 15 minutes
    # ago): its total would be its 500s alone, 100 % errors. No request rate; the error rate is still right.
    assert not [m for m in aggregator.metrics('llm_inference.requests.rate') if 'model:' + LLAMA in m.tags]
    aggregator.assert_metric(
        'llm_inference.errors.rate', 0.5, tags=['provider:groq', *model_tags(LLAMA), 'window:1m', 'status_code:500']
    )
    # gpt-oss has only requests:increase1m: requests per minute, read as a rate.
    assert_gauge_close(
        aggregator, 'llm_inference.requests.rate', 930 / 60, ['provider:groq', *model_tags(GPT), 'window:1m']
    )
    assert_gauge_close(
        aggregator,
        'llm_inference.errors.rate',
        0.5,
        ['provider:groq', *model_tags(GPT), 'window:1m', 'status_code:400'],
    )
    # model_project_id:tokens_in/out:rate5m
    for model, rates in GROQ_VARIANT_TOKENS.items():
        tags = ['provider:groq', *model_tags(model), 'project_id:' + GROQ_VARIANT_PROJECT, 'window:5m']
        assert_gauge_close(aggregator, 'llm_inference.tokens.input.rate', rates['in'], tags)
        assert_gauge_close(aggregator, 'llm_inference.tokens.output.rate', rates['out'], tags)
    # Buckets without `le_` are read; where both prefixes exist the `le_` family counts, never their sum.
    base = ['provider:groq', *model_tags(LLAMA), 'project_id:' + GROQ_VARIANT_PROJECT, 'window:5m']
    for q in QUANTILES:
        for name, shares in (
            ('e2e_latency.seconds', GROQ_VARIANT_E2E_SHARES),
            ('time_to_first_token.seconds', GROQ_VARIANT_TTFT_SHARES['le_']),
        ):
            value = expected_quantile(float(q), LATENCY_BOUNDS, shares, GROQ_VARIANT_BUCKET_RATE)
            assert_gauge_close(aggregator, 'llm_inference.' + name, value, base + ['quantile:' + q])
    # queue_latency_seconds:max is the 1-quantile; :avg is no quantile: reported, not submitted.
    queue = ['provider:groq', *model_tags(LLAMA), 'window:5m']
    assert_gauge_close(aggregator, 'llm_inference.queue_latency.seconds', 0.9, queue + ['quantile:1'])
    assert_gauge_close(aggregator, 'llm_inference.queue_latency.seconds', 0.01, queue + ['quantile:0.5'])

    assert drift_values(aggregator, 'unmapped_series') == {
        'raw_name:cache_hit_ratio:rate5m': 1,
        'raw_name:queue_latency_seconds:avg:rate5m': 1,
    }
    assert drift_values(aggregator, 'series_dropped') == {'reason:incomplete_sum': 1}
    aggregator.assert_metric('llm_inference.integration.unmapped_labels', 0, tags=['provider:groq'])
    assert 'named `cache_hit_ratio:rate5m`' in caplog.text
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=['provider:groq', 'outcome:ok'])
    aggregator.assert_metric('llm_inference.integration.series')
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_groq_names_changed_is_a_warning(dd_run_check, aggregator, groq_renamed_engine):
    _, proxy = groq_renamed_engine
    dd_run_check(groq(proxy))
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING
    assert "names changed (seen: `inference_requests:rate1m`, `inference_ttft_seconds:p99:rate5m`)" in sc.message
    assert catalog_values(aggregator) == []
    assert drift_values(aggregator, 'unmapped_series') == {
        'raw_name:inference_requests:rate1m': 3,
        'raw_name:inference_ttft_seconds:p99:rate5m': 1,
    }


def crusoe(proxies, project=CRUSOE_VARIANT_PROJECT, **extra):
    return CRUSOE.check(api_key=CRUSOE_KEY, project_id=project, api_url=proxies[project].url, **extra)


def crusoe_tags(model, *extra):
    return ['provider:crusoe', 'project_id:' + CRUSOE_VARIANT_PROJECT, *model_tags(model), 'service_tier:pt'] + list(
        extra
    )


def test_crusoe_both_spellings_and_millisecond_buckets(dd_run_check, aggregator, crusoe_variant_engine):
    _, proxies = crusoe_variant_engine
    before = len(proxies[CRUSOE_VARIANT_PROJECT].requests)
    dd_run_check(crusoe(proxies))
    assert len(proxies[CRUSOE_VARIANT_PROJECT].requests) - before == 1
    llama, deepseek = 'meta-llama/Llama-3.3-70B-Instruct', 'deepseek-ai/DeepSeek-R1'
    # The `region` label Crusoe's docs do not mention is kept: two regions, two contexts.
    for (model, _), spec in CRUSOE_VARIANT.items():
        for region, rate in spec['regions'].items():
            tags = crusoe_tags(model, 'region:' + region, 'window:5m')
            assert_gauge_close(aggregator, 'llm_inference.requests.rate', rate, tags)
    for q in QUANTILES:
        # Only the curl example's spelling, bounds 10..5000: milliseconds, submitted in seconds.
        ttft = expected_quantile(float(q), MS_TTFT_BOUNDS, MS_TTFT_SHARES) / 1000
        tags = crusoe_tags(llama, 'window:5m', 'quantile:' + q)
        assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', ttft, tags)
        # Per-token latency bounds 1..200: milliseconds too.
        tpot = expected_quantile(float(q), MS_TPOT_BOUNDS, MS_TPOT_SHARES) / 1000
        assert_gauge_close(aggregator, 'llm_inference.time_per_output_token.seconds', tpot, tags)
        # Both spellings: the table's (in seconds) is read, the other is not added to it.
        shares = CRUSOE_VARIANT[(deepseek, 'pt')]['histograms']['crusoe_inference_histogram_first_token_latency'][1]
        value = expected_quantile(float(q), LATENCY_BOUNDS, shares)
        tags = crusoe_tags(deepseek, 'window:5m', 'quantile:' + q)
        assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', value, tags)
    assert len(aggregator.metrics('llm_inference.time_to_first_token.seconds')) == 2 * len(QUANTILES)
    # A name the check does not read, seen by the names query of the same request.
    assert drift_values(aggregator, 'unmapped_series') == {'raw_name:crusoe_inference_queue_depth': 2}
    assert drift_values(aggregator, 'unmapped_labels') == {'label:region': 3}
    aggregator.assert_metric('llm_inference.integration.series_dropped', 0)
    aggregator.assert_metric('llm_inference.integration.requests', 1)
    aggregator.assert_metric('llm_inference.integration.series')
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


@pytest.mark.parametrize('unit', ['seconds', 'milliseconds'])
def test_crusoe_latency_unit_option_overrides_detection(dd_run_check, aggregator, crusoe_variant_engine, unit):
    _, proxies = crusoe_variant_engine
    dd_run_check(crusoe(proxies, latency_unit=unit))
    scale = 1.0 if unit == 'seconds' else 0.001
    llama = crusoe_tags('meta-llama/Llama-3.3-70B-Instruct', 'window:5m', 'quantile:0.5')
    value = expected_quantile(0.5, MS_TTFT_BOUNDS, MS_TTFT_SHARES) * scale
    assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', value, llama)
    deepseek = crusoe_tags('deepseek-ai/DeepSeek-R1', 'window:5m', 'quantile:0.5')
    shares = CRUSOE_VARIANT[('deepseek-ai/DeepSeek-R1', 'pt')]['histograms'][
        'crusoe_inference_histogram_first_token_latency'
    ][1]
    value = expected_quantile(0.5, LATENCY_BOUNDS, shares) * scale
    assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', value, deepseek)


def test_crusoe_exclude_labels(dd_run_check, aggregator, crusoe_variant_engine):
    _, proxies = crusoe_variant_engine
    dd_run_check(crusoe(proxies, exclude_labels=['region']))
    assert_gauge_close(
        aggregator, 'llm_inference.requests.rate', 8.0, crusoe_tags('meta-llama/Llama-3.3-70B-Instruct', 'window:5m')
    )
    assert not [m for m in aggregator.metrics('llm_inference.requests.rate') if any('region' in t for t in m.tags)]


def test_crusoe_names_changed_is_a_warning(dd_run_check, aggregator, crusoe_variant_engine):
    _, proxies = crusoe_variant_engine
    dd_run_check(crusoe(proxies, project=CRUSOE_RENAMED_PROJECT))
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING
    assert 'names changed (seen: `crusoe_llm_requests_total`)' in sc.message
    assert catalog_values(aggregator) == []
