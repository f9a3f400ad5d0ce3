"""`python -m datadog_checks.llm_inference.assets` against a stand-in of Datadog's v1 dashboard, monitor and SLO API
on 127.0.0.1 that requires both keys and checks every body with datadog-api-client's models."""

import copy
import email.utils
import io
import itertools
import json
import logging
import os
import re
import socket
import time

import pytest

from datadog_checks.llm_inference.assets import bodies, shipped
from datadog_checks.llm_inference.assets.command import main
from simulator.local_server import LocalServer, send

from .datadog_api import DatadogStandIn

API_KEY = 'apikey-5f0c2a9e7b1d4c3a8e6f'
APP_KEY = 'appkey-9d8c7b6a5f4e3d2c1b0a'
KEYS = {'DD_API_KEY': API_KEY, 'DD_APP_KEY': APP_KEY}
ASSETS = shipped()
DASHBOARDS = {a.data['title'] for a in ASSETS if a.kind == 'dashboard'}
MONITORS = {a.data['definition']['name'] for a in ASSETS if a.kind == 'monitor'}
SLOS = {a.data['name'] for a in ASSETS if a.kind == 'slo'}
EVERYTHING = DASHBOARDS | MONITORS | SLOS


def burn_rate_monitors(slo_file):
    """The names of the monitors the SLO file `slo_file` ships beside its SLO."""
    return {a.data['definition']['name'] for a in ASSETS if a.kind == 'monitor' and a.id.startswith(slo_file + '.')}


@pytest.fixture(scope='module')
def stand_in():
    with DatadogStandIn(API_KEY, APP_KEY) as dd:
        yield dd


@pytest.fixture
def datadog(stand_in):
    stand_in.reset()
    yield stand_in
    assert stand_in.rejected == [], 'bodies datadog-api-client rejects'


RECORD = os.path.join('datadog-llm-inference', 'assets.json')


@pytest.fixture(scope='module')
def installed_once(stand_in, tmp_path_factory):
    """What one install leaves in an empty organization, and the ids it recorded (building every body twice costs
    seconds: done once)."""
    stand_in.reset()
    state = tmp_path_factory.mktemp('state')
    env = dict(KEYS, XDG_STATE_HOME=str(state))
    assert main(['install', '--api-url', stand_in.url], env, io.StringIO(), io.StringIO()) == 0
    assert stand_in.rejected == []
    record = (state / RECORD).read_text()
    return copy.deepcopy((stand_in.dashboards, stand_in.monitors, stand_in.slos)), next(stand_in.ids), record


@pytest.fixture
def state_home(tmp_path):
    """The XDG_STATE_HOME of every command a test runs: a record of installed objects per test."""
    return tmp_path / 'state'


@pytest.fixture
def installed(datadog, installed_once, state_home):
    """The stand-in after an install, and its record (requests made since then are recorded from scratch)."""
    (datadog.dashboards, datadog.monitors, datadog.slos), datadog.ids = (
        copy.deepcopy(installed_once[0]),
        itertools.count(installed_once[1]),
    )
    (state_home / RECORD).parent.mkdir(parents=True)
    (state_home / RECORD).write_text(installed_once[2])
    return datadog


@pytest.fixture
def run(capsys, caplog, state_home):
    """Run the command in this process (logging at DEBUG); every output and log record is checked for the keys."""
    caplog.set_level(logging.DEBUG)

    def run(*argv, env=KEYS):
        code = main(list(argv), dict(env, XDG_STATE_HOME=str(state_home)))
        out, err = capsys.readouterr()
        for text in (out, err, caplog.text):
            assert API_KEY not in text and APP_KEY not in text
        assert 'Traceback' not in err
        return code, out, err

    return run


def lines(out, verb):
    """The titles the command printed with a verb (created, update, unchanged, ...)."""
    return {line[22:].split('  [')[0] for line in out.splitlines() if line.split(' ')[0] == verb}


