"""The shipped dashboards, monitors and SLOs show what their titles say (DESIGN.md, "Numbers that stay true when
aggregated"): evaluated (query_eval.py) over what the check emits for every provider, no percentile is averaged, summed
or min-ed across series (the worst series, `max`, only under a title that says so), no error share divides by the
requests of a provider that reports no errors, and each SLO's SLI is the share of requests it names."""

import json
import os

import pytest

from datadog_checks.llm_inference import cumulative
from datadog_checks.llm_inference.assets import build, objectives, paths
from datadog_checks.llm_inference.bucket_outputs import DEFAULT_OBJECTIVES
from datadog_checks.llm_inference.providers import PROVIDERS

from .common import fixture_text
from .provider_server import Reply
from .query_eval import (
    ERRORS,
    Filter,
    Point,
    QueryError,
    Request,
    dashboard_requests,
    evaluate,
    monitor_request,
    monitor_requests,
    points_of,
    problems,
    slo_request,
)
from .test_baseten import BASETEN
from .test_cerebras import CEREBRAS
from .test_crusoe import CRUSOE, CRUSOE_KEY
from .test_fireworks import FIREWORKS
from .test_groq import GROQ, GROQ_KEY
from .test_together import TOGETHER
from .test_wafer import WAFER

FACTS = build.Facts(PROVIDERS)
REPORTING = FACTS.error_providers


def point(metric, value, *tags):
    return Point('llm_inference.' + metric, value, frozenset(tags))


def shipped_requests():
    requests = []
    for path in paths('dashboards'):
        with open(path, encoding='utf-8') as f:
            requests += dashboard_requests(os.path.basename(path), json.load(f))
    for path in paths('monitors'):
        with open(path, encoding='utf-8') as f:
            requests += monitor_requests(os.path.basename(path), json.load(f))
    for path in paths('slos'):
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        requests.append(slo_request(os.path.basename(path), data['slo']))
        for monitor in data['burn_rate_monitors'].values():  # they read no metric, but must be of a known type
            requests += monitor_requests(os.path.basename(path), {'definition': monitor})
    return requests


def shipped_slos():
    """{SLO file: its SLO as a request, whose one formula is its SLI}."""
    found = {}
    for path in paths('slos'):
        with open(path, encoding='utf-8') as f:
            found[os.path.basename(path)[: -len('.json')]] = slo_request(path, json.load(f)['slo'])
    return found


def sli(request, points):
    """An SLO's SLI over `points` (None: no value)."""
    (formula,) = request.formulas
    return evaluate(request.queries, [formula], points).values[formula].get(())


# --- the evaluator, on points written here ---------------------------------------------------------------------------

# Two deployments of one model with different p99s, and a provider (wafer) that reports no errors.
POINTS = [
    point('time_to_first_token.seconds', 0.4, 'provider:fireworks', 'model:m', 'deployment:a', 'quantile:0.99'),
    point('time_to_first_token.seconds', 2.0, 'provider:fireworks', 'model:m', 'deployment:b', 'quantile:0.99'),
    point('time_to_first_token.seconds', 0.1, 'provider:fireworks', 'model:m', 'deployment:a', 'quantile:0.5'),
    point('requests.rate', 10.0, 'provider:fireworks', 'model:m', 'deployment:a'),
    point('errors.rate', 1.0, 'provider:fireworks', 'model:m', 'deployment:a', 'status_code:500'),
    point('requests.rate', 30.0, 'provider:groq', 'model:m'),
    point('errors.rate', 2.0, 'provider:groq', 'model:m', 'status_code:429'),
    point('errors.rate', 1.0, 'provider:groq', 'model:m', 'status_code:500'),
    point('requests.rate', 60.0, 'provider:wafer', 'model:m', 'deployment:w'),
]
TTFT = 'llm_inference.time_to_first_token.seconds{$provider,$model,quantile:0.99} by {provider,model}'


