"""What the tests share, naming no provider: the key the test servers accept, fixture payloads, the `Provider` class a
provider's test module declares its instance with (against a server of the test's own), the fault matrix's rows, the
query APIs' JSON envelope, assertion helpers and the simulated clocks. Tests import from here; conftest.py and the
plugins under plugins/ hold only fixtures and hooks.

What is one provider's (its instance, ids and keys, the model names its payloads send, its fault row, its session
engines) is declared in its own test module, tests/test_<name>.py (`provider_test_module`), under the names below
(`SETUP`, `CANONICAL`, `FAULTS`, `ENGINES`), where the shared tests find it without naming the provider."""

import copy
import importlib
import json
import os
import sys
from dataclasses import dataclass

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import assert_service_checks, get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck, budget, providers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

API_KEY = 'fw-test-key-3f9a1c'  # what ProviderServer (the `provider_server` fixture) accepts
START = 1_800_000_000.0  # the simulated clock's start
JSON = {'Content-Type': 'application/json'}


# The made-up model names tests of any provider send, and their `canonical_model`. The names a provider's payloads
# and simulator send are in its test module's `CANONICAL`, written out there by hand: the check (canonical.py) must
# come to the same name.
CANONICAL = {'m': 'm', 'm1': 'm1', 'a': 'a'}


def canonical_name(model):
    """The `canonical_model` the tests expect of `model`: from CANONICAL above, or the `CANONICAL` of the provider test
    module that declares it. The modules already imported are read first (a provider's module declares its `CANONICAL`
    before it calls `model_tags`, even while it is being imported); the others are imported for a name none of those
    has."""
    for imported_only in (True, False):
        for table in [CANONICAL] + [getattr(m, 'CANONICAL', {}) for m in provider_test_modules(imported_only)]:
            if model in table:
                return table[model]
    raise KeyError('{!r}: no test module declares its canonical name (`CANONICAL`)'.format(model))


def model_tags(model):
    """The `model` tag of a series and the `canonical_model` tag every metric carrying `model` gets with it."""
    return ['model:' + model, 'canonical_model:' + canonical_name(model)]


def fixture_path(name):
    return os.path.join(HERE, 'fixtures', name)


# When the fixtures recorded with their samples' millisecond timestamps were recorded. Served as just scraped: the
# check leaves out samples older than `max_sample_age`, by the wall clock (budget.now: tests may set it).
RECORDED_AT = '1748736000123'


def fixture_text(name):
    with open(fixture_path(name), encoding='utf-8') as f:
        text = f.read()
    return text.replace(' ' + RECORDED_AT + '\n', ' {}\n'.format(int(budget.now() * 1000)))


def filled(name, values, text=None):
    """A fixture whose values are `{placeholders}` (the two scrapes of a cumulative provider), or `text` shaped like
    it, with each placeholder replaced by its value in `values`."""
    text = fixture_text(name) if text is None else text
    for placeholder, value in values.items():
        text = text.replace('{' + placeholder + '}', str(value))
    return text


# --- a provider's instance, against a server a test starts on 127.0.0.1 ---------------------------------------------


@dataclass(frozen=True)
class Provider:
    """A provider's instance as the tests write it (its test module's `SETUP`): its own options, the path of its
    `api_url` on a test server, and the identity tags of everything it emits."""

    name: str
    options: dict  # beside `provider`, `api_key` and `api_url`
    base: str  # `api_url`'s path
    query_api: bool = False  # requests go to `base` + /api/v1/query
    identity: tuple = ()

    @property
    def path(self):
        """Where its requests arrive."""
        return self.base + ('/api/v1/query' if self.query_api else '')

    @property
    def tags(self):
        return ['provider:' + self.name, *self.identity]

    def instance(self, server=None, **options):
        """The instance against `server` (anything with a `url`); `options` add to or override the defaults."""
        instance = dict(copy.deepcopy(self.options), provider=self.name, api_key=API_KEY)
        if server is not None:
            instance['api_url'] = server.url + self.base
        instance.update(options)
        return instance

    def check(self, server=None, **options):
        return LlmInferenceCheck('llm_inference', {}, [self.instance(server, **options)])

    def scrape_twice(self, dd_run_check, server, clock, first, second, between=None, **options):
        """A check of this provider run on the reply `first`, then a minute later on `second` (a cumulative
        provider's rates need both scrapes); `between` is called between the runs. Returns the check."""
        from .provider_server import Reply

        check = self.check(server, **options)
        server.reply(self.path, Reply(body=first))
        dd_run_check(check)
        if between is not None:
            between()
        clock.t += 60
        server.reply(self.path, Reply(body=second))
        dd_run_check(check)
        return check


# --- the fault matrix (test_faults.py): each provider's test module declares its row --------------------------------