def test_install_creates_every_asset_then_a_second_run_changes_nothing(datadog, run):
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0, out
    assert {d['title'] for d in datadog.dashboards.values()} == DASHBOARDS
    assert {m['name'] for m in datadog.monitors.values()} == MONITORS
    assert {s['name'] for s in datadog.slos.values()} == SLOS
    assert lines(out, 'created') == EVERYTHING
    assert out.splitlines()[-1] == '{} created ({})'.format(len(ASSETS), datadog.url)
    assert sorted(m for m, _ in datadog.writes()) == ['POST'] * len(ASSETS)
    by_title = {d['title']: d for d in datadog.dashboards.values()}
    for asset in ASSETS:
        if asset.kind == 'dashboard':
            stored = by_title[asset.data['title']]
            assert stored['widgets'] == asset.data['widgets']  # ids included: the shipped ids are kept
            assert stored['template_variables'] == asset.data['template_variables']
            assert stored['description'].startswith(asset.data['description'])
            assert '`llm_inference_asset:{}`'.format(asset.id) in stored['description']
    slo_ids = {s['name']: s['id'] for s in datadog.slos.values()}
    for monitor in datadog.monitors.values():
        asset = next(a for a in ASSETS if a.kind == 'monitor' and a.data['definition']['name'] == monitor['name'])
        definition = asset.data['definition']
        query = definition['query']
        if asset.path.endswith(os.path.join('slos', asset.id.split('.')[0] + '.json')):  # a burn-rate monitor
            slo = next(a for a in ASSETS if a.kind == 'slo' and a.path == asset.path).data['name']
            query = query.replace('{{slo:%s}}' % asset.id.split('.')[0], slo_ids[slo])
            assert slo_ids[slo] in monitor['query']
        assert monitor['query'] == query and monitor['message'] == definition['message']
        assert monitor['tags'] == definition['tags'] + ['llm_inference_asset:' + asset.id]
        assert monitor['options']['thresholds'] == definition['options']['thresholds']
    for slo in datadog.slos.values():
        asset = next(a for a in ASSETS if a.kind == 'slo' and a.data['name'] == slo['name'])
        assert slo['query'] == asset.data['query'] and slo['description'] == asset.data['description']
        assert slo['tags'] == asset.data['tags'] + ['llm_inference_asset:' + asset.id]

    writes = len(datadog.writes())
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0
    assert len(datadog.writes()) == writes, 'the second install wrote'
    assert lines(out, 'unchanged') == EVERYTHING
    assert out.splitlines()[-1] == '{} unchanged ({})'.format(len(ASSETS), datadog.url)
    assert len(datadog.dashboards) == len(DASHBOARDS) and len(datadog.monitors) == len(MONITORS)
    assert len(datadog.slos) == len(SLOS)


def slo_of(datadog, slo_file):
    """The SLO an install made from a shipped SLO file."""
    name = next(a for a in ASSETS if a.kind == 'slo' and a.id == slo_file).data['name']
    (found,) = [s for s in datadog.slos.values() if s['name'] == name]
    return found


def test_install_creates_each_slo_then_its_burn_rate_monitors_and_a_second_install_nothing(datadog, run):
    files = sorted(a.id for a in ASSETS if a.kind == 'slo')
    assert files == ['slo_availability', 'slo_e2e_latency', 'slo_time_to_first_token']
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and datadog.rejected == []  # the stand-in refuses a burn-rate monitor naming no existing SLO
    assert len(datadog.slos) == len(files)
    for slo_file in files:
        slo = slo_of(datadog, slo_file)
        assert slo['type'] == 'metric' and 'llm_inference_asset:' + slo_file in slo['tags']
        monitors = [m for m in datadog.monitors.values() if m['name'] in burn_rate_monitors(slo_file)]
        assert len(monitors) == 2 and all(m['type'] == 'slo alert' for m in monitors)
        window = re.compile(r'long_window\("(\w+)"\).short_window\("(\w+)"\) > ([\d.]+)$')
        pairs = sorted(window.search(m['query']).groups() for m in monitors)
        assert pairs == [('1h', '5m', '14.4'), ('6h', '30m', '6')]
        assert all(m['query'].startswith('burn_rate("{}").over("30d")'.format(slo['id'])) for m in monitors)
        assert sorted(m['options']['thresholds']['critical'] for m in monitors) == [6.0, 14.4]
    assert sum(1 for m in datadog.monitors.values() if m['type'] == 'slo alert') == 2 * len(files)
    # Each SLO, then the two monitors that name it, then the recommended monitors.
    posts = [p.split('/')[3] for m, p in datadog.writes() if m == 'POST']
    slos = ['slo', 'monitor', 'monitor'] * len(files)
    assert posts == ['dashboard'] * len(DASHBOARDS) + slos + ['monitor'] * (len(MONITORS) - 2 * len(files))

    writes = len(datadog.writes())
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and len(datadog.writes()) == writes and 'created' not in out
    assert lines(out, 'unchanged') == EVERYTHING
    assert 'unchanged  slo        LLM inference: availability (requests without errors)  [' in out


def test_a_deleted_slo_is_created_again_and_its_monitors_name_the_new_one(datadog, installed, run):
    old = slo_of(datadog, 'slo_e2e_latency')
    del datadog.slos[old['id']]  # deleted in Datadog with its monitors left (the API's `force`)
    code, out, _ = run('install', '--dry-run', '--api-url', datadog.url)
    assert code == 0 and datadog.writes() == []
    assert lines(out, 'create') == {old['name']}
    assert lines(out, 'update') == burn_rate_monitors('slo_e2e_latency')
    assert all(step_line(out, 'update', name).endswith(']: query') for name in burn_rate_monitors('slo_e2e_latency'))

    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'created') == {old['name']}
    assert lines(out, 'updated') == burn_rate_monitors('slo_e2e_latency')
    new = slo_of(datadog, 'slo_e2e_latency')
    assert new['id'] != old['id']
    for monitor in datadog.monitors.values():
        if monitor['name'] in burn_rate_monitors('slo_e2e_latency'):
            assert monitor['query'].startswith('burn_rate("{}")'.format(new['id']))
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'unchanged') == EVERYTHING


