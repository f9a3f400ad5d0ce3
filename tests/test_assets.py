"""Dashboards, monitors and SLOs: they deserialize into datadog-api-client's models, and every metric and tag they
name is in metadata.csv and emitted (with that tag) by the check in this suite."""

import csv
import json
import os
import re

import pytest
from datadog_api_client.v1.model.dashboard import Dashboard
from datadog_api_client.v1.model.monitor import Monitor
from datadog_api_client.v1.model.service_level_objective_request import ServiceLevelObjectiveRequest

from datadog_checks.llm_inference.assets import build, paths

from .common import HERE
from .datadog_models import deserialize, unparsed
from .query_eval import Filter as query_filter

ROOT = os.path.dirname(HERE)
# Read through the loader the assets command uses: the repository's copy in a checkout, the package's when installed.
DASHBOARDS = paths('dashboards')
MONITORS = paths('monitors')
SLOS = paths('slos')
BURN_RATE = re.compile(
    r'^burn_rate\("\{\{slo:([a-z0-9_]+)\}\}"\)\.over\("(\d+d)"\)\.long_window\("(\d+)h"\)'
    r'\.short_window\("(\d+)m"\) > ([\d.]+)$'
)
METRIC_QUERY = re.compile(r'(?:avg|sum|min|max):(llm_inference\.[a-z0-9_.]+)\{([^}]*)\}(?:\s*by\s*\{([^}]*)\})?')
SERVICE_CHECK_QUERY = re.compile(r'"(llm_inference\.[a-z_.]+)"\.over\([^)]*\)\.by\(([^)]*)\)')