def test_a_percentile_averaged_across_deployments_is_found():
    evaluation = evaluate({'query1': 'avg:' + TTFT}, ['query1'], POINTS)
    assert evaluation.values['query1'] == {('fireworks', 'm'): pytest.approx(1.2)}  # no p99 of anything
    (fold,) = evaluation.folds
    assert fold.agg == 'avg' and fold.key == ('fireworks', 'm') and len(fold.series) == 2
    assert problems(Request('w', 'TTFT p99', {'query1': 'avg:' + TTFT}, ('query1',)), POINTS, REPORTING)
    # Grouped by deployment, each group is one series: its own p99.
    one = 'avg:llm_inference.time_to_first_token.seconds{quantile:0.99} by {provider,model,deployment}'
    assert evaluate({'query1': one}, ['query1'], POINTS).values['query1'] == {
        ('fireworks', 'm', 'a'): 0.4,
        ('fireworks', 'm', 'b'): 2.0,
    }
    assert not problems(Request('w', 'TTFT p99', {'query1': one}, ('query1',)), POINTS, REPORTING)


@pytest.mark.parametrize('agg', ['sum', 'min'])
def test_a_percentile_summed_or_min_ed_is_found(agg):
    request = Request('w', 'TTFT p99, worst deployment', {'query1': agg + ':' + TTFT}, ('query1',))
    assert problems(request, POINTS, REPORTING)  # "worst" in the title does not excuse another fold


def test_the_worst_series_only_under_a_title_that_says_so():
    evaluation = evaluate({'query1': 'max:' + TTFT}, ['query1'], POINTS)
    assert evaluation.values['query1'] == {('fireworks', 'm'): 2.0}
    assert problems(Request('w', 'TTFT p99', {'query1': 'max:' + TTFT}, ('query1',)), POINTS, REPORTING)
    titled = Request('w', 'TTFT p99, worst deployment', {'query1': 'max:' + TTFT}, ('query1',))
    assert not problems(titled, POINTS, REPORTING)


def test_an_error_share_over_providers_without_errors_is_found():
    everyone = {
        'query1': 'sum:llm_inference.errors.rate{$provider,$model}',
        'query2': 'sum:llm_inference.requests.rate{$provider,$model}',
    }
    formula = 'query1 / query2 * 100'
    assert evaluate(everyone, [formula], POINTS).values[formula] == {(): pytest.approx(4 / 100 * 100)}
    (found,) = problems(Request('w', 'Error share', everyone, (formula,)), POINTS, ['fireworks', 'groq'])
    assert "['wafer']" in found
    reporting = {name: text.replace('$model}', '$model AND provider IN (fireworks, groq)}').replace(
        '$provider,', '$provider AND ') for name, text in everyone.items()}
    assert evaluate(reporting, [formula], POINTS).values[formula] == {(): pytest.approx(4 / 40 * 100)}
    assert not problems(Request('w', 'Error share', reporting, (formula,)), POINTS, ['fireworks', 'groq'])


def test_formulas_join_groups_and_a_missing_member_is_no_value():
    queries = {
        'query1': 'sum:llm_inference.errors.rate{*} by {provider}',
        'query2': 'sum:llm_inference.requests.rate{*} by {provider}',
    }
    values = evaluate(queries, ['query1 / (query2 * 2) * 100'], POINTS).values['query1 / (query2 * 2) * 100']
    assert values == {('fireworks',): pytest.approx(5.0), ('groq',): pytest.approx(5.0)}  # no wafer: no errors


def test_default_zero_makes_a_missing_sparse_gauge_zero():
    # Wafer sends no error series: errors subtracted from its requests give no value, unless missing means 0.
    queries = {
        'query1': 'sum:llm_inference.requests.rate{provider:wafer}',
        'query2': 'default_zero(sum:llm_inference.errors.rate{provider:wafer})',
    }
    assert evaluate(queries, ['query1 - query2'], POINTS).values['query1 - query2'] == {(): 60.0}
    plain = dict(queries, query2='sum:llm_inference.errors.rate{provider:wafer}')
    assert evaluate(plain, ['query1 - query2'], POINTS).values['query1 - query2'] == {}
    # Where the group has a value, it is that value.
    groq = {name: text.replace('wafer', 'groq') for name, text in queries.items()}
    assert evaluate(groq, ['query1 - query2'], POINTS).values['query1 - query2'] == {(): 27.0}