def test_an_edited_slo_is_updated_in_place(datadog, installed, run):
    slo = slo_of(datadog, 'slo_availability')
    slo['thresholds'][0]['target'] = 90.0
    slo['query']['numerator'] = 'sum:llm_inference.requests.rate{*}'
    code, out, _ = run('install', '--dry-run', '--api-url', datadog.url)
    assert code == 0 and step_line(out, 'update', slo['name']).endswith(']: query.numerator, thresholds[0].target')
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'updated') == {slo['name']}
    assert datadog.writes()[-1] == ('PUT', '/api/v1/slo/' + slo['id'])
    assert datadog.slos[slo['id']]['thresholds'][0]['target'] == 99.5
    assert 'default_zero(' in datadog.slos[slo['id']]['query']['numerator']


def test_uninstall_deletes_the_burn_rate_monitors_before_their_slos(datadog, installed, run):
    theirs = datadog.add_slo('Checkout availability')
    mine = slo_of(datadog, 'slo_time_to_first_token')
    clone = datadog.store_slo(dict({k: mine[k] for k in ('type', 'query', 'thresholds', 'tags')}, name='My TTFT'))
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'copy') == {'My TTFT'} and 'carries the marker of slo_time_to_first_token' in out

    code, out, _ = run('uninstall', '--api-url', datadog.url)
    assert code == 0  # the stand-in refuses (409) to delete an SLO a monitor names
    assert lines(out, 'deleted') == EVERYTHING and lines(out, 'copy') == {'My TTFT'}
    deletions = [p.split('/')[3] for m, p in datadog.writes() if m == 'DELETE']
    assert deletions.index('slo') > len(deletions) - 1 - deletions[::-1].index('monitor')
    assert set(datadog.slos) == {theirs['id'], clone['id']} and datadog.monitors == {}


def test_a_monitor_naming_an_slo_that_is_not_shipped_is_never_sent(datadog, run, monkeypatch):
    without = [a for a in ASSETS if not (a.kind == 'slo' and a.id == 'slo_availability')]
    monkeypatch.setattr('datadog_checks.llm_inference.assets.command.shipped', lambda: without)
    code, _, err = run('install', '--api-url', datadog.url)
    assert code == 2 and 'names the SLO of slo_availability, which is not shipped' in err
    assert not any('{{slo:' in m['query'] for m in datadog.monitors.values())


def test_an_edited_object_and_a_changed_asset_are_updated_in_place(datadog, installed, run, monkeypatch):
    ids = (set(datadog.dashboards), set(datadog.monitors))
    overview = next(d for d in datadog.dashboards.values() if d['title'] == 'LLM Inference - Overview')
    overview['title'] = 'renamed by someone'
    overview['widgets'] = overview['widgets'][:1]
    ttft = next(m for m in datadog.monitors.values() if 'time to first token p99' in m['name'])
    ttft['options']['thresholds']['critical'] = 9.0

    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0
    assert lines(out, 'updated') == {'LLM Inference - Overview', ttft['name']}
    assert len(lines(out, 'unchanged')) == len(ASSETS) - 2
    assert sorted(m for m, _ in datadog.writes()[-2:]) == ['PUT', 'PUT']
    assert (set(datadog.dashboards), set(datadog.monitors)) == ids, 'updated in place, nothing created'
    restored = datadog.dashboards[overview['id']]
    shipped_overview = next(a for a in ASSETS if a.id == 'llm_inference_overview').data
    assert restored['title'] == 'LLM Inference - Overview' and restored['widgets'] == shipped_overview['widgets']
    assert datadog.monitors[ttft['id']]['options']['thresholds']['critical'] == 5.0

    # A new version of the package ships another threshold: the same monitor is updated.
    changed = [
        a._replace(data=json.loads(json.dumps(a.data).replace('"critical": 5,', '"critical": 7,')))
        if a.id == 'ttft_p99'
        else a
        for a in ASSETS
    ]
    assert changed != ASSETS
    monkeypatch.setattr('datadog_checks.llm_inference.assets.command.shipped', lambda: changed)
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'updated') == {ttft['name']}
    assert datadog.monitors[ttft['id']]['options']['thresholds']['critical'] == 7.0
    assert set(datadog.monitors) == ids[1]


def test_dry_run_prints_the_plan_and_writes_nothing(datadog, run):
    code, out, _ = run('install', '--dry-run', '--api-url', datadog.url)
    assert code == 0
    assert lines(out, 'create') == EVERYTHING
    assert out.splitlines()[-1] == 'dry run, nothing written: {} to create ({})'.format(len(ASSETS), datadog.url)
    assert datadog.writes() == [] and datadog.dashboards == {} and datadog.monitors == {} and datadog.slos == {}


