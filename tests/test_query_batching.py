"""Query mode keeps working (issue 19, points 5 and 6): partial replies, refusals of the combined query, comments,
long queries, one refused user query, keep-list folds. Real VictoriaMetrics and Prometheus where a user has real
parts; a stand-in server where only a stand-in can answer that way (isPartial, a transient 422)."""

import json

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import promql_client
from simulator.groq import GROQ_MODELS, groq_rate
from simulator.query_series import MINUTES

from .common import JSON, assert_gauge_close, model_tags, query_error, vector
from .provider_server import Reply
from .test_crusoe import CRUSOE_KEY
from .test_groq import GROQ, GROQ_KEY
from .test_promql_provider import PROMQL

OK, WARNING, CRITICAL = AgentCheck.OK, AgentCheck.WARNING, AgentCheck.CRITICAL
LATEST = MINUTES - 1


def service_check(aggregator):
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    return sc


def run(dd_run_check, check, proxy):
    before = len(proxy.requests)
    dd_run_check(check)
    return proxy.requests[before:]


def groq_total(model=None):
    return sum(
        groq_rate(m, code, LATEST) for m, spec in GROQ_MODELS.items() if model in (None, m) for code in spec['rates']
    )


# --- comments ------------------------------------------------------------------------------------------------------


def test_strip_comments_keeps_hash_in_strings():
    strip_comments = promql_client.strip_comments
    assert strip_comments('sum(x) # total') == 'sum(x)'
    assert strip_comments('sum(x{a="#1", b=\'#2\', c=`#3\\`}) # c\n+ 1 # d') == (
        'sum(x{a="#1", b=\'#2\', c=`#3\\`}) \n+ 1'
    )
    assert strip_comments('x{a="say \\"#\\" here"}#') == 'x{a="say \\"#\\" here"}'


@pytest.mark.integration
def test_a_trailing_comment_does_not_break_batching(dd_run_check, aggregator, groq_engine):
    _, proxy = groq_engine
    queries = [
        {'name': 'requests.rate', 'query': 'sum(requests:rate1m{model!="#none"}) # every model'},
        {'name': 'errors.rate', 'query': 'count(requests:rate1m)  # series'},
    ]
    check = GROQ.check(api_key=GROQ_KEY, api_url=proxy.url, queries=queries)
    for _ in range(2):
        aggregator.reset()
        assert len(run(dd_run_check, check, proxy)) == 1
    assert_gauge_close(aggregator, 'llm_inference.requests.rate', groq_total(), ['provider:groq'])
    assert service_check(aggregator).status == OK


# --- long queries ----------------------------------------------------------------------------------------------------


def long_queries(count, length):
    """`count` queries of about `length` characters, query i answering i (the padding selects nothing)."""
    return [
        {
            'name': 'requests.rate',
            'query': 'vector({}) or count(pad_metric{{pad="{}"}})'.format(i, 'p' * length),
            'tags': ['part:{}'.format(i)],
        }
        for i in range(count)
    ]


@pytest.mark.integration
@pytest.mark.parametrize('engine', ['victoriametrics', 'prometheus'])
def test_long_combined_queries_go_by_post_and_split(dd_run_check, aggregator, groq_engine, crusoe_engine, engine):
    """30 queries of 2500 characters: by GET, a URL over 64 KiB (HTTP 414) and a query over VictoriaMetrics'
    `-search.maxQueryLen`; instead POST requests of at most MAX_COMBINED characters each, from the budget."""
    from datadog_checks.llm_inference.batching import MAX_COMBINED, split

    _, proxy = groq_engine if engine == 'victoriametrics' else crusoe_engine
    key = GROQ_KEY if engine == 'victoriametrics' else CRUSOE_KEY
    queries = long_queries(30, 2500)
    check = PROMQL.check(api_key=key, api_url=proxy.url, queries=queries, requests_per_minute=6)
    groups = len(split([(i, q['query']) for i, q in enumerate(queries)]))
    assert 1 < groups <= 6 and check.requests_per_run() == groups
    sent = run(dd_run_check, check, proxy)
    assert [method for method, _ in sent] == ['POST'] * groups
    assert service_check(aggregator).status == OK
    for i in range(30):
        aggregator.assert_metric(
            'llm_inference.requests.rate', i, tags=['provider:promql', 'part:{}'.format(i)], count=1
        )
    aggregator.assert_metric('llm_inference.integration.requests', groups, tags=['provider:promql', 'outcome:ok'])
    assert MAX_COMBINED < 16384  # VictoriaMetrics' default -search.maxQueryLen


