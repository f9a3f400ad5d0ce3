"""The asset builder reads the providers' declarations: a provider added as its own module (here, a class put into
the registry) gets its dashboard, its identity tag in the grouping of the overview and of the monitors, and its
windows and budget in their prose, with no change to the builder or to any shared definition."""

import json
import os
import re
import shutil
import socket

import pytest
from datadog_api_client.v1.model.dashboard import Dashboard as DashboardModel
from datadog_api_client.v1.model.monitor import Monitor as MonitorModel
from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics

from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.assets import build, overview, recommended_monitors, widgets
from datadog_checks.llm_inference.assets.layouts import LAYOUTS
from datadog_checks.llm_inference.assets.widgets import Dashboard, Group, Timeseries, q
from datadog_checks.llm_inference.providers import PROVIDERS
from datadog_checks.llm_inference.scrape import ScrapeCheck

from .datadog_models import deserialize, unparsed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACME = os.path.join('assets', 'dashboards', 'llm_inference_acme.json')
OVERVIEW = os.path.join('assets', 'dashboards', 'llm_inference_overview.json')
CAN_CONNECT = os.path.join('assets', 'monitors', 'can_connect.json')
RATE_LIMITED = os.path.join('assets', 'monitors', 'rate_limited.json')


class AcmeCheck(ScrapeCheck):
    """A sixth provider, declared as the others are (its module would be providers/acme.py)."""

    PROVIDER = 'acme'
    REQUIRED_OPTIONS = ('api_key', 'cluster_id')
    DEFAULT_REQUESTS_PER_MINUTE = 10
    IDENTITY_TAGS = {'cluster_id': 'cluster'}
    TITLE = 'Acme Cloud'
    WINDOWS = '30 s'


# Its dashboard, laid out as the others are (its module would be assets/layouts/acme.py).
ACME_DASHBOARD = Dashboard(
    'Acme Cloud clusters: request rates over 30-second windows, by model.',
    ['model'],
    [
        Group(
            'Traffic',
            'vivid_orange',
            'Requests per model and cluster, over 30-second windows.',
            [Timeseries('Requests / s', q('requests.rate', 'provider:acme,$model', 'model,cluster', 'sum'))],
        )
    ],
)


def widgets_of(dashboard, group):
    (found,) = [g['definition'] for g in dashboard['widgets'] if g['definition']['title'] == group]
    return [w['definition'] for w in found['widgets']]


def test_a_new_provider_gets_its_dashboard_and_its_identity_in_the_shared_assets(monkeypatch):
    before = build.build(repository=ROOT)
    monkeypatch.setitem(PROVIDERS, 'acme', AcmeCheck)
    monkeypatch.setitem(LAYOUTS, 'acme', ACME_DASHBOARD)
    after = build.build(repository=ROOT)

    assert set(after) - set(before) == {ACME}
    assert {path for path in before if before[path] != after[path]} == {
        OVERVIEW,
        CAN_CONNECT,
        RATE_LIMITED,
        'manifest.json',
    }

    # Its dashboard: its Health group (built from PROVIDER and IDENTITY_TAGS), then what it declared.
    dashboard = json.loads(after[ACME])
    assert unparsed(deserialize(dashboard, DashboardModel)) == []
    assert dashboard['title'] == 'LLM Inference - Acme Cloud'
    assert dashboard['description'] == 'Acme Cloud clusters: request rates over 30-second windows, by model.'
    assert [v['name'] for v in dashboard['template_variables']] == ['model']
    assert [g['definition']['title'] for g in dashboard['widgets']] == ['Health', 'Traffic']
    note, status, requests = widgets_of(dashboard, 'Health')
    assert (status['type'], status['group_by'], status['tags']) == (
        'check_status',
        ['provider', 'cluster'],
        ['provider:acme'],
    )
    assert requests['requests'][0]['queries'][0]['query'] == (
        'sum:llm_inference.integration.requests{provider:acme} by {outcome}.as_count()'
    )
    note, traffic = widgets_of(dashboard, 'Traffic')
    assert note['content'] == 'Requests per model and cluster, over 30-second windows.'
    assert traffic['requests'][0]['queries'][0]['query'] == (
        'sum:llm_inference.requests.rate{provider:acme,$model} by {model,cluster}'
    )

    # The monitors group by every provider's identity tags, in name order, and say its budget.
    can_connect = json.loads(after[CAN_CONNECT])
    assert unparsed(deserialize(can_connect['definition'], MonitorModel)) == []
    assert can_connect['definition']['query'] == (
        '"llm_inference.can_connect".over("*").by("provider","account","cluster","deployment","organization_id",'
        '"project_id").last(4).count_by_status()'
    )
    assert (
        '{{provider.name}} ({{account.name}}{{cluster.name}}{{deployment.name}}{{organization_id.name}}'
        '{{project_id.name}})'
        in (can_connect['definition']['message'])
    )
    assert (
        '404 = a wrong `account_id`, `cluster_id`, `endpoint`, `organization_id` or `project_id` (or `api_url`)'
        in (can_connect['definition']['message'])
    )
    rate_limited = json.loads(after[RATE_LIMITED])
    assert rate_limited['definition']['query'] == (
        'sum(last_10m):sum:llm_inference.integration.runs_skipped{*} by {provider,account,cluster,deployment,'
        'organization_id,project_id}.as_count() >= 5'
    )
    # (Other providers may share a budget with Fireworks AI and Wafer: they are listed in the same group.)
    assert re.search(
        r"a provider's request budget \(Acme Cloud: 10 requests a minute, [^:]*Fireworks AI[^:]* and Wafer: 6 requests a ",
        rate_limited['description'],
    )

    # The overview: its can_connect cells, its windows and its budget.
    dashboard = json.loads(after[OVERVIEW])
    health = widgets_of(dashboard, 'Health')
    assert health[1]['group_by'] == ['provider', 'account', 'cluster', 'deployment', 'organization_id', 'project_id']
    assert health[1]['tags'] == ['$provider']
    latency = widgets_of(dashboard, 'Latency')[0]['content']
    assert '(the `window` tag says over what: Acme Cloud 30 s, ' in latency
    # (Other providers may share a window with these: they are listed in the same group.)
    for window in ('Fireworks AI 1 m', 'Crusoe and Groq 5 m', 'Wafer 24 h)'):
        assert window in latency
    assert re.search(
        r"request budget \(Acme Cloud: 10 requests a minute, [^:]*Fireworks AI[^:]* and Wafer: 6 requests a minute\)",
        widgets_of(dashboard, 'The integration itself')[0]['content'],
    )

    # manifest.json lists its dashboard; nothing else in it changes.
    manifest, listed = json.loads(after['manifest.json']), json.loads(before['manifest.json'])
    assert manifest['assets']['dashboards'].pop('LLM Inference - Acme Cloud') == ACME.replace(os.sep, '/')
    assert manifest == listed