def test_dry_run_over_an_install_writes_nothing(datadog, installed, run):
    next(iter(datadog.monitors.values()))['message'] = 'edited'
    code, out, _ = run('install', '--dry-run', '--notify', '@oncall', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'update') == MONITORS and lines(out, 'unchanged') == DASHBOARDS | SLOS
    code, out, _ = run('uninstall', '--dry-run', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'delete') == EVERYTHING
    assert datadog.writes() == []
    assert len(datadog.dashboards) == len(DASHBOARDS) and len(datadog.monitors) == len(MONITORS)
    assert len(datadog.slos) == len(SLOS)


def test_uninstall_removes_only_what_install_wrote(datadog, installed, run):
    # Another team's objects, some of which look like ours: the same integration tag, a title, the word in the text.
    theirs_dashboard = datadog.add_dashboard(
        'LLM Inference - Overview', 'Ours, not `llm_inference_asset:llm_inference_overview`: installed by hand'
    )
    theirs_monitor = datadog.add_monitor('LLM inference KV cache nearly full', tags=['integration:llm_inference'])
    other_monitor = datadog.add_monitor('Disk full', tags=['team:storage', 'llm_inference_asset_owner:storage'])
    theirs_slo = datadog.add_slo('LLM inference: availability (requests without errors)', ['integration:llm_inference'])
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'unchanged') == EVERYTHING
    # theirs beside ours: one dashboard and two monitors more
    assert len(datadog.dashboards) == len(DASHBOARDS) + 1 and len(datadog.monitors) == len(MONITORS) + 2
    ours = (
        set(datadog.dashboards) - {theirs_dashboard['id']},
        set(datadog.monitors) - {theirs_monitor['id'], other_monitor['id']},
        set(datadog.slos) - {theirs_slo['id']},
    )

    code, out, _ = run('uninstall', '--api-url', datadog.url)
    assert code == 0
    assert lines(out, 'deleted') == EVERYTHING
    assert set(datadog.dashboards) == {theirs_dashboard['id']}
    assert set(datadog.monitors) == {theirs_monitor['id'], other_monitor['id']}
    assert set(datadog.slos) == {theirs_slo['id']}
    deleted = {p.rsplit('/', 1)[1] for m, p in datadog.writes() if m == 'DELETE'}
    assert deleted == ours[0] | {str(i) for i in ours[1]} | ours[2]

    writes = len(datadog.writes())
    code, out, _ = run('uninstall', '--api-url', datadog.url)
    assert code == 0 and 'nothing to uninstall' in out and len(datadog.writes()) == writes


def test_notify_adds_the_handles_to_every_monitor_message(datadog, installed, run):
    code, out, _ = run(
        'install',
        '--api-url',
        datadog.url,
        '--notify',
        '@pagerduty-llm',
        '--notify',
        'slack-llm-alerts',
        '--notify',
        '@pagerduty-llm',
    )
    assert code == 0
    for monitor in datadog.monitors.values():
        assert monitor['message'].endswith('\n\n@pagerduty-llm @slack-llm-alerts'), monitor['message']
    for dashboard in datadog.dashboards.values():
        assert '@pagerduty' not in json.dumps(dashboard)
    code, out, _ = run(
        'install', '--api-url', datadog.url, '--notify', '@pagerduty-llm', '--notify', '@slack-llm-alerts'
    )
    assert code == 0 and lines(out, 'unchanged') == EVERYTHING
    # Without the handles the messages go back to the shipped text.
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'updated') == MONITORS
    assert all('@' not in m['message'] for m in datadog.monitors.values())


@pytest.mark.parametrize('handle', ['@two words', '@', '@{{value}}', ''])
def test_notify_refuses_what_cannot_be_a_handle(datadog, run, handle):
    code, _, err = run('install', '--api-url', datadog.url, '--notify', handle)
    assert code == 2 and 'is not a notification handle' in err
    assert datadog.requests == []


def test_copies_carrying_the_marker_are_left_alone(datadog, installed, run):
    overview = next(d for d in datadog.dashboards.values() if d['title'] == 'LLM Inference - Overview')
    clone = datadog.store_dashboard(dict(overview, id=None, title='LLM Inference - Overview (cloned)'))
    ttft = next(m for m in datadog.monitors.values() if 'time to first token p99' in m['name'])
    monitor_clone = datadog.store_monitor(
        {k: ttft[k] for k in ('query', 'type', 'message', 'tags', 'options')} | {'name': '[Clone] ' + ttft['name']}
    )
    writes = len(datadog.writes())

    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and len(datadog.writes()) == writes
    assert lines(out, 'copy') == {'LLM Inference - Overview (cloned)', '[Clone] ' + ttft['name']}
    assert 'carries the marker of llm_inference_overview too (a clone?): left alone' in out

    code, out, _ = run('uninstall', '--api-url', datadog.url)
    assert code == 0
    assert set(datadog.dashboards) == {clone['id']} and set(datadog.monitors) == {monitor_clone['id']}