# --- one refused user query ------------------------------------------------------------------------------------------


@pytest.mark.integration
def test_one_refused_user_query_is_left_out_and_named(dd_run_check, aggregator, groq_engine, clock):
    _, proxy = groq_engine
    queries = [
        {'name': 'errors.rate', 'query': 'no_such_function(requests:rate1m)'},
        {'name': 'requests.rate', 'query': 'sum(requests:rate1m)'},
    ]
    check = GROQ.check(api_key=GROQ_KEY, api_url=proxy.url, queries=queries)
    # The combined query is refused; each query alone: the bad one refused, the catalog and the other answered.
    assert len(run(dd_run_check, check, proxy)) == 4
    sc = service_check(aggregator)
    assert sc.status == WARNING and 'query `errors.rate` was refused and left out' in sc.message
    assert 'no_such_function' in sc.message and 'Fix or remove it in `queries`' in sc.message
    assert_gauge_close(aggregator, 'llm_inference.requests.rate', groq_total(), ['provider:groq'])
    model = next(iter(GROQ_MODELS))
    assert_gauge_close(
        aggregator, 'llm_inference.requests.rate', groq_total(model), ['provider:groq', *model_tags(model), 'window:1m']
    )
    # The next runs combine the others in one request, and still say what is left out.
    for _ in range(2):
        clock.t += 60
        aggregator.reset()
        assert len(run(dd_run_check, check, proxy)) == 1
        sc = service_check(aggregator)
        assert sc.status == WARNING and '`errors.rate`' in sc.message
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', groq_total(), ['provider:groq'])
    # A while later it is tried again.
    clock.t += 15 * 60
    aggregator.reset()
    assert len(run(dd_run_check, check, proxy)) == 4
    assert '`errors.rate`' in service_check(aggregator).message


# --- refusals of the combined query ----------------------------------------------------------------------------------

GOOD = Reply(
    body=vector(({'model': 'a', 'llm_inference_query': '0'}, '3'), ({'model': 'a', 'llm_inference_query': '1'}, '1')),
    headers=JSON,
)
TWO = [{'name': 'requests.rate', 'query': 'sum(a)'}, {'name': 'errors.rate', 'query': 'sum(b)'}]


def test_a_transient_refusal_of_the_combined_query_is_retried_combined(
    dd_run_check, aggregator, provider_server, clock
):
    timeout = Reply(422, query_error('cannot execute query: timeout exceeded', error_type='422'), JSON)
    single = Reply(body=vector(({'model': 'a'}, '2')), headers=JSON)
    provider_server.reply(PROMQL.path, timeout, single, single, GOOD, GOOD)
    check = PROMQL.check(provider_server, queries=TWO, requests_per_minute=6)
    dd_run_check(check)
    assert len(provider_server.requests) == 3
    assert service_check(aggregator).status == OK
    for _ in range(2):
        clock.t += 60
        aggregator.reset()
        dd_run_check(check)
        assert 'label_replace' in provider_server.requests[-1].path
        aggregator.assert_metric('llm_inference.requests.rate', 3, tags=['provider:promql', *model_tags('a')])
        aggregator.assert_metric('llm_inference.errors.rate', 1, tags=['provider:promql', *model_tags('a')])
    assert len(provider_server.requests) == 5


def test_an_engine_that_cannot_combine_is_asked_again_later(dd_run_check, aggregator, provider_server, clock):
    refused = Reply(400, query_error('unsupported'), JSON)
    single = Reply(body=vector(({'model': 'a'}, '2')), headers=JSON)
    provider_server.reply(PROMQL.path, refused, *[single] * 6, GOOD)
    check = PROMQL.check(provider_server, queries=TWO, requests_per_minute=6)
    for _ in range(3):  # the refusal, then one request per query for an hour
        dd_run_check(check)
        clock.t += 20 * 60
    assert len(provider_server.requests) == 7
    assert all('label_replace' not in r.path for r in provider_server.requests[1:])
    aggregator.reset()
    dd_run_check(check)
    assert len(provider_server.requests) == 8 and 'label_replace' in provider_server.requests[-1].path
    aggregator.assert_metric('llm_inference.requests.rate', 3, tags=['provider:promql', *model_tags('a')])