def test_a_provider_without_a_dashboard_still_counts_in_the_shared_assets(monkeypatch):
    class RegionCheck(AcmeCheck):
        PROVIDER = 'region'
        IDENTITY_TAGS = {'region': 'region'}
        DEFAULT_REQUESTS_PER_MINUTE = 0
        TITLE = 'Region API'
        WINDOWS = None

    before = build.build(repository=ROOT)
    monkeypatch.setitem(PROVIDERS, 'region', RegionCheck)
    after = build.build(repository=ROOT)
    assert set(after) == set(before)
    assert {path for path in before if before[path] != after[path]} == {OVERVIEW, CAN_CONNECT, RATE_LIMITED}
    assert (
        '.by("provider","account","deployment","organization_id","project_id","region")'
        in (json.loads(after[CAN_CONNECT])['definition']['query'])
    )
    # No windows and no budget: the prose is what it was.
    assert widgets_of(json.loads(after[OVERVIEW]), 'Latency') == widgets_of(json.loads(before[OVERVIEW]), 'Latency')
    assert json.loads(after[RATE_LIMITED])['description'] == json.loads(before[RATE_LIMITED])['description']


def test_a_provider_that_reports_errors_enters_the_availability_slo(monkeypatch):
    class LoudCheck(AcmeCheck):
        PROVIDER = 'loud'
        TITLE = 'Loud Cloud'
        REPORTS_ERRORS = True

    availability = os.path.join('assets', 'slos', 'slo_availability.json')
    before = build.build(repository=ROOT)
    reporting = build.Facts(PROVIDERS).error_providers
    monkeypatch.setitem(PROVIDERS, 'loud', LoudCheck)
    after = build.build(repository=ROOT)
    changed = {path for path in before if before[path] != after[path]}
    assert availability in changed and not any('slo_' in path and path != availability for path in changed)
    written, was = json.loads(after[availability]), json.loads(before[availability])
    scope = '{{provider IN ({})}}'.format(', '.join(sorted(reporting + ('loud',))))
    requests, errors = 'sum:llm_inference.requests.rate' + scope, 'sum:llm_inference.errors.rate' + scope
    numerator = requests + ' - default_zero({})'.format(errors)
    assert written['slo']['query'] == {'numerator': numerator, 'denominator': requests}
    # Its burn-rate monitors name the SLO by its file, whatever the scope.
    assert written['burn_rate_monitors'] == was['burn_rate_monitors']