def test_an_slo_is_read_as_its_numerator_over_its_denominator():
    requests, errors = 'sum:llm_inference.requests.rate{$s}', 'sum:llm_inference.errors.rate{$s}'
    slo = {
        'name': 'Availability',
        'type': 'metric',
        'query': {'numerator': '{} - default_zero({})'.format(requests, errors), 'denominator': requests},
    }
    request = slo_request('a.json', slo)
    assert request.formulas == ('(query1 - query2) / (query3)',) and request.title == 'Availability'
    assert request.queries == {'query1': requests, 'query2': 'default_zero({})'.format(errors), 'query3': requests}
    # Over every provider, Wafer's requests count as served: the share the error-scope check refuses.
    assert sli(request, POINTS) == pytest.approx((100 - 4) / 100)
    found = problems(request, POINTS, ['fireworks', 'groq'])
    assert len(found) == 2 and all("['wafer']" in text for text in found)  # numerator and denominator
    with pytest.raises(QueryError):
        slo_request('m.json', {'name': 'm', 'type': 'monitor', 'monitor_ids': [1]})


def test_filters_in_either_syntax():
    tags = frozenset({'provider:wafer', 'status_class:5xx'})
    assert Filter('provider:wafer,!status_class:2xx').test(tags)
    assert Filter('$deployment AND status_class IN (4xx, 5xx)').test(tags)
    assert not Filter('provider:wafer AND status_class NOT IN (4xx, 5xx)').test(tags)
    assert Filter('(provider:groq OR provider:wafer) AND NOT status_class:2xx').test(tags)
    assert Filter('$a AND b IN (c, d)').keys == {'a', 'b'}
    for bad in ('provider:wafer AND !status_class:2xx', 'provider:wafer, status_class IN (5xx)', 'provider'):
        with pytest.raises(QueryError):
            Filter(bad)


def test_what_it_cannot_read_is_an_error():
    # p99: is read, but evaluated only once the check submits distributions (issue 20, point 4).
    for bad in ('avg:llm_inference.x{*}.fill(zero)', 'top(avg:llm_inference.x{*} by {a}, 5)', 'p99:llm_inference.x{*}'):
        with pytest.raises(QueryError):
            evaluate({'query1': bad}, ['query1'], POINTS)
    with pytest.raises(QueryError):
        evaluate({'query1': 'sum:llm_inference.x{*} by {a}', 'query2': 'sum:llm_inference.x{*}'}, ['query1/query2'], [])


def test_distribution_percentiles_are_those_of_every_bucket_of_the_group():
    d = 'distribution.time_to_first_token.seconds'
    points = [  # deployment a: 10 requests in (0, 1]; b: 10 in (1, 2] and 10 in (2, +Inf)
        point(d, (0.0, 1.0, 10), 'provider:fireworks', 'model:m', 'deployment:a'),
        point(d, (1.0, 2.0, 10), 'provider:fireworks', 'model:m', 'deployment:b'),
        point(d, (2.0, float('inf'), 10), 'provider:fireworks', 'model:m', 'deployment:b'),
    ]
    evaluation = evaluate({'query1': 'p50:llm_inference.' + d + '{*} by {model}'}, ['query1'], points)
    assert evaluation.values['query1'] == {('m',): pytest.approx(1.5)} and evaluation.folds == []
    evaluation = evaluate({'query1': 'p99:llm_inference.' + d + '{deployment:a} by {model}'}, ['query1'], points)
    assert evaluation.values['query1'] == {('m',): pytest.approx(0.99)}
    with pytest.raises(QueryError):  # a distribution read as a gauge
        evaluate({'query1': 'avg:llm_inference.' + d + '{*}'}, ['query1'], points)


def test_monitor_queries():
    queries, formulas = monitor_request(
        'change(avg(last_10m),last_10m):sum:llm_inference.requests.queued{*} by {provider,deployment} > 20'
    )
    assert queries == {'query1': 'sum:llm_inference.requests.queued{*} by {provider,deployment}'}
    assert formulas == ['query1']
    text = 'avg(last_5m):sum:llm_inference.a{*} by {p} / sum:llm_inference.b{*} by {p} >= 1'
    queries, formulas = monitor_request(text)
    assert formulas == ['query1 / query2'] and len(queries) == 2


