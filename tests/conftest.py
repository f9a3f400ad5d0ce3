import os

import pytest
from hypothesis import settings

from datadog_checks.base.stubs import datadog_agent
from datadog_checks.llm_inference import budget

from .engines import (  # noqa: F401
    crusoe_engine,
    crusoe_variant_engine,
    groq_engine,
    groq_engine_spelled,
    groq_old_engine,
    groq_renamed_engine,
    groq_variant_engine,
    load_time,
)
from .provider_server import ProviderServer

HERE = os.path.dirname(os.path.abspath(__file__))

# In CI the property tests draw the same examples every run (the ones this suite was proven on); locally they explore.
settings.register_profile('ci', derandomize=True)
if os.environ.get('CI'):
    settings.load_profile('ci')
API_KEY = 'fw-test-key-3f9a1c'
START = 1_800_000_000.0


class Clock:
    """The clocks of a simulated run. ``t`` is the time that passes (what a provider's server sees: call the clock);
    the budget reads the host's wall clock (``wall``: ``t`` plus any step NTP made) and a monotonic clock of another
    origin (``monotonic``), which no step moves."""

    def __init__(self, t=START):
        self.t = t
        self.wall_step = 0.0

    def __call__(self):
        return self.t

    def wall(self):
        return self.t + self.wall_step

    def monotonic(self):
        return self.t - START + 4242.0

    def install(self, monkeypatch):
        monkeypatch.setattr(budget, 'now', self.wall)
        monkeypatch.setattr(budget, 'monotonic', self.monotonic)
        return self


@pytest.fixture
def clock(monkeypatch):
    return Clock().install(monkeypatch)


def assert_gauge_close(aggregator, name, value, tags, rel=1e-6):
    """One submission of `name` with exactly `tags`, whose value is `value` within float rounding."""
    found = [m for m in aggregator.metrics(name) if sorted(m.tags) == sorted(tags)]
    assert len(found) == 1, (name, tags, [m.tags for m in aggregator.metrics(name)])
    assert found[0].value == pytest.approx(value, rel=rel), (name, tags)
    aggregator.assert_metric(name, tags=tags, count=1)  # marks it asserted for assert_all_metrics_covered


def assert_no_drift(aggregator, tags):
    """The run's drift telemetry says the reply held nothing the check could not map, and nothing was dropped."""
    for name in ('unmapped_series', 'unmapped_labels', 'series_dropped'):
        aggregator.assert_metric('llm_inference.integration.' + name, 0, tags=tags, count=1)


def drift_values(aggregator, name):
    """{tag (or '' for none): value} of a drift telemetry gauge of the last run."""
    values = {}
    for m in aggregator.metrics('llm_inference.integration.' + name):
        extra = [t for t in m.tags if t.split(':', 1)[0] in ('raw_name', 'label', 'reason')]
        values[extra[0] if extra else ''] = m.value
    if values:
        aggregator.assert_metric('llm_inference.integration.' + name)  # marks it asserted
    return values


def fixture_text(name):
    with open(os.path.join(HERE, 'fixtures', name), encoding='utf-8') as f:
        return f.read()


@pytest.fixture(autouse=True)
def fresh_budgets():
    """Budgets and cooldowns are process-wide, as in the Agent (and persisted); each test starts with none spent."""
    budget.LEDGER.reset()
    datadog_agent.reset()
    yield
    budget.LEDGER.reset()
    datadog_agent.reset()


@pytest.fixture
def provider_server():
    with ProviderServer(api_key=API_KEY) as server:
        yield server


# --- what the whole suite emitted ---------------------------------------------------------------------------------
# Every metadata.csv row, and every metric and tag the dashboards and monitors name, must be emitted by some test.
# Tests record what the aggregator saw; tests marked `catalog_coverage` run last and check the union.
EMITTED_METRICS = {}  # metric name -> set of tags
EMITTED_SERVICE_CHECKS = {}  # service check name -> set of statuses
EMITTED_SERVICE_CHECK_TAGS = {}  # service check name -> set of tags


@pytest.fixture(autouse=True)
def record_emitted(aggregator, monkeypatch):
    """Records every submission, including those a test later clears with aggregator.reset()."""
    submit_metric, submit_service_check = aggregator.submit_metric, aggregator.submit_service_check

    def record_metric(check, check_id, mtype, name, value, tags, *args):
        EMITTED_METRICS.setdefault(name, set()).update(tags or ())
        return submit_metric(check, check_id, mtype, name, value, tags, *args)

    def record_service_check(check, check_id, name, status, tags, *args):
        EMITTED_SERVICE_CHECKS.setdefault(name, set()).add(status)
        EMITTED_SERVICE_CHECK_TAGS.setdefault(name, set()).update(tags or ())
        return submit_service_check(check, check_id, name, status, tags, *args)

    monkeypatch.setattr(aggregator, 'submit_metric', record_metric)
    monkeypatch.setattr(aggregator, 'submit_service_check', record_service_check)
    yield


def pytest_configure(config):
    config.addinivalue_line('markers', 'catalog_coverage: checks what the whole suite emitted; runs last')


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.get_closest_marker('catalog_coverage') is not None)
    test_files = {f for f in os.listdir(HERE) if f.startswith('test_') and f.endswith('.py')}
    collected = {os.path.basename(str(item.fspath)) for item in items}
    config._llm_inference_full_suite = test_files <= collected


@pytest.fixture
def whole_suite_emitted(request):
    """(metrics, service checks) the whole suite emitted; skips when only part of the suite was collected."""
    if not getattr(request.config, '_llm_inference_full_suite', False):
        pytest.skip('needs the whole suite: run without selecting files or -k')
    if request.config.getoption('keyword') or request.config.getoption('markexpr'):
        pytest.skip('needs the whole suite: run without -k or -m')
    return EMITTED_METRICS, EMITTED_SERVICE_CHECKS, EMITTED_SERVICE_CHECK_TAGS