def test_the_shared_definitions_name_no_provider():
    """Outside its own modules (its declaration, its layout), only the registry knows a provider: the builder and the
    shared assets read declarations. Every module of the assets package is checked, the ones added later too."""
    package = os.path.dirname(build.__file__)
    sources = [os.path.join(folder, name) for folder, _, names in os.walk(package) for name in names]
    sources = [path for path in sources if path.endswith('.py')]
    assert {widgets.__file__, overview.__file__, recommended_monitors.__file__, build.__file__} <= set(sources)
    sources.append(os.path.join(ROOT, 'scripts', 'build_assets.py'))
    for path in sources:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for cls in PROVIDERS.values():
            if path == os.path.join(package, 'layouts', cls.PROVIDER + '.py'):
                continue
            for name in (cls.PROVIDER, cls.TITLE):
                assert not re.search(r'\b{}\b'.format(re.escape(name)), text, re.IGNORECASE), (path, name)


def test_the_output_does_not_depend_on_the_registry_order():
    reversed_registry = dict(reversed(list(PROVIDERS.items())))
    assert list(reversed_registry) != list(PROVIDERS)
    assert build.build(reversed_registry, ROOT) == build.build(PROVIDERS, ROOT)


def declared(**attributes):
    return type('BrokenCheck', (AcmeCheck,), attributes)


@pytest.mark.parametrize(
    'provider, layout, message',
    [
        pytest.param(
            type('Bare', (ScrapeCheck,), {'PROVIDER': 'bare'}),
            ACME_DASHBOARD,
            'provider bare (Bare) declares no TITLE: the asset builder names it with TITLE (and reads DASHBOARD and '
            'WINDOWS, None where none applies)',
            id='no declarations',
        ),
        pytest.param(
            AcmeCheck,
            {'title': 'x'},
            "provider acme: DASHBOARD is a <class 'dict'>, not a widgets.Dashboard (or None)",
            id='dashboard not declared with the primitives',
        ),
        pytest.param(
            declared(TITLE='Groq'),
            ACME_DASHBOARD,
            'two dashboards would be listed as LLM Inference - Groq: assets/dashboards/llm_inference_acme.json and '
            'assets/dashboards/llm_inference_groq.json',
            id='title of another provider',
        ),
        pytest.param(
            declared(PROVIDER='overview'),
            ACME_DASHBOARD,
            'two dashboards would be written to assets/dashboards/llm_inference_overview.json',
            id='file of the overview',
        ),
        pytest.param(
            declared(DASHBOARD=ACME_DASHBOARD),
            None,
            'provider acme: its dashboard is declared on its class; move it to assets/layouts/acme.py',
            id='dashboard declared on the check class',
        ),
    ],
)
def test_a_declaration_the_builder_cannot_use_is_refused(provider, layout, message):
    with pytest.raises(build.DeclarationError) as raised:
        build.build(
            dict(PROVIDERS, **{provider.PROVIDER: provider}), ROOT, dict(LAYOUTS, **{provider.PROVIDER: layout})
        )
    assert str(raised.value) == message


def test_a_layout_of_no_provider_is_refused():
    with pytest.raises(build.DeclarationError) as raised:
        build.build(PROVIDERS, ROOT, dict(LAYOUTS, acme=ACME_DASHBOARD))
    assert str(raised.value) == 'assets/layouts/acme.py: no provider is named acme'


def test_write_updates_changed_files_and_removes_those_no_longer_built(tmp_path):
    shutil.copy(os.path.join(ROOT, 'manifest.json'), tmp_path)
    shutil.copytree(os.path.join(ROOT, 'assets'), tmp_path / 'assets')
    (tmp_path / 'assets' / 'monitors' / 'retired.json').write_text('{}')
    (tmp_path / CAN_CONNECT).write_text('{}')
    assert build.write(str(tmp_path)) == ['removed assets/monitors/retired.json', 'wrote ' + CAN_CONNECT]
    assert build.write(str(tmp_path)) == []
    for path, text in build.build(repository=ROOT).items():
        assert (tmp_path / path).read_text(encoding='utf-8') == text


def closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.parametrize('name', sorted(n for n, cls in PROVIDERS.items() if cls.IDENTITY_TAGS))
def test_a_skipped_run_carries_the_identity_tags_the_monitors_group_by(dd_run_check, aggregator, name):
    """The `rate_limited` monitor groups `runs_skipped` by every provider's identity tags."""
    cls = PROVIDERS[name]
    options = {option: 'value-of-{}'.format(option) for option in cls.REQUIRED_OPTIONS}
    options.update(provider=name, api_url='http://127.0.0.1:{}/metrics'.format(closed_port()), requests_per_minute=1)
    check = LlmInferenceCheck('llm_inference', {}, [options])
    with pytest.raises(Exception):
        dd_run_check(check)  # the one request of the minute, refused
    assert [sc.status for sc in aggregator.service_checks('llm_inference.can_connect')] == [AgentCheck.CRITICAL]
    aggregator.reset()
    dd_run_check(check)  # the budget is spent: the run is skipped
    tags = ['provider:' + name] + ['{}:value-of-{}'.format(tag, option) for option, tag in cls.IDENTITY_TAGS.items()]
    aggregator.assert_metric('llm_inference.integration.runs_skipped', 1, tags=tags, count=1)
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
