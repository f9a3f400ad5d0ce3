"""`provider: promql`: the user's own queries against a real Prometheus and a real VictoriaMetrics."""

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics

from .common import (
    JSON,
    Provider,
    assert_agent_conventions,
    assert_aggregates,
    assert_gauge_close,
    assert_no_drift,
    by_labels,
    counter_rates,
    fault_rows,
    latest_samples,
    model_tags,
)
from .provider_server import Reply
from .test_crusoe import CRUSOE_KEY
from .test_groq import GROQ_KEY, groq_nan, groq_ok

pytestmark = pytest.mark.integration

# This provider's test instance (the shared tests find it as `SETUP`): a user's own query. Expected values are worked
# out here from the raw samples the engines hold (read with plain queries).
PROMQL = Provider(
    'promql', {'queries': [{'name': 'requests.rate', 'query': 'sum by (model) (rate(x[5m]))'}]}, '/prom', query_api=True
)
SETUP = PROMQL


def test_queries_on_prometheus(dd_run_check, aggregator, crusoe_engine):
    engine, proxy = crusoe_engine
    queries = [
        {
            'name': 'requests.rate',
            'query': 'sum by (model_name, service_tier) '
            '(rate(crusoe_inference_request_count{project_id="proj-1"}[5m]))',
            'labels': ['model_name', 'service_tier'],  # keep list
            'rename_labels': {'model_name': 'model'},
            'tags': ['window:5m'],
        },
        {
            'name': 'tokens.output.rate',
            'type': 'rate',
            'query': 'sum(rate(crusoe_inference_output_token_count{project_id="proj-1"}[5m]))',
        },
    ]
    check = PROMQL.check(api_key=CRUSOE_KEY, api_url=proxy.url, queries=queries)
    before = len(proxy.requests)
    dd_run_check(check)
    assert len(proxy.requests) - before == 1
    requests = counter_rates(engine, 'crusoe_inference_request_count{project_id="proj-1"}')
    outputs = counter_rates(engine, 'crusoe_inference_output_token_count{project_id="proj-1"}')
    assert len(requests) == 3
    for (model, tier), rate in by_labels(requests, 'model_name', 'service_tier').items():
        tags = ['provider:promql', *model_tags(model), 'service_tier:' + tier, 'window:5m']
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', rate, tags)
    # `type: rate` submits a rate (the Agent turns successive values into a per-second rate).
    (output,) = aggregator.metrics('llm_inference.tokens.output.rate')
    assert output.type == aggregator.RATE
    assert output.value == pytest.approx(sum(rate for _, rate in outputs))
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=['provider:promql'])


def test_queries_on_victoriametrics(dd_run_check, aggregator, groq_engine):
    engine, proxy = groq_engine
    queries = [{'name': 'requests.rate', 'query': 'sum by (model) (requests:rate1m)', 'tags': ['window:1m']}]
    check = PROMQL.check(api_key=GROQ_KEY, api_url=proxy.url, queries=queries)
    dd_run_check(check)
    totals = by_labels(latest_samples(engine, 'requests:rate1m'), 'model')
    assert len(totals) == 3
    for (model,), total in totals.items():
        assert_gauge_close(
            aggregator, 'llm_inference.requests.rate', total, ['provider:promql', *model_tags(model), 'window:1m']
        )
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=['provider:promql', 'outcome:ok'])
    aggregator.assert_metric('llm_inference.integration.series', 3, tags=['provider:promql'])
    assert_no_drift(aggregator, ['provider:promql'])
    assert_aggregates(aggregator)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)


# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields, and a
# reply of NaN and infinite values with the one finite value it yields.
FAULTS = fault_rows(
    SETUP,
    # A Groq-shaped recorded series: the user's query returns it as is.
    lambda: Reply(body=groq_ok(), headers=JSON),
    ('llm_inference.requests.rate', 4.5, PROMQL.tags + [*model_tags('m1'), 'status_code:200']),
    nan=(groq_nan(), [3.5]),
)
