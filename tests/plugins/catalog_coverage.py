"""Catalog coverage: every metadata.csv row, and every metric and tag the dashboards and monitors name, must be emitted
by some test. This plugin records what the aggregator received in every test (metrics with their tags, service checks
with their statuses and tags) in the session's stash; the tests marked `catalog_coverage` run last and read it through
the `whole_suite_emitted` fixture, which skips them when only part of the suite ran."""

from pathlib import Path
from typing import NamedTuple

import pytest

SUITE = Path(__file__).resolve().parent.parent  # tests/


class Emitted(NamedTuple):
    metrics: dict  # metric name -> set of tags
    service_checks: dict  # service check name -> set of statuses
    service_check_tags: dict  # service check name -> set of tags


EMITTED = pytest.StashKey[Emitted]()
WHOLE_SUITE = pytest.StashKey[bool]()


def pytest_configure(config):
    config.addinivalue_line('markers', 'catalog_coverage: checks what the whole suite emitted; runs last')
    config.addinivalue_line(
        'markers', 'user_named_metrics(*names): metrics a test names itself (`extra_metrics`), not the catalog\'s'
    )
    config.stash[EMITTED] = Emitted({}, {}, {})


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.get_closest_marker('catalog_coverage') is not None)
    test_files = {path.name for path in SUITE.glob('test_*.py')}
    collected = {item.path.name for item in items if item.path.parent == SUITE}
    config.stash[WHOLE_SUITE] = test_files <= collected


@pytest.fixture(autouse=True)
def record_emitted(request, aggregator, monkeypatch):
    """Records every submission, including those a test later clears with aggregator.reset()."""
    emitted = request.config.stash[EMITTED]
    # A metric the test's own configuration names is the user's, not one metadata.csv must list.
    marker = request.node.get_closest_marker('user_named_metrics')
    user_named = frozenset(marker.args if marker else ())
    submit_metric, submit_service_check = aggregator.submit_metric, aggregator.submit_service_check

    def record_metric(check, check_id, mtype, name, value, tags, *args):
        if name not in user_named:
            emitted.metrics.setdefault(name, set()).update(tags or ())
        return submit_metric(check, check_id, mtype, name, value, tags, *args)

    def record_service_check(check, check_id, name, status, tags, *args):
        emitted.service_checks.setdefault(name, set()).add(status)
        emitted.service_check_tags.setdefault(name, set()).update(tags or ())
        return submit_service_check(check, check_id, name, status, tags, *args)

    submit_bucket = aggregator.submit_histogram_bucket

    def record_bucket(check, check_id, name, value, lower, upper, monotonic, hostname, tags, *args, **kwargs):
        # Distribution buckets (`latency_distributions`) are metrics of the catalog too.
        emitted.metrics.setdefault(name, set()).update(tags or ())
        return submit_bucket(check, check_id, name, value, lower, upper, monotonic, hostname, tags, *args, **kwargs)

    monkeypatch.setattr(aggregator, 'submit_metric', record_metric)
    monkeypatch.setattr(aggregator, 'submit_histogram_bucket', record_bucket)
    monkeypatch.setattr(aggregator, 'submit_service_check', record_service_check)
    yield


@pytest.fixture
def whole_suite_emitted(request):
    """(metrics, service checks, service check tags) the whole suite emitted; skips when only part of it ran."""
    if not request.config.stash.get(WHOLE_SUITE, False):
        pytest.skip('needs the whole suite: run without selecting files or -k')
    if request.config.getoption('keyword') or request.config.getoption('markexpr'):
        pytest.skip('needs the whole suite: run without -k or -m')
    return request.config.stash[EMITTED]
