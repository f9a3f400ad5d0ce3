"""The PromQL client, and what only the query checks do over HTTP (the HTTP faults of every provider: test_faults.py),
against a programmable server on 127.0.0.1."""

import json
import logging

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.errors import QueryError, QueryRejected
from datadog_checks.llm_inference.promql_client import decode

from .common import JSON, catalog_values, query_error, vector, model_tags
from .provider_server import Reply
from .test_groq import GROQ
from .test_promql_provider import PROMQL


# --- decode: a pure function ---------------------------------------------------------------------------------------


def test_decode_vector_skips_nan_and_inf():
    body = vector(({'model': 'a'}, '1.5'), ({'model': 'b'}, 'NaN'), ({'model': 'c'}, '+Inf'), ({'model': 'd'}, '-Inf'))
    assert decode(body) == ([({'model': 'a'}, 1.5)], [])


def test_decode_matrix_takes_latest_point():
    body = {
        'status': 'success',
        'data': {
            'resultType': 'matrix',
            'result': [
                {'metric': {'m': 'x'}, 'values': [[1, '1'], [2, '2'], [3, '7.25']]},
                {'metric': {'m': 'empty'}, 'values': []},
            ],
        },
    }
    assert decode(json.dumps(body).encode()) == ([({'m': 'x'}, 7.25)], [])


def test_decode_scalar_string_and_victoriametrics_scalar_as_vector():
    scalar = {'status': 'success', 'data': {'resultType': 'scalar', 'result': [1, '42']}}
    string = {'status': 'success', 'data': {'resultType': 'string', 'result': [1, '3.5']}}
    assert decode(scalar) == ([({}, 42.0)], [])
    assert decode(string) == ([({}, 3.5)], [])
    # VictoriaMetrics answers `vector(1)`-like scalars as a label-less vector.
    assert decode(vector(({}, '1'))) == ([({}, 1.0)], [])


def test_decode_warnings():
    body = json.loads(vector(({'m': 'a'}, '1')))
    body['warnings'] = ['partial response']
    assert decode(body) == ([({'m': 'a'}, 1.0)], ['partial response'])


@pytest.mark.parametrize(
    'body, needle',
    [
        ({'status': 'error', 'errorType': 'bad_data', 'error': 'parse error at char 5'}, '(bad_data): parse error'),
        # VictoriaMetrics: errorType is the HTTP status code as a string, 422 for everything in older versions.
        ({'status': 'error', 'errorType': '422', 'error': 'cannot parse "sum(("'}, '(422): cannot parse'),
    ],
)
def test_decode_error_envelopes(body, needle):
    with pytest.raises(QueryRejected, match=needle.replace('(', r'\(').replace(')', r'\)')):
        decode(body)


@pytest.mark.parametrize(
    'body, needle',
    [
        ('<html><body>Sign in</body></html>', 'not JSON'),
        (b'\xff\xfe\x00', 'not UTF-8'),
        ('[1, 2]', 'not a query API object'),
        ('{"status": "success"}', 'no `data` object'),
        ('{"status": "success", "data": {"resultType": "vector", "result": {}}}', 'not a list'),
        ('{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": 5}]}}', 'pair'),
        (
            '{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "x"]}]}}',
            'not a number',
        ),
        ('{"status": "success", "data": {"resultType": "histogram", "result": []}}', 'resultType'),
        ('{"status": "pending"}', 'status: success'),
        ('', 'not JSON'),
    ],
)
def test_decode_wrong_shapes(body, needle):
    with pytest.raises(QueryError, match=needle):
        decode(body)


# --- the check over HTTP -------------------------------------------------------------------------------------------


def only_service_check(aggregator):
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    return sc


def test_html_from_a_proxy(dd_run_check, aggregator, provider_server):
    provider_server.reply(
        GROQ.path, Reply(200, '<!DOCTYPE html><html><title>Login</title></html>', {'Content-Type': 'text/html'})
    )
    with pytest.raises(Exception, match='not JSON'):
        dd_run_check(GROQ.check(provider_server))
    sc = only_service_check(aggregator)
    assert sc.status == AgentCheck.CRITICAL and 'is `api_url` the query API' in sc.message
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=['provider:groq', 'outcome:invalid_reply'])


def test_empty_result_is_a_warning_not_zeros(dd_run_check, aggregator, provider_server):
    provider_server.reply(GROQ.path, Reply(body=vector(), headers=JSON))
    dd_run_check(GROQ.check(provider_server))
    sc = only_service_check(aggregator)
    assert sc.status == AgentCheck.WARNING and 'no series matched' in sc.message
    assert catalog_values(aggregator) == []


def test_warnings_are_logged(dd_run_check, aggregator, provider_server, caplog):
    body = vector(
        ({'__name__': 'requests:rate1m', 'model': 'm', 'status_code': '200'}, '2'),
        warnings=['some series were dropped'],
    )
    provider_server.reply(GROQ.path, Reply(body=body, headers=JSON))
    with caplog.at_level(logging.WARNING):
        dd_run_check(GROQ.check(provider_server))
    assert 'some series were dropped' in caplog.text
    aggregator.assert_metric('llm_inference.requests.rate', 2, tags=['provider:groq', *model_tags('m'), 'window:1m'])