def test_an_object_no_longer_shipped_is_reported_by_install_and_removed_by_uninstall(datadog, installed, run):
    old = datadog.add_monitor('LLM inference old signal', tags=['llm_inference_asset:old_signal'])
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and old['id'] in datadog.monitors
    assert (
        'stale      monitor    LLM inference old signal  [{}]: no longer shipped (old_signal)'.format(old['id']) in out
    )
    code, out, _ = run('uninstall', '--api-url', datadog.url)
    assert code == 0 and datadog.monitors == {} and datadog.dashboards == {} and datadog.slos == {}
    assert lines(out, 'deleted') == EVERYTHING | {'LLM inference old signal'}


def test_wrong_keys_say_which_keys_and_which_site(datadog, run):
    code, out, err = run('install', '--api-url', datadog.url, env=dict(KEYS, DD_APP_KEY='appkey-of-another-org'))
    assert code == 3 and out == ''
    assert 'Datadog refused the keys (HTTP 403 Forbidden) at {} while listing dashboards'.format(datadog.url) in err
    assert 'DD_SITE' in err and '--api-url' in err and 'monitors_write' in err
    assert datadog.writes() == []
    # Both keys went to the stand-in: the check above is Datadog's, not a request sent without keys.
    assert datadog.headers[-1]['DD-API-KEY'] == API_KEY


def test_a_datadog_failure_says_retry_and_a_rerun_finishes_the_job(datadog, run):
    datadog.fail(503, after=5)  # the three lists and two creates succeed
    code, out, err = run('install', '--api-url', datadog.url)
    assert code == 4
    assert len(lines(out, 'created')) == 2
    assert (
        "Datadog's API failed (HTTP 503 Service Unavailable) at {} while creating dashboard".format(datadog.url) in err
    )
    assert 'retry later' in err
    datadog.failures = []
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and len(lines(out, 'unchanged')) == 2 and len(lines(out, 'created')) == len(ASSETS) - 2
    assert len(datadog.dashboards) == len(DASHBOARDS) and len(datadog.monitors) == len(MONITORS)
    assert len(datadog.slos) == len(SLOS)


def test_rate_limit_and_rejected_requests(datadog, run):
    datadog.fail(429)
    code, _, err = run('install', '--api-url', datadog.url, '--max-wait', '0')
    assert code == 4 and 'Datadog rate-limited the request (HTTP 429' in err and 'again in 7 s' in err
    datadog.fail(400)
    code, _, err = run('uninstall', '--api-url', datadog.url)
    assert code == 1 and 'Datadog rejected the request (HTTP 400 Bad Request) while listing dashboards' in err
    assert 'Request refused' in err


def test_an_unreachable_api_is_named(run):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        url = 'http://127.0.0.1:{}'.format(s.getsockname()[1])
    code, _, err = run('install', '--api-url', url)  # nothing listens on the port any more
    assert code == 4
    assert "Could not reach Datadog's API at {} (--api-url) while listing dashboards".format(url) in err
    assert 'Connection refused' in err


def test_a_hanging_api_times_out(run):
    def hang(request, body):
        time.sleep(3)

    with LocalServer(hang) as server:
        started = time.monotonic()
        code, _, err = run('install', '--api-url', server.url, '--timeout', '0.3')
        assert time.monotonic() - started < 2.5
    assert code == 4 and 'no reply within 0.3 s (--timeout)' in err


@pytest.mark.parametrize(
    'env, named',
    [
        ({}, 'DD_API_KEY and DD_APP_KEY are not set'),
        ({'DD_API_KEY': API_KEY}, 'DD_APP_KEY is not set: export DD_APP_KEY'),
        ({'DD_APP_KEY': APP_KEY, 'DD_API_KEY': '  '}, 'DD_API_KEY is not set: export DD_API_KEY'),
        (dict(KEYS, DD_APP_KEY=APP_KEY + '\n' + APP_KEY), 'DD_APP_KEY holds characters an HTTP header cannot carry'),
    ],
)
def test_missing_or_unusable_keys(datadog, run, env, named):
    code, out, err = run('install', '--api-url', datadog.url, env=env)
    assert code == 2 and named in err and out == ''
    assert datadog.requests == []


@pytest.mark.parametrize(
    'argv, env, message',
    [
        (['install', '--api-url', 'ftp://example.com'], {}, '--api-url takes scheme://host'),
        (['install', '--api-url', 'https://user:pw@example.com'], {}, 'with no credentials'),
        (['install'], {'DD_SITE': 'https://app.datadoghq.eu'}, 'is not a Datadog site name'),
    ],
)
def test_unusable_site_or_url(run, argv, env, message):
    code, _, err = run(*argv, env=dict(KEYS, **env))
    assert code == 2 and message in err


class Stop(BaseException):
    pass