# --- declarations ----------------------------------------------------------------------------------------------------


def test_providers_that_map_an_error_rate_declare_they_report_errors():
    for name, cls in PROVIDERS.items():
        targets = set()
        for specs in getattr(cls, 'METRIC_MAP', {}).values():
            for spec in specs if isinstance(specs, tuple) else (specs,):
                targets.add(spec.name)
        if 'errors.rate' in targets:
            assert getattr(cls, 'REPORTS_ERRORS', False), name
    assert FACTS.error_scope == 'provider IN ({})'.format(', '.join(REPORTING))


def test_the_error_scope_follows_the_declarations():
    class Quiet:
        PROVIDER, TITLE, IDENTITY_TAGS, WINDOWS, DEFAULT_REQUESTS_PER_MINUTE = 'quiet', 'Quiet', {}, None, 0

    class Loud(Quiet):
        PROVIDER, TITLE, REPORTS_ERRORS = 'loud', 'Loud', True

    facts = build.Facts({'quiet': Quiet, 'loud': Loud})
    assert (facts.error_scope, facts.error_titles) == ('provider IN (loud)', 'Loud')
    # None reports errors: a filter that matches nothing (no share), never every provider's requests.
    facts = build.Facts({'quiet': Quiet})
    assert (facts.error_scope, facts.error_titles) == ('provider IN (none)', 'no provider')


def test_a_template_variable_the_dashboard_does_not_declare_is_an_error():
    widget = {'type': 'timeseries', 'title': 't', 'requests': [{'queries': [], 'formulas': [{'formula': 'query1'}]}]}
    widget['requests'][0]['queries'].append(
        {'data_source': 'metrics', 'name': 'query1', 'query': 'avg:llm_inference.x{$region} by {a}'}
    )
    dashboard = {'template_variables': [{'name': 'provider'}], 'widgets': [{'definition': widget}]}
    with pytest.raises(QueryError, match='region'):
        dashboard_requests('d', dashboard)


# --- every shipped asset over what the check emits for every provider ------------------------------------------------


# The bucket providers submit distributions too, so the widgets that read them are evaluated over them.
DISTRIBUTIONS = {'latency_distributions': True}


def run(dd_run_check, aggregator, check):
    aggregator.reset()
    dd_run_check(check)
    found = points_of(aggregator)
    aggregator.reset()
    return found


def wafer_runs(dd_run_check, aggregator, provider_server, texts, model):
    """Wafer endpoints serving `model`, one instance each, `texts`: {endpoint: its reply}."""
    found = []
    for endpoint, text in texts.items():
        provider_server.reply(WAFER.path, Reply(body=text))
        found += run(dd_run_check, aggregator, WAFER.check(provider_server, endpoint=endpoint, model=model))
    return found


def two_scrapes(dd_run_check, aggregator, provider_server, setup, bodies, scheme='Bearer'):
    """A cumulative provider's instance scraped once a minute over `bodies` (its rates and quantiles are made of two
    scrapes)."""
    provider_server.scheme = scheme
    check = setup.check(provider_server)
    at = [0.0]
    check.cumulative = cumulative.CumulativeState(lambda: at[0])  # a minute between the scrapes
    found = []
    for body in bodies:
        provider_server.reply(setup.path, Reply(body=body))
        found += run(dd_run_check, aggregator, check)
        at[0] += 60
    provider_server.scheme = 'Bearer'
    return found


def baseten_runs(dd_run_check, aggregator, provider_server, text=None):
    """A Baseten organization scraped twice."""
    from .test_baseten import FIRST, SECOND, payload

    bodies = [payload(values, text) for values in (FIRST, SECOND)]
    return two_scrapes(dd_run_check, aggregator, provider_server, BASETEN, bodies, scheme='Api-Key')


def together_runs(dd_run_check, aggregator, provider_server, text=None):
    """A Together AI organization scraped twice."""
    from .test_together import FIRST, SECOND, payload

    bodies = [payload(values, text) for values in (FIRST, SECOND)]
    return two_scrapes(dd_run_check, aggregator, provider_server, TOGETHER, bodies)