def fault_rows(setup, good, probe, nan=None, duplicates=None, **messages):
    """What a provider's test module declares as `FAULTS` for test_faults.py, which finds it by the provider's name.
    `setup`: its instance (its module's `SETUP`); `good`: a good reply; `probe`: a value it yields, with its tags;
    `nan`: (reply body, the sorted finite values it yields) for the case "NaN and Inf values": its own series, some
    NaN or infinite; `duplicates`: the same for "duplicate series" (a scraped provider's reply repeating a series with
    another value: the first counts); `messages`: the expectations of cases where this provider says more than its kind
    (`{case: (status, needle, ...)}`)."""
    kind = 'json' if setup.query_api else 'text'
    return dict(
        setup=setup,
        path=setup.path,
        kind=kind,
        good=good,
        probe=probe,
        nan=nan,
        duplicates=duplicates,
        messages=messages,
    )


def provider_test_module(name):
    """The test module of provider `name`: tests/test_<name>.py, or tests/test_<name>_provider.py where the bare name
    is taken by something else (the PromQL client's tests)."""
    for module in _module_names(name):
        try:
            return importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
    raise LookupError('no test module for provider ' + name)


def provider_test_modules(imported_only=False):
    """The test module of every provider (those already imported only, with `imported_only`), in the providers'
    order: what the shared tests read a provider's declarations from (`SETUP`, `FAULTS`, `CANONICAL`, `ENGINES`)."""
    if imported_only:
        return [sys.modules[m] for name in providers.PROVIDERS for m in _module_names(name) if m in sys.modules]
    return [provider_test_module(name) for name in providers.PROVIDERS]


def _module_names(name):
    return ('tests.test_' + name, 'tests.test_{}_provider'.format(name))


# --- a provider's documented series, and its simulator's limit ----------------------------------------------------


def every_series(metric_map, labels, n, populations=lambda raw: ('',), gauge=2):
    """A reply holding a series of every raw name of a provider's METRIC_MAP (its documented series): cumulative
    counters (with a non-2xx `status_code`, so an error rate has one) and buckets growing with `n`, gauges at `gauge`.
    `populations(raw)`: label texts added to `labels`, a series each (the `token_type`s a family is split by)."""
    lines = []
    for raw, specs in metric_map.items():
        spec = specs[0] if isinstance(specs, tuple) else specs
        for more in populations(raw):
            series = labels + more
            if raw.endswith('_bucket'):
                lines += ['{}{{{},le="{}"}} {}'.format(raw, series, le, c * n) for le, c in (('1.0', 3), ('+Inf', 4))]
            elif spec.cumulative:
                lines.append('{}{{{},status_code="500"}} {}'.format(raw, series, 10 * n))
            else:
                lines.append('{}{{{}}} {}'.format(raw, series, gauge))
    return '\n'.join(lines) + '\n'


def provider_rows(provider):
    """The names of the metadata.csv rows only `provider` has (`llm_inference.<provider>.*`), without the namespace."""
    prefix = 'llm_inference.{}.'.format(provider)
    with open(os.path.join(ROOT, 'metadata.csv'), encoding='utf-8') as f:
        return {line.split(',', 1)[0].split('.', 1)[1] for line in f if line.startswith(prefix)}


def assert_simulated_limit(server, path, authorization, now):
    """A simulated provider answers 6 requests a minute, then 429 with a Retry-After, then again a minute later
    (`now`: the server's clock, a one-item list)."""
    statuses = [server.answer(path, authorization).status for _ in range(7)]
    assert statuses == [200] * 6 + [429]
    limited = server.answer(path, authorization)
    assert limited.status == 429 and int(limited.headers['Retry-After']) > 0
    now[0] += 61
    assert server.answer(path, authorization).status == 200


# --- the query APIs' JSON (Prometheus's envelope, which VictoriaMetrics and the query providers answer in) -----------


def vector(*series, at=1700000000, warnings=()):
    """A successful instant query: one (labels, value) pair a series, the value written as the APIs write it."""
    body = {
        'status': 'success',
        'data': {
            'resultType': 'vector',
            'result': [{'metric': labels, 'value': [at, str(value)]} for labels, value in series],
        },
    }
    if warnings:
        body['warnings'] = list(warnings)
    return json.dumps(body)


def query_error(error, error_type='bad_data'):
    """A query the API refused."""
    return json.dumps({'status': 'error', 'errorType': error_type, 'error': error})


# --- what a query provider's engine holds: its raw samples, read with plain queries (none of the check's) -------------


def latest_samples(engine, selector):
    """[(labels, value)] of the latest raw sample of each series `selector` picks in `engine` (a session engine a
    provider's test module started): what an instant query of the series reads now."""
    reply = engine.query(selector)
    return [(dict(r['metric']), float(r['value'][1])) for r in reply['data']['result']]


def counter_rates(engine, selector, window='5m'):
    """[(labels, per-second increase)] of each counter `selector` picks in `engine`, from its first and last raw
    samples of the last `window` (the counters the tests load grow linearly, so any two samples give the rate)."""
    reply = engine.query('{}[{}]'.format(selector, window))
    rates = []
    for r in reply['data']['result']:
        (t0, v0), (t1, v1) = r['values'][0], r['values'][-1]
        rates.append((dict(r['metric']), (float(v1) - float(v0)) / (t1 - t0)))
    return rates