def test_the_site_chooses_the_api_url(monkeypatch):
    seen = []

    def client(url, *args):
        seen.append(url)
        raise Stop  # no request leaves this machine

    monkeypatch.setattr('datadog_checks.llm_inference.assets.command.client', client)
    sites = {None: 'datadoghq.com', 'datadoghq.eu': 'datadoghq.eu', ' US5.datadoghq.com ': 'us5.datadoghq.com'}
    for site, host in sites.items():
        with pytest.raises(Stop):
            main(['install'], dict(KEYS, **({'DD_SITE': site} if site else {})))
        assert seen[-1] == 'https://api.' + host


def test_uninstall_refuses_notify():
    with pytest.raises(SystemExit) as e:
        main(['uninstall', '--notify', '@me'], KEYS)
    assert e.value.code == 2


def test_same_ignores_what_datadog_adds_and_sees_what_differs():
    wanted = {'options': {'thresholds': {'critical': 5}, 'silenced': {}}, 'tags': ['b', 'a'], 'priority': None}
    assert bodies.same(
        wanted, {'options': {'thresholds': {'critical': 5.0}, 'new_host_delay': 300}, 'tags': ['a', 'b'], 'id': 1}
    )
    assert not bodies.same(wanted, {'options': {'thresholds': {'critical': 5.5}}, 'tags': ['a', 'b']})
    assert not bodies.same(wanted, {'options': {'thresholds': {'critical': 5}}, 'tags': ['a']})
    assert not bodies.same({'x': [1, 2]}, {'x': [1, 2, 3]}) and not bodies.same({'x': True}, {'x': 1})
    assert not bodies.same({'priority': None}, {'priority': 3})


def test_bodies_refuse_what_the_api_would_not_take():
    monitor = next(a for a in ASSETS if a.id == 'ttft_p99')
    with_policy = monitor._replace(
        data=dict(
            monitor.data,
            definition=dict(
                monitor.data['definition'],
                restriction_policy={'bindings': [{'relation': 'editor', 'principals': ['role:x']}]},
            ),
        )
    )
    with pytest.raises(bodies.AssetError, match='restriction_policy with bindings'):
        bodies.body(with_policy)
    unknown = monitor._replace(data=dict(monitor.data, definition=dict(monitor.data['definition'], colour='red')))
    with pytest.raises(bodies.AssetError, match='`colour` is not a field of the Monitor API'):
        bodies.body(unknown)
    body = bodies.body(monitor)
    assert 'restriction_policy' not in body and body['tags'][-1] == 'llm_inference_asset:' + monitor.id
    dashboard = next(a for a in ASSETS if a.kind == 'dashboard')
    assert 'author_name' in dashboard.data and 'author_name' not in bodies.body(dashboard)