@pytest.fixture
def organizations(dd_run_check, aggregator, provider_server, groq_engine, groq_old_engine, crusoe_engine):
    """Three Datadog organizations, each with every provider: the documented shapes; the shapes live payloads show
    (a deployment per region, a model label on Wafer series, Groq's older bucket names); and one model served by
    several Fireworks deployments and Wafer endpoints, with different latencies."""

    def fireworks(text):
        provider_server.reply(FIREWORKS.path, Reply(body=text))
        return run(dd_run_check, aggregator, FIREWORKS.check(provider_server, **DISTRIBUTIONS))

    def groq(engine):
        return run(dd_run_check, aggregator, GROQ.check(api_key=GROQ_KEY, api_url=engine[1].url, **DISTRIBUTIONS))

    def cerebras(text):
        provider_server.reply(CEREBRAS.path, Reply(body=text))
        return run(dd_run_check, aggregator, CEREBRAS.check(provider_server))

    crusoe = run(
        dd_run_check, aggregator, CRUSOE.check(api_key=CRUSOE_KEY, api_url=crusoe_engine[1].url, **DISTRIBUTIONS)
    )
    documented_cerebras = fixture_text('cerebras.txt')
    # The guide's `statistic` label, failures by code, and a second endpoint that is down.
    status = 'inference_endpoint_status{endpoint="model",organization_id="org_abc123"} '
    down = documented_cerebras.replace(status + '1.0', status + '0').replace('endpoint="model"', 'endpoint="model-b"')
    live_cerebras = documented_cerebras.replace('percentile="', 'statistic="').replace(
        'requests_failure_total{endpoint="model",organization_id="org_abc123"} 0.0',
        'requests_failure_total{endpoint="model",organization_id="org_abc123",code="500"} 1.0',
    ) + ''.join(line + '\n' for line in down.splitlines() if line and not line.startswith('#'))
    # A second Baseten deployment whose replicas all came up; a Together deployment in a second region, a label added.
    baseten = fixture_text('baseten.txt')
    starting = 'baseten_replicas_starting{model_id="mdl-a1",model_name="llama-3.3-70b",deployment_id="dep-1"} 1'
    assert starting in baseten
    live_baseten = baseten + starting.replace('dep-1', 'dep-2')[:-1] + '0\n'
    together = fixture_text('together.txt')
    live_together = together + ''.join(
        line.replace('us-central-1', 'eu-west-1') + '\n' for line in together.splitlines() if line.startswith('edge_')
    ).replace('deployment_id="dep_a1"', 'deployment_id="dep_a1",zone="b"')
    llama = 'meta-llama/Llama-3.3-70B-Instruct'
    wafer, variants = fixture_text('wafer.txt'), fixture_text('wafer_variants.txt')
    slower = wafer.replace('acme-llama.wafer.ai', 'acme-llama-eu.wafer.ai').replace('} 1.92', '} 3.84')
    typed = fixture_text('fireworks_typed.txt')
    # dsv3-batch also serves the llama model, with fewer fast first tokens than llama70b-prod
    several = '\n'.join(
        line.replace('models/deepseek-v3', 'models/llama-v3p1-70b-instruct').replace('"100"} 1.1375', '"100"} 0.5')
        if line.startswith('latency_to_first_token') or 'deepseek' in line
        else line
        for line in typed.splitlines()
    )
    return {
        'documented': fireworks(typed)
        + wafer_runs(dd_run_check, aggregator, provider_server, {'acme-llama.wafer.ai': wafer}, llama)
        + groq(groq_engine)
        + crusoe
        + cerebras(documented_cerebras)
        + baseten_runs(dd_run_check, aggregator, provider_server)
        + together_runs(dd_run_check, aggregator, provider_server),
        'live shapes': fireworks(fixture_text('fireworks_live.txt'))
        + wafer_runs(dd_run_check, aggregator, provider_server, {'acme-llama.wafer.ai': variants}, llama)
        + groq(groq_old_engine)
        + crusoe
        + cerebras(live_cerebras)
        + baseten_runs(dd_run_check, aggregator, provider_server, live_baseten)
        + together_runs(dd_run_check, aggregator, provider_server, live_together),
        'one model, several deployments': fireworks(several + '\n')
        + wafer_runs(
            dd_run_check,
            aggregator,
            provider_server,
            {'acme-llama.wafer.ai': wafer, 'acme-llama-eu.wafer.ai': slower},
            llama,
        )
        + groq(groq_engine)
        + crusoe
        + cerebras(documented_cerebras),
    }