# --- partial replies -------------------------------------------------------------------------------------------------


def partial(body):
    reply = json.loads(body)
    reply['isPartial'] = True
    return json.dumps(reply)


def test_a_partial_reply_is_not_submitted_as_complete(dd_run_check, aggregator, provider_server):
    body = vector(
        ({'__name__': 'requests:rate1m', 'model': 'm', 'status_code': '200'}, '2'),
        ({'__name__': 'requests:rate1m', 'model': 'm', 'status_code': '500'}, '1'),
    )
    provider_server.reply(GROQ.path, Reply(body=partial(body), headers=JSON), Reply(body=body, headers=JSON))
    check = GROQ.check(provider_server)
    dd_run_check(check)
    sc = service_check(aggregator)
    assert (
        sc.status == WARNING and '`isPartial: true`' in sc.message and 'its 2 series were not submitted' in sc.message
    )
    assert not aggregator.metrics('llm_inference.requests.rate')
    aggregator.assert_metric(
        'llm_inference.integration.series_dropped', 2, tags=['provider:groq', 'reason:partial_reply'], count=1
    )
    aggregator.assert_metric(
        'llm_inference.integration.requests', 1, tags=['provider:groq', 'outcome:partial_reply'], count=1
    )
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    aggregator.reset()
    dd_run_check(check)  # a complete reply again: collected, OK
    assert service_check(aggregator).status == OK
    aggregator.assert_metric('llm_inference.requests.rate', 3, tags=['provider:groq', *model_tags('m'), 'window:1m'])


def test_a_partial_reply_to_one_query_leaves_only_that_one_out(dd_run_check, aggregator, provider_server):
    refused = Reply(400, query_error('unsupported'), JSON)
    good = Reply(body=vector(({'model': 'a'}, '3')), headers=JSON)
    provider_server.reply(PROMQL.path, refused, good, Reply(body=partial(vector(({'model': 'a'}, '1'))), headers=JSON))
    dd_run_check(PROMQL.check(provider_server, queries=TWO))
    sc = service_check(aggregator)
    assert sc.status == WARNING and '`isPartial: true`' in sc.message and '`errors.rate`' in sc.message
    aggregator.assert_metric('llm_inference.requests.rate', 3, tags=['provider:promql', *model_tags('a')], count=1)
    assert not aggregator.metrics('llm_inference.errors.rate')


# --- keep-list folds --------------------------------------------------------------------------------------------------


@pytest.mark.integration
def test_a_keep_list_fold_sums_a_count(dd_run_check, aggregator, groq_engine):
    _, proxy = groq_engine
    queries = [{'name': 'tokens.output.rate', 'query': 'requests:rate1m', 'type': 'count', 'labels': ['model']}]
    dd_run_check(PROMQL.check(api_key=GROQ_KEY, api_url=proxy.url, queries=queries))
    for model in GROQ_MODELS:
        found = [m for m in aggregator.metrics('llm_inference.tokens.output.rate') if 'model:' + model in m.tags]
        assert len(found) == 1 and found[0].value == pytest.approx(groq_total(model))
    assert service_check(aggregator).status == OK


@pytest.mark.integration
def test_a_keep_list_fold_of_a_gauge_names_the_labels_to_keep(dd_run_check, aggregator, groq_engine):
    _, proxy = groq_engine
    queries = [
        {'name': 'tokens.output.rate', 'query': 'requests:rate1m', 'labels': ['model']},
        {'name': 'requests.rate', 'query': 'sum(requests:rate1m)'},
    ]
    dd_run_check(PROMQL.check(api_key=GROQ_KEY, api_url=proxy.url, queries=queries))
    sc = service_check(aggregator)
    assert sc.status == WARNING
    assert 'query `tokens.output.rate`: `labels` keeps model but series differ in `status_code`' in sc.message
    assert 'Add status_code to `labels`, or set `aggregate`' in sc.message
    # A model of one status code folds nothing: its series is submitted; the others are not.
    submitted = {
        t[6:] for m in aggregator.metrics('llm_inference.tokens.output.rate') for t in m.tags if t[:6] == 'model:'
    }
    assert submitted == {model for model, spec in GROQ_MODELS.items() if len(spec['rates']) == 1} != set(GROQ_MODELS)
    assert_gauge_close(aggregator, 'llm_inference.requests.rate', groq_total(), ['provider:promql'])