def test_the_keys_go_to_datadog_and_nowhere_else(datadog, run, caplog, monkeypatch):
    # `run` checks stdout, stderr and every log record for both keys after each command. The client sets its own and
    # urllib3's loggers to WARNING when configured; put them at DEBUG after that, as a user debugging would.
    from datadog_checks.llm_inference.assets import command

    def client(*args, make=command.client):
        made = make(*args)
        for name in ('urllib3', 'datadog_api_client'):
            logging.getLogger(name).setLevel(logging.DEBUG)
        return made

    monkeypatch.setattr(command, 'client', client)
    run('install', '--api-url', datadog.url, '--notify', '@oncall')
    run('uninstall', '--api-url', datadog.url, '--dry-run')
    datadog.fail(500)
    run('install', '--api-url', datadog.url)
    run('install', '--api-url', datadog.url, env=dict(KEYS, DD_API_KEY='apikey-wrong'))
    assert all(
        h['DD-API-KEY'] in (API_KEY, 'apikey-wrong') and h['DD-APPLICATION-KEY'] == APP_KEY for h in datadog.headers
    )

    # A proxy that echoes the request's headers in its error reply: the client logs the reply's body at DEBUG.
    def echo(request, body):
        said = ' '.join('{}={}'.format(k, v) for k, v in request.headers.items())
        send(request, 403, json.dumps({'errors': ['refused: ' + said]}).encode(), {'Content-Type': 'application/json'})

    with LocalServer(echo) as proxy:
        for argv in (['install'], ['install', '--dry-run'], ['uninstall']):
            code, _, err = run(*argv, '--api-url', proxy.url)
            assert code == 3 and 'DD-API-KEY=<redacted>' in err
    assert any(r.name == 'datadog_api_client.rest' and 'DD-API-KEY=' in r.getMessage() for r in caplog.records)
    # The libraries did log at DEBUG (requests and replies), so the check above had records to look at.
    loggers = {r.name for r in caplog.records if r.levelno == logging.DEBUG}
    assert {'urllib3.connectionpool', 'datadog_api_client.rest'} <= loggers
    for name in ('urllib3', 'datadog_api_client'):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_the_stand_in_refuses_what_datadog_would(datadog):
    """The stand-in is strict: wrong keys get 403, bodies datadog-api-client's models refuse get 400."""
    import urllib.error
    import urllib.request

    def post(path, body, keys=(API_KEY, APP_KEY), method='POST'):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(datadog.url + path, data=data, method=method)
        request.add_header('DD-API-KEY', keys[0])
        request.add_header('DD-APPLICATION-KEY', keys[1])
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status
        except urllib.error.HTTPError as e:
            return e.code

    def delete(path):
        return post(path, None, method='DELETE')

    monitor = next(a for a in ASSETS if a.id == 'ttft_p99').data['definition']
    dashboard = next(a for a in ASSETS if a.kind == 'dashboard').data
    assert post('/api/v1/monitor', monitor, keys=(API_KEY, '')) == 403
    assert post('/api/v1/monitor', monitor) == 400  # restriction_policy: not a field of the v1 Monitor model
    assert post('/api/v1/dashboard', dashboard) == 400  # author_name: read-only
    assert post('/api/v1/dashboard', dict(dashboard, author_name=None, title=3)) == 400
    rejected = [problems for _, _, problems in datadog.rejected]
    assert rejected[:2] == [['$.restriction_policy (unknown to Monitor)'], ['$.author_name is read-only']]
    assert len(rejected[2]) == 1 and rejected[2][0].startswith("ApiTypeError: Invalid type for variable 'title'")
    assert datadog.monitors == {} and datadog.dashboards == {}
    datadog.rejected.clear()

    # SLOs: their model, and burn-rate monitors that name an SLO that exists, as Datadog documents them.
    slo = next(a for a in ASSETS if a.id == 'slo_availability').data
    assert post('/api/v1/slo', dict(slo, thresholds=[{'timeframe': '30d'}])) == 400  # no target
    assert post('/api/v1/slo', dict(slo, id='abc')) == 400  # Datadog sets it
    burn = next(a for a in ASSETS if a.id == 'slo_availability.burn_1h').data['definition']
    assert post('/api/v1/monitor', burn) == 400  # still names the file, not an id
    assert post('/api/v1/monitor', dict(burn, query=burn['query'].replace('{{slo:slo_availability}}', 'f' * 32))) == 400
    assert datadog.slos == {} and datadog.monitors == {}
    assert post('/api/v1/slo', slo) == 200
    (slo_id,) = datadog.slos
    named = dict(burn, query=burn['query'].replace('{{slo:slo_availability}}', slo_id))
    for query in (
        named['query'].replace('"30d"', '"7d"'),  # a time window the SLO does not have
        named['query'].replace('"1h"', '"72h"'),  # a long window beyond 48 h
        named['query'].replace('"5m"', '"60m"'),  # a short window as long as the long one
        named['query'].replace('14.4', '250'),  # beyond 1 / (1 - 99.5%) = 200
    ):
        assert post('/api/v1/monitor', dict(named, query=query)) == 400, query
    assert datadog.monitors == {}
    assert post('/api/v1/monitor', named) == 200
    (monitor_id,) = datadog.monitors
    # An SLO a monitor names is not deleted; once the monitor is gone, it is.
    assert delete('/api/v1/slo/' + slo_id) == 409 and set(datadog.slos) == {slo_id}
    assert delete('/api/v1/monitor/{}'.format(monitor_id)) == 200
    assert delete('/api/v1/slo/' + slo_id) == 200 and datadog.slos == {}
    assert '$.thresholds[0]' in datadog.rejected[0][2]  # a threshold without its target is no SLOThreshold
    rejected = [problems[0] for _, _, problems in datadog.rejected]
    assert rejected[1] == '$.id (unknown to ServiceLevelObjectiveRequest)'
    assert rejected[2:4] == [
        "the slo alert monitor names no existing SLO: '{{slo:slo_availability}}'",
        "the slo alert monitor names no existing SLO: '{}'".format('f' * 32),
    ]
    assert "'7d' is none of the SLO's time windows ['30d']" in rejected[4]
    assert 'the long window must be 1 h to 48 h' in rejected[5] and 'the long window' in rejected[6]
    assert 'a burn rate of 250 cannot be reached by an SLO of 99.5% (at most 200)' in rejected[7]
    datadog.rejected.clear()


def step_line(out, verb, title):
    (found,) = [line for line in out.splitlines() if line.split(' ')[0] == verb and line[22:].startswith(title + '  [')]
    return found


def test_install_says_which_fields_differ(datadog, installed, run):
    overview = next(d for d in datadog.dashboards.values() if d['title'] == 'LLM Inference - Overview')
    overview['title'] = 'Overview (edited)'
    overview['widgets'] = overview['widgets'][:1]
    ttft = next(m for m in datadog.monitors.values() if 'time to first token p99' in m['name'])
    ttft['options']['thresholds']['critical'] = 9.0
    ttft['message'] = 'edited'
    code, out, _ = run('install', '--dry-run', '--api-url', datadog.url)
    assert code == 0 and datadog.writes() == []
    assert step_line(out, 'update', 'LLM Inference - Overview').endswith(']: title, widgets')
    assert step_line(out, 'update', ttft['name']).endswith(']: message, options.thresholds.critical')
    assert ': ' not in step_line(out, 'unchanged', 'LLM Inference - Groq').split(']')[-1]
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and step_line(out, 'updated', ttft['name']).endswith(']: message, options.thresholds.critical')