def value_of(requests, title, points, formula=None):
    (request,) = [r for r in requests if r.title == title]
    evaluation = evaluate(request.queries, request.formulas, points)
    return evaluation.values[formula or request.formulas[0]]


def total(points, metric, providers=None, **tags):
    return sum(
        p.value
        for p in points
        if p.metric == 'llm_inference.' + metric
        and (providers is None or p.tag('provider') in providers)
        and all(p.tag(k) == v for k, v in tags.items())
    )


@pytest.mark.integration
def test_every_shipped_widget_and_monitor_tells_the_truth(organizations):
    requests = shipped_requests()
    assert len(requests) > 80
    found = [found for points in organizations.values() for r in requests for found in problems(r, points, REPORTING)]
    assert found == []


@pytest.mark.integration
def test_the_data_holds_what_the_old_assets_got_wrong(organizations):
    """The same evaluation finds the folds the assets made before (so the data exercises them)."""
    several = organizations['one model, several deployments']
    old_ttft = {'query1': 'avg:' + TTFT.replace('$model', '$model,$deployment')}
    folds = {fold.key for fold in evaluate(old_ttft, ['query1'], several).folds}
    # Two Fireworks deployments and two Wafer endpoints of a model, Crusoe's two tiers of another.
    assert folds == {
        ('fireworks', 'accounts/fireworks/models/llama-v3p1-70b-instruct'),
        ('wafer', 'meta-llama/Llama-3.3-70B-Instruct'),
        ('crusoe', 'meta-llama/Llama-3.3-70B-Instruct'),
    }
    live = evaluate(old_ttft, ['query1'], organizations['live shapes']).folds
    assert ('fireworks', 'accounts/fireworks/models/llama-v3p3-70b-instruct') in {f.key for f in live}  # two regions
    old_share = Request(
        'overview',
        'Error share',
        {
            'query1': 'sum:llm_inference.errors.rate{$provider,$model,$deployment}',
            'query2': 'sum:llm_inference.requests.rate{$provider,$model,$deployment}',
        },
        ('query1 / query2 * 100',),
    )
    (found,) = problems(old_share, organizations['documented'], REPORTING)
    assert "['crusoe', 'wafer']" in found


@pytest.mark.integration
def test_the_providers_that_report_errors_are_those_that_declare_it(organizations):
    emitting = {p.tag('provider') for points in organizations.values() for p in points if p.metric == ERRORS}
    assert emitting == set(REPORTING) == {'baseten', 'cerebras', 'fireworks', 'groq', 'together'}