def test_falls_back_to_one_request_per_query(dd_run_check, aggregator, provider_server):
    """An engine that refuses the combined form gets one request per query, from then on."""
    refused = Reply(400, query_error('unsupported'), JSON)
    provider_server.reply(
        PROMQL.path,
        refused,
        Reply(body=vector(({'model': 'a'}, '3')), headers=JSON),
        Reply(body=vector(({'model': 'a'}, '0.5')), headers=JSON),
        Reply(body=vector(({'model': 'a'}, '4')), headers=JSON),
        Reply(body=vector(({'model': 'a'}, '0.25')), headers=JSON),
    )
    queries = [{'name': 'requests.rate', 'query': 'sum(a)'}, {'name': 'errors.rate', 'query': 'sum(b)'}]
    check = PROMQL.check(provider_server, queries=queries)
    dd_run_check(check)
    assert len(provider_server.requests) == 3
    assert 'label_replace' in provider_server.requests[0].path
    aggregator.assert_metric('llm_inference.requests.rate', 3, tags=['provider:promql', *model_tags('a')])
    aggregator.assert_metric('llm_inference.errors.rate', 0.5, tags=['provider:promql', *model_tags('a')])
    aggregator.reset()
    dd_run_check(check)
    assert len(provider_server.requests) == 5  # no new attempt at the combined form
    aggregator.assert_metric('llm_inference.requests.rate', 4, tags=['provider:promql', *model_tags('a')])


def test_a_refused_user_query_is_named(dd_run_check, aggregator, provider_server):
    refused = Reply(422, query_error('unknown func', error_type='422'), JSON)
    provider_server.reply(PROMQL.path, refused)
    with pytest.raises(Exception, match='`my.bad_query`'):
        dd_run_check(PROMQL.check(provider_server, queries=[{'name': 'my.bad_query', 'query': 'nope(x)'}]))
    assert 'unknown func' in only_service_check(aggregator).message


def test_decode_can_keep_nan_and_inf():
    """The query check reads them (and reports them) rather than summing what is left."""
    body = vector(({'model': 'a'}, '1.5'), ({'model': 'b'}, 'NaN'), ({'model': 'c'}, '+Inf'))
    samples, _ = decode(body, keep_nonfinite=True)
    assert [labels['model'] for labels, _ in samples] == ['a', 'b', 'c']
    assert samples[2][1] == float('inf') and samples[1][1] != samples[1][1]


TWO_STATUSES = vector(
    ({'model': 'a', 'status': '200', 'host': 'gpu-1'}, '3'),
    ({'model': 'a', 'status': '500', 'host': 'gpu-1'}, '1'),
)


def test_user_query_samples_that_would_share_a_context_are_not_submitted(
    dd_run_check, aggregator, provider_server, caplog
):
    """`labels: [model]` keeps one label of two series: without `aggregate`, which would Datadog keep?"""
    provider_server.reply(PROMQL.path, Reply(body=TWO_STATUSES, headers=JSON))
    queries = [{'name': 'requests.rate', 'query': 'x', 'labels': ['model']}]
    with caplog.at_level(logging.WARNING):
        dd_run_check(PROMQL.check(provider_server, queries=queries))
    assert not aggregator.metrics('llm_inference.requests.rate')
    aggregator.assert_metric(
        'llm_inference.integration.series_dropped', 2, tags=['provider:promql', 'reason:collision'], count=1
    )
    assert '2 series of llm_inference.requests.rate would share the tags' in caplog.text
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.WARNING and '2 collision' in sc.message


@pytest.mark.parametrize('aggregate, value', [('sum', 4.0), ('avg', 2.0)])
def test_user_query_aggregate(dd_run_check, aggregator, provider_server, aggregate, value):
    provider_server.reply(PROMQL.path, Reply(body=TWO_STATUSES, headers=JSON))
    queries = [{'name': 'requests.rate', 'query': 'x', 'labels': ['model'], 'aggregate': aggregate}]
    dd_run_check(PROMQL.check(provider_server, queries=queries))
    aggregator.assert_metric('llm_inference.requests.rate', value, tags=['provider:promql', *model_tags('a')], count=1)


def test_user_query_reserved_label_is_renamed_not_dropped(dd_run_check, aggregator, provider_server):
    provider_server.reply(PROMQL.path, Reply(body=TWO_STATUSES, headers=JSON))
    dd_run_check(PROMQL.check(provider_server, queries=[{'name': 'requests.rate', 'query': 'x'}]))
    for status, value in (('200', 3), ('500', 1)):
        aggregator.assert_metric(
            'llm_inference.requests.rate',
            value,
            tags=['provider:promql', *model_tags('a'), 'status:' + status, 'label_host:gpu-1'],
            count=1,
        )


def test_user_query_aggregate_must_be_known():
    with pytest.raises(Exception, match='`aggregate` must be `sum`'):
        LlmInferenceCheck(
            'llm_inference',
            {},
            [
                {
                    'provider': 'promql',
                    'api_url': 'http://x',
                    'queries': [{'name': 'a', 'query': 'x', 'aggregate': 'max'}],
                }
            ],
        )