def test_differences_name_the_fields():
    wanted = {'a': {'b': [1, {'c': 2}], 'tags': ['x', 'y']}, 'd': [1, 2], 'e': None}
    assert bodies.differences(wanted, {'a': {'b': [1, {'c': 3}], 'tags': ['y', 'x']}, 'd': [1], 'e': {}}) == [
        '.a.b[1].c',
        '.d',
    ]
    assert bodies.describe_changes(['.a', '.b', '.c'], most=2) == 'a, b and 1 more'
    assert bodies.describe_changes(['']) == '(the whole object)'


def test_a_renamed_copy_that_kept_the_marker_is_left_alone_on_every_run(datadog, installed, run):
    overview = next(d for d in datadog.dashboards.values() if d['title'] == 'LLM Inference - Overview')
    mine = datadog.store_dashboard(dict(overview, id=None, title='My LLM overview', widgets=overview['widgets'][:2]))
    as_made = copy.deepcopy(mine)

    code, out, _ = run('uninstall', '--api-url', datadog.url)
    assert code == 0 and overview['id'] not in datadog.dashboards
    assert lines(out, 'copy') == {'My LLM overview'}
    # Never adopted, renamed or deleted, however often the command runs: first beside no object of the command's,
    # then beside the one it creates.
    for note in ('(a renamed copy?): left alone', '(a clone?): left alone'):
        code, out, _ = run('install', '--api-url', datadog.url)
        assert code == 0 and datadog.dashboards[mine['id']] == as_made
        assert lines(out, 'copy') == {'My LLM overview'}
        assert 'My LLM overview  [{}]: carries the marker of llm_inference_overview'.format(mine['id']) in out
        assert note in out
    titles = sorted(d['title'] for d in datadog.dashboards.values())
    assert titles == sorted(DASHBOARDS | {'My LLM overview'})
    code, out, _ = run('uninstall', '--api-url', datadog.url)
    assert code == 0 and datadog.dashboards == {mine['id']: as_made}


def test_without_the_record_a_renamed_object_is_not_adopted(datadog, installed, run, state_home):
    (state_home / RECORD).unlink()  # another machine, or a lost file: the titles are all that is left
    overview = next(d for d in datadog.dashboards.values() if d['title'] == 'LLM Inference - Overview')
    overview['title'] = 'renamed by someone'
    as_renamed = copy.deepcopy(overview)
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'created') == {'LLM Inference - Overview'}
    assert lines(out, 'copy') == {'renamed by someone'} and datadog.dashboards[overview['id']] == as_renamed
    # The record now holds the new object: the next run updates it, and still leaves the renamed one alone.
    code, out, _ = run('install', '--api-url', datadog.url)
    assert code == 0 and lines(out, 'unchanged') == EVERYTHING
    assert lines(out, 'copy') == {as_renamed['title']}


def test_a_429_is_retried_after_its_retry_after(datadog, run):
    datadog.fail(429, times=1, headers={'Retry-After': '1'})
    started = time.monotonic()
    code, out, err = run('install', '--api-url', datadog.url)
    assert code == 0, err
    assert time.monotonic() - started >= 1
    assert 'Datadog rate-limited the request while listing dashboards: retrying in 1 s' in err
    assert lines(out, 'created') == EVERYTHING


def test_a_429_is_retried_a_few_times_then_reported_with_its_time(datadog, run):
    datadog.fail(429, headers={'Retry-After': '0'})
    code, _, err = run('install', '--api-url', datadog.url)
    assert code == 4 and len(datadog.requests) == 4  # the first request and three retries
    assert 'run the command again in 0 s' in err


@pytest.mark.parametrize('header', ['120', 'date'])
def test_a_429_longer_than_max_wait_is_reported_with_its_time(datadog, run, header):
    if header == 'date':
        header = email.utils.formatdate(time.time() + 120, usegmt=True)
    datadog.fail(429, headers={'Retry-After': header})
    code, _, err = run('install', '--api-url', datadog.url)
    assert code == 4 and len(datadog.requests) == 1, err
    assert re.search(r'run the command again in 1(19|20|21) s', err) and 'a minute' not in err


def test_an_unreadable_record_stops_the_command_and_an_unwritable_one_is_a_warning(datadog, run, state_home, tmp_path):
    record = state_home / RECORD
    record.parent.mkdir(parents=True)
    record.write_text('not json')
    code, _, err = run('install', '--api-url', datadog.url)
    assert code == 2 and 'cannot read the record of installed objects {}'.format(record) in err
    assert datadog.requests == []
    blocked = tmp_path / 'a-file'
    blocked.write_text('')
    code, out, err = run('install', '--api-url', datadog.url, '--record', str(blocked / 'assets.json'))
    assert code == 0 and lines(out, 'created') == EVERYTHING
    assert 'warning: could not write the record of installed objects' in err
