"""Every cache keyed by what providers send stays bounded: model names and label values that churn over hundreds of
runs (fine-tunes, deployments created by the hour, pods) must not grow a check's memory for the life of the Agent."""

import json

from datadog_checks.llm_inference import canonical, drift
from datadog_checks.llm_inference.canonical import CanonicalNames

from .common import JSON, vector
from .provider_server import Reply
from .test_fireworks import FIREWORKS
from .test_promql_provider import PROMQL

RUNS = 300
PER_RUN = 8  # new model names (and pod label values) each run: 2400 in all, more than any bound below
BOUND = max(canonical.MAX_CACHED, drift.MAX_LOGGED) + PER_RUN * 4


def largest_containers(root):
    """(size, path) of every dict, list, tuple and set reachable from `root` through the integration's own objects."""
    found, seen, todo = [], set(), [(root, 'check')]
    while todo:
        obj, path = todo.pop()
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float, type)):
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            found.append((len(obj), path))
            todo.extend((v, '{}[{!r}]'.format(path, k)) for k, v in obj.items())
            todo.extend((k, path + '.<key>') for k in obj)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            found.append((len(obj), path))
            todo.extend((v, path + '[]') for v in obj)
        elif type(obj).__module__.startswith('datadog_checks.llm_inference'):
            attributes = dict(getattr(obj, '__dict__', {}))
            for slot in getattr(type(obj), '__slots__', ()):
                if hasattr(obj, slot):
                    attributes[slot] = getattr(obj, slot)
            todo.extend((v, '{}.{}'.format(path, k)) for k, v in attributes.items())
    return sorted(found, reverse=True)[:3]


def fireworks_reply(run):
    lines = []
    for i in range(PER_RUN):
        model = 'accounts/acme/models/ft-{}-{}'.format(run, i)
        lines.append(
            'request_counter_total:sum_by_deployment{{deployment_id="d{i}",base_model="{m}",pod="p-{r}-{i}"}} 1\n'
            'unknown_series_{r}_{i}{{deployment_id="d{i}"}} 1\n'.format(i=i, m=model, r=run)
        )
    return ''.join(lines)


def test_scrape_caches_stay_bounded_as_models_churn(dd_run_check, aggregator, provider_server):
    check = FIREWORKS.check(provider_server, requests_per_minute=0)
    for run in range(RUNS):
        provider_server.reply(FIREWORKS.path, Reply(body=fireworks_reply(run)))
        dd_run_check(check)
        aggregator.reset()
    assert len(check.canonical._cache) <= canonical.MAX_CACHED
    assert len(check.drift.logged) <= drift.MAX_LOGGED
    (size, path), *_ = largest_containers(check)
    assert size <= BOUND, path


def test_query_caches_stay_bounded_as_models_churn(dd_run_check, aggregator, provider_server):
    check = PROMQL.check(
        provider_server,
        requests_per_minute=0,
        queries=[{'name': 'requests.rate', 'query': 'x', 'aggregate': 'sum'}],
    )
    for run in range(RUNS):
        series = [({'model': 'm-{}-{}'.format(run, i), 'pod': 'p-{}'.format(i)}, 1) for i in range(PER_RUN)]
        provider_server.reply(PROMQL.path, Reply(body=vector(*series), headers=JSON))
        dd_run_check(check)
        aggregator.reset()
    assert len(check.canonical._cache) <= canonical.MAX_CACHED
    (size, path), *_ = largest_containers(check)
    assert size <= BOUND, path


def test_canonical_cache_is_bounded_and_still_right():
    names = CanonicalNames({'my-ft': 'llama-3.1-8b-instruct'})
    for i in range(canonical.MAX_CACHED * 3):
        assert names('accounts/a/models/Qwen2p5-{}'.format(i)) == 'qwen2.5-{}'.format(i)
        assert len(names._cache) <= canonical.MAX_CACHED
    assert names('my-ft') == 'llama-3.1-8b-instruct'