def load(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def strings(obj):
    if isinstance(obj, dict):
        for value in obj.values():
            yield from strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from strings(value)
    elif isinstance(obj, str):
        yield obj


def metric_uses(obj):
    """(metric, tag keys it filters or groups on) for every metric query in a dashboard or monitor."""
    for text in strings(obj):
        for metric, filters, by in METRIC_QUERY.findall(text):
            keys = set(query_filter(filters).keys)  # either filter syntax: `a:b,$c` or `$c AND a IN (b, d)`
            keys.update(k.strip() for k in by.split(',') if k.strip())
            yield metric, keys


def metadata_names():
    with open(os.path.join(ROOT, 'metadata.csv'), encoding='utf-8') as f:
        return {row['metric_name'] for row in csv.DictReader(f)}


def test_assets_are_what_the_builder_writes():
    built = build.build(repository=ROOT)
    on_disk = {os.path.relpath(p, ROOT): open(p, encoding='utf-8').read() for p in DASHBOARDS + MONITORS + SLOS}
    on_disk['manifest.json'] = open(os.path.join(ROOT, 'manifest.json'), encoding='utf-8').read()
    assert set(built) == set(on_disk), 'run scripts/build_assets.py'
    for path, text in built.items():
        assert on_disk[path] == text, '{} differs from what the builder writes: run scripts/build_assets.py'.format(
            path
        )


def test_manifest_lists_every_asset():
    manifest = load(os.path.join(ROOT, 'manifest.json'))['assets']
    assert sorted(manifest['dashboards'].values()) == sorted(os.path.relpath(p, ROOT) for p in DASHBOARDS)
    assert sorted(manifest['monitors'].values()) == sorted(os.path.relpath(p, ROOT) for p in MONITORS)


@pytest.mark.parametrize('path', DASHBOARDS, ids=os.path.basename)
def test_dashboard_deserializes(path):
    data = load(path)
    assert unparsed(deserialize(data, Dashboard)) == []
    assert data['layout_type'] == 'ordered'
    groups = [w['definition'] for w in data['widgets']]
    assert all(g['type'] == 'group' for g in groups)
    for g in groups:  # each group opens with a note saying what to look for
        assert g['widgets'][0]['definition']['type'] == 'note' and len(g['widgets'][0]['definition']['content']) > 40
    ids = [w['id'] for g in data['widgets'] for w in [g] + g['definition']['widgets']]
    assert len(ids) == len(set(ids))
    used = {key for _, keys in metric_uses(data) for key in keys}
    for variable in data['template_variables']:
        assert variable['name'] in used, 'template variable ${} is used by no query'.format(variable['name'])


@pytest.mark.parametrize('path', MONITORS, ids=os.path.basename)
def test_monitor_deserializes(path):
    data = load(path)
    assert unparsed(deserialize(data['definition'], Monitor)) == []
    assert 'integration:llm_inference' in data['tags'] and len(data['description']) > 60
    assert len(data['definition']['message']) > 60


@pytest.mark.parametrize('path', SLOS, ids=os.path.basename)
def test_slo_and_its_burn_rate_monitors_deserialize_and_agree(path):
    data = load(path)
    assert set(data) == {'slo', 'burn_rate_monitors'}
    slo = data['slo']
    assert unparsed(deserialize(slo, ServiceLevelObjectiveRequest)) == []
    assert slo['type'] == 'metric' and 'integration:llm_inference' in slo['tags'] and len(slo['description']) > 60
    (threshold,) = slo['thresholds']
    assert 0 < threshold['target'] < threshold['warning'] < 100  # Datadog wants the warning the stricter
    name = os.path.basename(path)[: -len('.json')]
    pairs = []
    for monitor in data['burn_rate_monitors'].values():
        assert unparsed(deserialize(monitor, Monitor)) == []
        assert monitor['type'] == 'slo alert' and len(monitor['message']) > 60
        slo_file, window, long, short, rate = BURN_RATE.match(monitor['query']).groups()
        # It names its own SLO, over the SLO's time window, with the threshold Datadog alerts on, which the SLO's
        # target can reach (at most 1 / (1 - target)); long window 1 h to 48 h, the short one below it.
        assert slo_file == name and window == threshold['timeframe']
        assert float(rate) == monitor['options']['thresholds']['critical'] <= 1 / (1 - threshold['target'] / 100)
        assert 1 <= int(long) <= 48 and int(short) < 60 * int(long)
        pairs.append((int(long), int(short), float(rate)))
    assert sorted(pairs) == [(1, 5, 14.4), (6, 30, 6.0)]  # the usual pairs for a 30-day target


def test_every_metric_named_is_in_metadata():
    names = metadata_names()
    for path in DASHBOARDS + MONITORS + SLOS:
        for metric, _ in metric_uses(load(path)):
            assert metric in names, '{} names {}, missing from metadata.csv'.format(os.path.basename(path), metric)


@pytest.mark.catalog_coverage
def test_every_metric_and_tag_named_is_emitted(whole_suite_emitted):
    metrics, _, service_check_tags = whole_suite_emitted
    for path in DASHBOARDS + MONITORS + SLOS:
        data = load(path)
        for metric, keys in metric_uses(data):
            assert metric in metrics, '{}: {} is emitted by no test'.format(os.path.basename(path), metric)
            emitted_keys = {tag.split(':', 1)[0] for tag in metrics[metric]}
            missing = keys - emitted_keys
            assert not missing, '{}: {} is never emitted with {}'.format(os.path.basename(path), metric, missing)
        for text in strings(data):
            for name, by in SERVICE_CHECK_QUERY.findall(text):
                keys = {k.strip().strip('"') for k in by.split(',')}
                emitted_keys = {tag.split(':', 1)[0] for tag in service_check_tags.get(name, ())}
                assert keys <= emitted_keys, (name, keys - emitted_keys)
        for widget in (w for g in data.get('widgets', []) for w in g['definition']['widgets']):
            if widget['definition']['type'] == 'check_status':
                name = widget['definition']['check']
                emitted_keys = {tag.split(':', 1)[0] for tag in service_check_tags.get(name, ())}
                assert set(widget['definition']['group_by']) <= emitted_keys