@pytest.mark.integration
def test_values_shown(organizations):
    requests = shipped_requests()
    documented = organizations['documented']
    # The overview's error share: the errors of the providers that report errors over their own requests only.
    share = value_of(requests, 'Error share (%), {} only'.format(FACTS.error_titles), documented)
    errors, served = total(documented, 'errors.rate'), total(documented, 'requests.rate', REPORTING)
    assert share == {(): pytest.approx(errors / served * 100)}
    assert errors / total(documented, 'requests.rate') * 100 < share[()] * 0.9  # what it read before
    # Wafer's own share, from its 24-hour counts by status class (tests/fixtures/wafer.txt).
    wafer = value_of(
        requests, 'Error share (%) over 24 h, from the 24-hour counts by status class (4xx and 5xx)', documented
    )
    assert wafer == {('acme-llama.wafer.ai',): pytest.approx((1728 + 432) / (172800 + 1728 + 432) * 100)}
    # A class that is NaN (wafer_variants.txt) gives no share rather than a low one.
    live = value_of(
        requests,
        'Error share (%) over 24 h, from the 24-hour counts by status class (4xx and 5xx)',
        organizations['live shapes'],
    )
    assert live == {}
    # The worst deployment's p50 of a model two deployments serve (their p99s are both the 2.5 s bound), and each
    # endpoint's own p99 on Wafer's dashboard.
    several = organizations['one model, several deployments']
    model = 'accounts/fireworks/models/llama-v3p1-70b-instruct'
    p50s = [
        p.value
        for p in several
        if p.metric == 'llm_inference.time_to_first_token.seconds'
        and p.tag('model') == model
        and p.tag('quantile') == '0.5'
    ]
    assert len(p50s) == 2 and min(p50s) < max(p50s)
    worst = value_of(requests, 'Time to first token p50 (s), worst deployment or tier', several)
    assert worst[('fireworks', model)] == max(p50s)
    worst = value_of(requests, 'Time to first token p99 (s), worst deployment or tier', several)
    assert worst[('wafer', 'meta-llama/Llama-3.3-70B-Instruct')] == 3.84
    endpoints = value_of(requests, 'Time to first token p99 / p50 (24 h), worst series per endpoint', several)
    assert endpoints == {('acme-llama.wafer.ai',): 1.92, ('acme-llama-eu.wafer.ai',): 3.84}
    # The Cerebras monitor: the status squared, 0 only for the endpoint that is down (model-b); -1 would read 1.
    down = value_of(requests, 'Cerebras endpoint down', organizations['live shapes'])
    assert down == {('org_abc123', 'model'): 1.0, ('org_abc123', 'model-b'): 0.0}
    # The Baseten monitor: the deployment with a replica starting (tests/fixtures/baseten.txt), not the one whose
    # replicas all came up.
    stuck = value_of(requests, 'Baseten replicas stuck starting', organizations['live shapes'])
    assert stuck == {('dep-1',): 1.0, ('dep-2',): 0.0}


@pytest.mark.integration
def test_the_slos_read_the_share_of_requests_they_name(organizations):
    slos = shipped_slos()
    assert set(slos) == {'slo_' + objective for objective in DEFAULT_OBJECTIVES} | {objectives.AVAILABILITY}
    readers = set()
    for points in organizations.values():
        # Each latency SLO: the requests within its own objective over those measured, every series of every
        # provider that sends buckets, each against the threshold its instance used.
        for objective in DEFAULT_OBJECTIVES:
            good = total(points, 'slo.requests.good', objective=objective)
            measured = total(points, 'slo.requests.total', objective=objective)
            assert sli(slos['slo_' + objective], points) == (pytest.approx(good / measured) if measured else None)
            readers |= {p.tag('provider') for p in points if p.tag('objective') == objective}
        # Availability: requests without errors over requests, of the providers that report errors only.
        served, errors = total(points, 'requests.rate', REPORTING), total(points, 'errors.rate', REPORTING)
        assert 0 < errors < served
        assert sli(slos[objectives.AVAILABILITY], points) == pytest.approx((served - errors) / served)
    assert readers == {'baseten', 'crusoe', 'fireworks', 'groq', 'together'}
    documented = organizations['documented']
    ttft, e2e = (sli(slos['slo_' + o], documented) for o in ('time_to_first_token', 'e2e_latency'))
    assert 0 < ttft < 1 and 0 < e2e <= 1 and ttft != pytest.approx(e2e)  # each reads its own objective's series
    # Nothing failing: the providers send no error series, and every request was served (not no value, not 0).
    quiet = [p for p in documented if p.metric != ERRORS]
    assert sli(slos[objectives.AVAILABILITY], quiet) == 1.0
    # Over a window, Datadog sums each query's points: two runs of one collection interval give the share of the
    # requests of both (weighted by requests), not the average of each run's share.
    first, second = organizations['documented'], organizations['live shapes']
    share = sli(slos['slo_time_to_first_token'], first + second)
    good = sum(total(p, 'slo.requests.good', objective='time_to_first_token') for p in (first, second))
    measured = sum(total(p, 'slo.requests.total', objective='time_to_first_token') for p in (first, second))
    assert share == pytest.approx(good / measured)
    each = [sli(slos['slo_time_to_first_token'], p) for p in (first, second)]
    assert share != pytest.approx(sum(each) / 2)