def by_labels(samples, *names):
    """{tuple of the labels `names`: value} of samples (labels, value) (the `__name__` label is read as any other),
    values of the same key summed."""
    found = {}
    for labels, value in samples:
        key = tuple(labels.get(n) for n in names)
        found[key] = found.get(key, 0.0) + value
    return found


def bucket_sets(samples, *names):
    """{tuple of the labels `names`: {upper bound: value}} of bucket samples (labels with `le`), +Inf as inf."""
    found = {}
    for labels, value in samples:
        key = tuple(labels.get(n) for n in names)
        found.setdefault(key, {})[float(labels['le'])] = value
    return found


# --- what the aggregator received ------------------------------------------------------------------------------------


def catalog_values(aggregator):
    """Names of the catalog metrics submitted (the integration's own telemetry aside)."""
    return [name for name in aggregator.metric_names if not name.startswith('llm_inference.integration.')]


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


def assert_reply_identity(aggregator, caplog, tags, identity, series, message=None):
    """A run whose reply's ids were compared with the instance's options (identity.py), every metric asserted: each
    point carries the one `identity` tag (the option's, never the reply's beside it), the run's telemetry is tagged
    `tags`, and the service check is OK with no message, or WARNING with exactly `message`, logged once in the run
    (caplog at WARNING), not once per series."""
    key = identity.split(':', 1)[0] + ':'
    for name in aggregator.metric_names:
        for m in aggregator.metrics(name):
            assert [t for t in m.tags if t.startswith(key)] == [identity], (name, m.tags)
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=tags + ['outcome:ok'], count=1)
    aggregator.assert_metric('llm_inference.integration.series', series, tags=tags, count=1)
    assert_no_drift(aggregator, tags)
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    said = [r.getMessage() for r in caplog.records if "but the reply's series are of" in r.getMessage()]
    if message is None:
        assert (sc.status, sc.tags, sc.message or '', said) == (AgentCheck.OK, tags, '', [])
    else:
        assert (sc.status, sc.tags, sc.message, said) == (AgentCheck.WARNING, tags, message, [message])
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def assert_agent_conventions(aggregator):
    """What integrations-core asserts of a check's runs: each service check and status is one
    assets/service_checks.json declares (datadog-checks-dev's helper, which skips it on a stub without
    `assert_service_checks`), and no metric was submitted twice with the same tags and type."""
    assert_service_checks(aggregator)
    aggregator.assert_no_duplicate_metrics()


def drift_values(aggregator, name):
    """{tag (or '' for none): value} of a drift telemetry gauge of the last run."""
    values = {}
    for m in aggregator.metrics('llm_inference.integration.' + name):
        extra = [t for t in m.tags if t.split(':', 1)[0] in ('raw_name', 'label', 'reason')]
        values[extra[0] if extra else ''] = m.value
    if values:
        aggregator.assert_metric('llm_inference.integration.' + name)  # marks it asserted
    return values


# --- time -----------------------------------------------------------------------------------------------------------


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


def assert_aggregates(aggregator):
    """The model-level percentiles and SLO rates a run submitted, checked against the series they come from (exact
    values: tests/test_model_scope.py, tests/test_bucket_outputs.py): a model-level point's tags are those of the
    series it merges without their deployment-level tags, and equal to the series where the model has one; an SLO
    pair carries its objective and threshold, good at most total."""
    for name in [n for n in aggregator.metric_names if n.startswith('llm_inference.model.')]:
        per_series = aggregator.metrics('llm_inference.' + name[len('llm_inference.model.') :])
        for m in aggregator.metrics(name):
            merged = [s for s in per_series if set(m.tags) <= set(s.tags)]
            assert merged, (name, m.tags)
            if len(merged) == 1:
                assert merged[0].value == pytest.approx(m.value), (name, m.tags)
            aggregator.assert_metric(name, m.value, tags=m.tags)
    goods = {tuple(sorted(m.tags)): m.value for m in aggregator.metrics('llm_inference.slo.requests.good')}
    totals = {tuple(sorted(m.tags)): m.value for m in aggregator.metrics('llm_inference.slo.requests.total')}
    assert set(goods) == set(totals)
    for tags, good in goods.items():
        assert good <= totals[tags] * (1 + 1e-9), tags
        assert any(t.startswith('objective:') for t in tags) and any(t.startswith('threshold:') for t in tags)
        aggregator.assert_metric('llm_inference.slo.requests.good', good, tags=list(tags))
        aggregator.assert_metric('llm_inference.slo.requests.total', totals[tags], tags=list(tags))


def aggregate_series(aggregator):
    """How many model-level and SLO points a run submitted (each checked by assert_aggregates)."""
    names = [n for n in aggregator.metric_names if n.startswith(('llm_inference.model.', 'llm_inference.slo.'))]
    return sum(len(aggregator.metrics(n)) for n in names)
