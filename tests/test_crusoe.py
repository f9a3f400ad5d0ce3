"""Crusoe against a real Prometheus holding Crusoe's own series, behind Crusoe's URL path and key check."""

import logging

import pytest

from datadog_checks.base import AgentCheck, ConfigurationError
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.providers.crusoe import CrusoeCheck
from simulator.crusoe import CRUSOE_HISTOGRAMS, CRUSOE_MODELS, LATENCY_BOUNDS

from .common import (
    aggregate_series,
    assert_aggregates,
    CRUSOE,
    CRUSOE_KEY,
    CRUSOE_PROJECT,
    JSON,
    assert_agent_conventions,
    assert_gauge_close,
    assert_no_drift,
    assert_reply_identity,
    fault_rows,
    model_tags,
    vector,
)
from .provider_server import Reply
from .reference import expected_quantile

pytestmark = pytest.mark.integration
RATES = {'requests': 'requests.rate', 'input': 'tokens.input.rate', 'output': 'tokens.output.rate'}
QUANTILES = {
    'crusoe_inference_histogram_first_token_latency': 'time_to_first_token.seconds',
    'crusoe_inference_histogram_output_token_latency': 'time_per_output_token.seconds',
}


def run(dd_run_check, proxy, **extra):
    check = CRUSOE.check(api_key=CRUSOE_KEY, api_url=proxy.url, **extra)
    assert isinstance(check, CrusoeCheck)
    before = len(proxy.requests)
    dd_run_check(check)
    return len(proxy.requests) - before


def test_catalog_in_one_request(dd_run_check, aggregator, crusoe_engine):
    _, proxy = crusoe_engine
    assert run(dd_run_check, proxy) == 1
    for (model, tier), spec in CRUSOE_MODELS.items():
        base = [
            'provider:crusoe',
            'project_id:' + CRUSOE_PROJECT,
            *model_tags(model),
            'service_tier:' + tier,
            'window:5m',
        ]
        for key, name in RATES.items():
            # The counters grow linearly: rate() is the per-second increase whatever the window.
            assert_gauge_close(aggregator, 'llm_inference.' + name, spec[key], base, rel=1e-6)
        for family, name in QUANTILES.items():
            for q in ('0.5', '0.9', '0.95', '0.99'):
                value = expected_quantile(float(q), LATENCY_BOUNDS, CRUSOE_HISTOGRAMS[model, tier][family])
                assert_gauge_close(aggregator, 'llm_inference.' + name, value, base + ['quantile:' + q], rel=1e-6)
    tags = ['provider:crusoe', 'project_id:' + CRUSOE_PROJECT]
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=tags + ['outcome:ok'])
    aggregator.assert_metric('llm_inference.integration.series', 3 * (3 + 8) + aggregate_series(aggregator), tags=tags)
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=tags, count=1)
    assert_no_drift(aggregator, tags)
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)


def test_user_queries_join_the_batch(dd_run_check, aggregator, crusoe_engine):
    _, proxy = crusoe_engine
    queries = [
        {
            'name': 'requests.running',
            'query': 'count by (model_name) (crusoe_inference_request_count{project_id="proj-1"})',
            'rename_labels': {'model_name': 'model'},
        }
    ]
    assert run(dd_run_check, proxy, queries=queries) == 1
    aggregator.assert_metric(
        'llm_inference.requests.running',
        2,
        tags=['provider:crusoe', 'project_id:proj-1', *model_tags('meta-llama/Llama-3.3-70B-Instruct')],
        count=1,
    )
    aggregator.assert_metric(
        'llm_inference.requests.running',
        1,
        tags=['provider:crusoe', 'project_id:proj-1', *model_tags('deepseek-ai/DeepSeek-R1')],
    )


def test_needs_project_id():
    with pytest.raises(ConfigurationError, match='`project_id`'):
        LlmInferenceCheck('llm_inference', {}, [{'provider': 'crusoe', 'api_key': 'k'}])


def test_default_url():
    check = LlmInferenceCheck('llm_inference', {}, [{'provider': 'crusoe', 'api_key': 'k', 'project_id': 'p-9'}])
    assert check.client.url == 'https://api.crusoecloud.com/v1alpha5/projects/p-9/metrics/timeseries/api/v1/query'
    assert CRUSOE.base.endswith('/metrics/timeseries')


# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields.
def crusoe_ok():
    # Part 0 of the combined query is the request rate (label_replace marks each part).
    return vector(({'model_name': 'm1', 'service_tier': 'pt', 'llm_inference_query': '0'}, '2.5'))


ANOTHER_PROJECT = (
    "crusoe: `project_id` is `proj-1`, but the reply's series are of project_id `proj-2` (their `project_id` label): "
    "fix `project_id` (or `api_url`, which chose this reply). Collected as configured: every point is tagged "
    "`project_id:proj-1`, the reply's id kept as `label_project_id`."
)


@pytest.mark.parametrize(
    'project, user_project, message',
    [
        (CRUSOE_PROJECT, None, None),
        ('proj-2', None, ANOTHER_PROJECT),
        # A user's own query may read other projects: its labels are the user's, not the reply's identity.
        (CRUSOE_PROJECT, 'proj-2', None),
    ],
)
def test_a_reply_of_another_project_is_a_warning_naming_both(
    dd_run_check, aggregator, provider_server, caplog, project, user_project, message
):
    """The queries select the instance's project; an `api_url` that answers with another's (a proxy that ignores
    the selector) is collected under `project_id`, the reply's kept apart, and the run says so."""
    user = {'name': 'requests.running', 'query': 'count by (project_id) (crusoe_inference_request_count)'}
    check = CRUSOE.check(provider_server, queries=[user] if user_project else [])
    series = [({'model_name': 'm1', 'service_tier': 'pt', 'project_id': project, 'llm_inference_query': '0'}, '2.5')]
    if user_project:  # the last part of the combined query
        series.append(({'project_id': user_project, 'llm_inference_query': str(len(check.queries) - 1)}, '1'))
    provider_server.reply(CRUSOE.path, Reply(body=vector(*series), headers=JSON))
    with caplog.at_level(logging.WARNING):
        dd_run_check(check)

    base = CRUSOE.tags
    kept = ['label_project_id:proj-2'] if message else []
    aggregator.assert_metric(
        'llm_inference.requests.rate', 2.5, tags=base + [*model_tags('m1'), 'service_tier:pt', 'window:5m', *kept]
    )
    if user_project:
        aggregator.assert_metric('llm_inference.requests.running', 1, tags=base + ['label_project_id:proj-2'], count=1)
    assert_reply_identity(aggregator, caplog, base, base[1], 2 if user_project else 1, message)


FAULTS = fault_rows(
    CRUSOE,
    lambda: Reply(body=crusoe_ok(), headers=JSON),
    ('llm_inference.requests.rate', 2.5, CRUSOE.tags + [*model_tags('m1'), 'service_tier:pt', 'window:5m']),
    **{'404': (AgentCheck.CRITICAL, '`project_id`')},
)
