"""Every provider through the entry class against the bundled simulator, for several cycles, on a simulated clock."""

import io
import os
import re
import signal
import subprocess
import sys

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck, runner
from datadog_checks.llm_inference.providers import PROVIDERS
from simulator import crusoe, demo, fireworks, groq, registry, traffic, wafer
from simulator.crusoe import CRUSOE_MODELS
from simulator.groq import GROQ_MODELS, GROQ_PROJECT, MINUTES, groq_rate, groq_token_rate
from simulator.provider import FAILING_TAG
from simulator.server import Simulator

from .common import ROOT, Clock, assert_agent_conventions, assert_gauge_close, catalog_values, model_tags
from .reference import expected_quantile

pytestmark = pytest.mark.integration
CYCLES = 4
QUANTILE_FAMILIES = {
    'latency_to_first_token_ms': 'time_to_first_token.seconds',
    'latency_overall_ms': 'e2e_latency.seconds',
    'latency_generation_queue_ms': 'queue_latency.seconds',
}


@pytest.fixture
def simulation(monkeypatch, load_time):
    # A fixed phase of the simulated day: outside bursts and error spikes, so the run is the same every time.
    start = load_time - (load_time % traffic.SPIKE_EVERY) + traffic.SPIKE_FOR + 60
    clock = Clock(start).install(monkeypatch)
    with Simulator(clock=clock) as sim:
        yield sim, clock


def fireworks_expectations(aggregator, t):
    for d in fireworks.DEPLOYMENTS:
        tags = ['provider:fireworks', 'account:acme', *model_tags(d.base_model), 'deployment:' + d.deployment_id]
        rps = fireworks.deployment_load(d, t)
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', rps, tags + ['window:1m'])
        gauges = fireworks.gauges(d, t)
        assert_gauge_close(
            aggregator, 'llm_inference.kv_cache.usage', gauges['generator_kv_blocks_fraction:avg_by_deployment'], tags
        )
        # Spend: replicas at the demo's price per replica-hour, over the prompt tokens of the hour (Fireworks reports
        # no output tokens).
        hourly = d.replicas * fireworks.PROVIDER.pricing['replica_hour']
        cost = tags + ['basis:replicas', 'price_source:user']
        assert_gauge_close(aggregator, 'llm_inference.cost.hourly', hourly, cost)
        prompt = gauges['tokens_prompt_total:sum_by_deployment'] * 3600 / 1e6
        assert_gauge_close(
            aggregator,
            'llm_inference.cost.per_million_tokens',
            hourly / prompt,
            cost + ['window:1m', 'tokens_counted:input'],
        )
        buckets = fireworks.buckets(d, t)
        for family, name in QUANTILE_FAMILIES.items():
            rows = buckets[family][:-1]
            bounds = [float(le) for le, _ in rows]
            shares = [rate / rps for _, rate in rows]
            for q in ('0.5', '0.99'):
                value = expected_quantile(float(q), bounds, shares, 1.0) / 1000
                assert_gauge_close(
                    aggregator, 'llm_inference.' + name, value, tags + ['window:1m', 'quantile:' + q], rel=1e-6
                )


def wafer_expectations(aggregator, endpoint, t):
    values = wafer.values(endpoint, t)
    tags = ['provider:wafer', 'deployment:' + endpoint, *model_tags(wafer.MODELS[endpoint])]
    # A flat hourly price over the tokens of the last 24 hours (an hourly average).
    hourly = wafer.PRICING[endpoint]['hour']
    assert_gauge_close(aggregator, 'llm_inference.cost.hourly', hourly, tags + ['basis:flat', 'price_source:user'])
    served = (values['wafer_input_tokens_last_24h'] + values['wafer_output_tokens_last_24h']) / 24 / 1e6
    assert_gauge_close(
        aggregator,
        'llm_inference.cost.per_million_tokens',
        hourly / served,
        tags + ['basis:flat', 'price_source:user', 'window:24h', 'tokens_counted:input_output'],
    )
    total = sum(values['wafer_requests_last_24h'].values())
    assert_gauge_close(aggregator, 'llm_inference.requests.rate', total / 86400, tags + ['window:24h'])
    assert_gauge_close(aggregator, 'llm_inference.kv_cache.usage', values['wafer_engine_kv_cache_usage_ratio'], tags)
    assert_gauge_close(
        aggregator,
        'llm_inference.time_to_first_token.seconds',
        values['wafer_ttft_seconds']['0.99'],
        tags + ['quantile:0.99', 'window:24h'],
    )


def query_expectations(aggregator):
    prices = groq.PROVIDER.pricing['tokens']
    for model, spec in GROQ_MODELS.items():
        total = sum(groq_rate(model, code, MINUTES - 1) for code in spec['rates'])
        assert_gauge_close(
            aggregator, 'llm_inference.requests.rate', total, ['provider:groq', *model_tags(model), 'window:1m']
        )
        # Per-token prices, by canonical name; a model without one (qwen3-32b) has no cost.
        tags = ['provider:groq', *model_tags(model), 'project_id:' + GROQ_PROJECT, 'window:5m']
        price = prices.get(model_tags(model)[1].split(':', 1)[1])
        tokens = {kind: groq_token_rate(model, kind, MINUTES - 1) * 3600 for kind in ('tokens_in', 'tokens_out')}
        if price is None:
            assert not [m for m in aggregator.metrics('llm_inference.cost.hourly') if 'model:' + model in m.tags]
            continue
        hourly = (tokens['tokens_in'] * price['input'] + tokens['tokens_out'] * price['output']) / 1e6
        assert_gauge_close(
            aggregator, 'llm_inference.cost.hourly', hourly, tags + ['basis:tokens', 'price_source:user']
        )
        assert_gauge_close(
            aggregator,
            'llm_inference.cost.per_million_tokens',
            hourly / (sum(tokens.values()) / 1e6),
            tags + ['basis:tokens', 'price_source:user', 'tokens_counted:input_output'],
        )
    for (model, tier), spec in CRUSOE_MODELS.items():
        tags = [
            'provider:crusoe',
            'project_id:' + crusoe.PROJECT,
            *model_tags(model),
            'service_tier:' + tier,
            'window:5m',
        ]
        assert_gauge_close(aggregator, 'llm_inference.tokens.output.rate', spec['output'], tags)
        price = crusoe.PROVIDER.pricing['tokens'][model_tags(model)[1].split(':', 1)[1]]
        hourly = (spec['input'] * price['input'] + spec['output'] * price['output']) * 3600 / 1e6
        assert_gauge_close(
            aggregator, 'llm_inference.cost.hourly', hourly, tags + ['basis:tokens', 'price_source:user']
        )
        assert_gauge_close(
            aggregator,
            'llm_inference.cost.per_million_tokens',
            hourly / ((spec['input'] + spec['output']) * 3600 / 1e6),
            tags + ['basis:tokens', 'price_source:user', 'tokens_counted:input_output'],
        )


def test_every_provider_for_several_cycles(aggregator, simulation):
    sim, clock = simulation
    checks = [LlmInferenceCheck('llm_inference', {}, [instance]) for instance in sim.instances()]
    for cycle in range(CYCLES):
        aggregator.reset()
        errors = [check.run() for check in checks]
        # Every instance but the serverless-key one collects; that one fails with a message that says why.
        assert [bool(e) for e in errors] == [False] * (len(checks) - 1) + [True]
        fireworks_expectations(aggregator, clock.t)
        for endpoint in wafer.ENDPOINTS:
            wafer_expectations(aggregator, endpoint, clock.t)
        query_expectations(aggregator)
        statuses = [sc.status for sc in aggregator.service_checks('llm_inference.can_connect')]
        assert statuses == [AgentCheck.OK] * (len(checks) - 1) + [AgentCheck.CRITICAL]
        failing = aggregator.service_checks('llm_inference.can_connect')[-1]
        assert 'serverless' in failing.message and 'demo:failing-instance' in failing.tags
        assert wafer.SERVERLESS_KEY not in failing.message
        aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
        clock.t += 60
    # One request per instance per cycle, and never a 429 from the simulated providers.
    assert [status for _, status in sim.scrape.requests].count(429) == 0
    assert sum(1 for p, _ in sim.scrape.requests if p == 'fireworks') == CYCLES
    assert len(sim.servers['groq'].requests) == CYCLES and len(sim.servers['crusoe'].requests) == CYCLES


@pytest.mark.parametrize('provider', registry.providers(), ids=lambda p: p.name)
def test_each_discovered_provider_collects(aggregator, monkeypatch, load_time, provider):
    """Every provider module of the simulator, found as the demo finds them (a new one too): each of its demo
    instances collects catalog metrics with an OK service check, or fails as its tag says it will."""
    clock = Clock(load_time - (load_time % traffic.SPIKE_EVERY) + traffic.SPIKE_FOR + 60).install(monkeypatch)
    with Simulator(clock=clock, providers=[provider]) as sim:
        instances = sim.instances()
        assert instances and {i['provider'] for i in instances} == {provider.name}
        for instance in instances:
            aggregator.reset()
            fails = FAILING_TAG in instance.get('tags', ())
            assert bool(LlmInferenceCheck('llm_inference', {}, [instance]).run()) == fails
            (sc,) = aggregator.service_checks('llm_inference.can_connect')
            assert sc.status == (AgentCheck.CRITICAL if fails else AgentCheck.OK), sc.message
            catalog = [n for n in aggregator.metric_names if not n.startswith('llm_inference.integration.')]
            assert bool(catalog) != fails
            aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_budget_keeps_under_the_providers_limit(aggregator, simulation):
    """Eight runs in one minute on one Fireworks account: six requests, two runs skipped, no 429."""
    sim, clock = simulation
    fireworks = [i for i in sim.instances() if i['provider'] == 'fireworks'][0]
    checks = [LlmInferenceCheck('llm_inference', {}, [fireworks]) for _ in range(2)]
    for n in range(8):
        checks[n % 2].run()
        clock.t += 5
    assert sim.scrape.requests == [('fireworks', 200)] * 6
    statuses = [sc.status for sc in aggregator.service_checks('llm_inference.can_connect')]
    assert statuses == [AgentCheck.OK] * 6 + [AgentCheck.WARNING] * 2
    aggregator.assert_metric('llm_inference.integration.runs_skipped', 2)  # a count: the stub sums
    # A minute later the budget has room again.
    clock.t += 60
    aggregator.reset()
    checks[0].run()
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, count=1)


def test_runner_prints_what_reaches_datadog(simulation, tmp_path):
    sim, _ = simulation
    import yaml

    conf = tmp_path / 'conf.yaml'
    # bytes on every base: datadog-checks-base 37.0.0 patches yaml's dumpers to return UTF-8 bytes
    conf.write_bytes(yaml.safe_dump({'init_config': {}, 'instances': sim.instances()}, encoding='utf-8'))
    out = io.StringIO()
    # The demo's failing instance (a serverless Wafer key) is CRITICAL, and so is the exit status.
    assert runner.main([str(conf)], out=out) == runner.EXIT_CRITICAL
    text = out.getvalue()
    assert '=== fireworks acme ===' in text and '=== crusoe {} ==='.format(crusoe.PROJECT) in text
    assert 'llm_inference.time_to_first_token.seconds' in text
    assert 'service check llm_inference.can_connect OK [provider:groq]' in text
    assert 'service check llm_inference.can_connect CRITICAL' in text and 'serverless' in text
    for key in sim.keys():
        assert key not in text


def test_runner_prints_each_error_once_under_unique_headers(simulation, tmp_path):
    sim, _ = simulation
    import yaml

    conf = tmp_path / 'conf.yaml'
    conf.write_bytes(yaml.safe_dump({'init_config': {}, 'instances': sim.instances()}, encoding='utf-8'))
    for brief in ([], ['--brief']):
        out = io.StringIO()
        assert runner.main([str(conf)] + brief, out=out) == runner.EXIT_CRITICAL  # the failing instance
        text = out.getvalue()
        headers = re.findall(r'^=== (.*) ===$', text, re.M)
        assert len(headers) == len(sim.instances()) == len(set(headers))
        (failing,) = [h for h in headers if FAILING_TAG in h]  # told apart from its twin by its tags
        # The failing instance's message: in its service check, not again as the run's error or a log line.
        assert len(re.findall('metrics are for dedicated endpoints only', text)) == 1


def test_demo_prints_a_block_per_instance_and_a_summary(capsys):
    """The demo over every discovered provider: a short block per instance, one summary table, no key anywhere."""
    assert demo.main() == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    lines = text.splitlines()
    assert len(lines) < 80 and max(len(line) for line in lines) <= 120, text
    # The default objectives are bucket bounds of every provider: a fresh install warns of none.
    assert 'falls between bucket bounds' not in text
    assert 'Exception occurred during processing' not in text  # a server's traceback (see the test below)
    headers = re.findall(r'^=== (.*) ===$', text, re.M)
    assert len(headers) == len(set(headers))
    assert {h.split()[0] for h in headers} == {p.name for p in registry.providers()}
    (table,) = [i for i, line in enumerate(lines) if line.split()[:2] == ['provider', 'model']]
    for column in ('requests/s', 'error share', 'TTFT p50', 'TTFT p99', '$/h'):
        assert column in lines[table]
    rows = [line.split()[0] for line in lines[table + 1 :] if line.strip() and not line.startswith('Demo done')]
    assert set(rows) == {p.name for p in registry.providers()}
    # An error share only where the provider reports errors: a 0% of one that does not would read "nothing failed".
    shares = {}
    for line in lines[table + 1 :]:
        cells = re.split(r'\s{2,}', line.strip())
        if len(cells) == len(runner.SUMMARY_HEADER) and cells[3] != '-':
            shares.setdefault(PROVIDERS[cells[0]].REPORTS_ERRORS, set()).add(cells[4][-1:])
    assert shares == {True: {'%'}, False: {'-'}}
    assert text.count('metrics are for dedicated endpoints only') == 1
    assert not [key for p in registry.providers() for key in p.keys.values() if key in text]


def test_runner_refuses_secret_handles_and_bad_files(tmp_path):
    conf = tmp_path / 'conf.yaml'
    conf.write_text('instances:\n  - provider: fireworks\n    api_key: ENC[fireworks_key]\n    account_id: acme\n')
    out = io.StringIO()
    assert runner.main([str(conf)], out=out) == 2
    assert 'secret handle' in out.getvalue() and 'datadog-agent check llm_inference' in out.getvalue()
    out = io.StringIO()
    assert runner.main([os.path.join(str(tmp_path), 'missing.yaml')], out=out) == 2
    assert 'cannot read' in out.getvalue()
    conf.write_text('instances:\n  - provider: nope\n')
    out = io.StringIO()
    assert runner.main([str(conf)], out=out) == runner.EXIT_CONFIGURATION
    assert 'configuration error: `provider` must be one of' in out.getvalue()


def children(pid):
    """Pids of the live processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in os.listdir('/proc'):
        try:
            with open('/proc/{}/stat'.format(entry)) as f:
                fields = f.read().rsplit(')', 1)[1].split()  # after the command name, which may hold spaces
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != 'Z':
            found.append(int(entry))
    return found


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT], ids=['SIGTERM', 'SIGINT'])
def test_simulator_stops_cleanly_on_a_signal(tmp_path, signum):
    """`python -m simulator conf.yaml` stopped as a service manager or a terminal stops it: it exits 0 with its
    engines ended and their temporary folders removed."""
    temp = tmp_path / 'tmp'
    temp.mkdir()
    process = subprocess.Popen(
        [sys.executable, '-m', 'simulator', str(tmp_path / 'conf.yaml')],
        cwd=ROOT,
        env=dict(os.environ, TMPDIR=str(temp)),  # its temporary folders, apart from anything else's
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert 'simulator running' in process.stdout.readline()
        engines = children(process.pid)
        assert len(engines) >= 2 and os.listdir(temp)  # the query providers' engines and their folders
        process.send_signal(signum)
        assert process.wait(60) == 0, process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert [pid for pid in engines if os.path.exists('/proc/{}'.format(pid))] == []
    assert os.listdir(temp) == []


def test_each_deployment_has_its_own_load_latency_shape_and_cache_pressure(aggregator, simulation):
    """Within a provider, no two deployments show the same load, TTFT shape (p99 / p50) or KV-cache usage."""
    sim, _ = simulation
    for instance in sim.instances():
        if FAILING_TAG not in instance.get('tags', ()):
            assert not LlmInferenceCheck('llm_inference', {}, [instance]).run()

    def per_provider(name, value):
        """provider -> [one value per series of `name`], the series told apart by every tag but the quantile."""
        series = {}
        for m in aggregator.metrics('llm_inference.' + name):
            key = tuple(sorted(t for t in m.tags if not t.startswith('quantile:')))
            series.setdefault(key, {})[dict(t.split(':', 1) for t in m.tags).get('quantile')] = m.value
        found = {}
        for key, values in series.items():
            provider = dict(t.split(':', 1) for t in key)['provider']
            found.setdefault(provider, []).append(value(values))
        return found

    shapes = per_provider('time_to_first_token.seconds', lambda q: round(q['0.99'] / q['0.5'], 4))
    loads = per_provider('requests.rate', lambda q: round(q[None], 4))
    kv = per_provider('kv_cache.usage', lambda q: round(q[None], 4))
    for found in (shapes, loads, kv):
        for provider, values in found.items():
            assert len(set(values)) == len(values), (provider, values)


def provider_names():
    return set(PROVIDERS) | {p.name for p in registry.providers()}


def test_no_simulator_or_script_file_names_a_provider_but_its_own():
    """Adding a provider to the simulator is adding its module: nothing else in simulator/ or scripts/ names one."""
    names = provider_names()
    pattern = re.compile('|'.join(sorted(names)), re.I)
    found = []
    for folder in ('simulator', 'scripts'):
        for path in sorted(os.listdir(os.path.join(ROOT, folder))):
            full = os.path.join(ROOT, folder, path)
            if os.path.isfile(full) and not (folder == 'simulator' and path[: -len('.py')] in names):
                with open(full, encoding='utf-8') as f:
                    found += ['{}/{}: {}'.format(folder, path, m.group()) for m in pattern.finditer(f.read())]
    assert found == []


# The shared test files that name a provider, and why. Each tests a shared part of the check through one provider's
# instance and replies, or a property that spans providers; none is where a provider's own tests, instance, fault row
# or expected values live (its test module, tests/test_<name>.py). A new provider adds no line here; a file that
# stops naming one must leave the list (the test says so).
SHARED_TESTS_NAMING_PROVIDERS = {
    'install/test_install.py': "installs the wheel as the Agent does and runs it against the simulator's Fireworks",
    'test_agent_compat.py': "the Agent's constructor calls and config models, shown with a Fireworks instance",
    'test_asset_builder.py': "the builder's dashboards and groupings for providers' declarations, read by name",
    'test_assets_command.py': "the install report names a provider's dashboard by its title",
    'test_benchmarks.py': "the benchmark payloads are Fireworks' (benchmarks/payloads.py)",
    'test_bucket_outputs.py': "distribution buckets and SLO rates, from Fireworks' bucket-rate replies",
    'test_budget.py': "budgets per credential: Fireworks' per account, Groq's per key, the simulator's Wafer limit",
    'test_cache_bounds.py': 'cache bounds over churning Fireworks replies and a promql query',
    'test_canonical.py': 'one model across providers: the same model as each provider spells it, their nicknames',
    'test_concurrency.py': "several instances on one Fireworks account (its budget is per account)",
    'test_config.py': "start-up errors of the options some providers require",
    'test_cumulative.py': "a cumulative check made of Fireworks' declaration with a map of its own",
    'test_deadline_tls.py': 'the deadline and the TLS options, against a Fireworks reply over HTTPS',
    'test_e2e_simulator.py': "the simulator's demo: each simulated provider's values worked out from its module",
    'test_extra_metrics.py': "`extra_metrics` beside Fireworks' catalog series",
    'test_feeds.py': "real-world feeds (OpenMetrics text, stale samples, tag normalization) in Fireworks' names",
    'test_honest_assets.py': "the shipped assets evaluated over every provider's points, and the values they show",
    'test_hostile.py': 'hostile clocks, budgets and redirects, through a Fireworks and a promql instance',
    'test_model_scope.py': "model-level percentiles of Fireworks' deployments",
    'test_option_names.py': 'which provider reads which option; URLs naming another account, project or endpoint',
    'test_pricing.py': 'list prices and pricing bases, by provider',
    'test_promql_client.py': "the PromQL client, through Groq's and promql instances",
    'test_properties.py': "property tests of the parser and quantiles, on Fireworks' and Wafer's names",
    'test_query_batching.py': "query batching on the Groq and Crusoe engines and promql's user queries",
    'test_reserved_labels.py': 'reserved label names in a Fireworks reply',
    'test_runner.py': 'the runner over Fireworks instances',
    'test_secrets.py': 'credentials kept out of every output, through Fireworks and promql instances',
    'test_spend.py': "spend by basis on the providers that report what it needs (replicas, flat, tokens)",
    'test_transport.py': 'the transport and the auth scheme a provider declares, through Fireworks and promql',
}


def names_in_code(path, names):
    """The provider names a Python file's code holds: in its identifiers and string literals (comments and docstrings,
    which may give a provider as an example, left out), each as a whole name in any case with `_` or punctuation
    around it (`FIREWORKS`, `test_groq`, 'provider:wafer'). `promql`, also the query language's name, counts only as a
    word of its own (`promql`, `PROMQL`), not in `PromQL` or `promql_client`."""
    import ast
    import tokenize

    with open(path, 'rb') as f:
        source = f.read()
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(getattr(first.value, 'value', None), str):
                docstrings.add((first.lineno, first.col_offset))
    words = ['(?i:(?<![a-z0-9]){}(?![a-z0-9]))'.format(n) for n in sorted(names) if n != 'promql']
    pattern = re.compile('|'.join(words + [r'\bpromql\b', r'\bPROMQL\b']))
    kinds = {tokenize.NAME, tokenize.STRING, getattr(tokenize, 'FSTRING_MIDDLE', tokenize.STRING)}
    found = set()
    for token in tokenize.tokenize(io.BytesIO(source).readline):
        if token.type in kinds and token.start not in docstrings:
            found |= {m.group().lower() for m in pattern.finditer(token.string)}
    return found


def test_no_shared_test_file_names_a_provider():
    """A provider's tests are its own module's: tests/common.py, conftest.py, plugins/, test_faults.py and every other
    test file but the providers' own name no provider (but SHARED_TESTS_NAMING_PROVIDERS, each for its reason)."""
    from .common import provider_test_modules

    here = os.path.join(ROOT, 'tests')
    own = {os.path.relpath(module.__file__, here) for module in provider_test_modules()}
    naming = {}
    for folder, _, files in os.walk(here):
        for name in files:
            path = os.path.relpath(os.path.join(folder, name), here)
            if name.endswith('.py') and path not in own:
                found = names_in_code(os.path.join(here, path), provider_names())
                if found:
                    naming[path] = sorted(found)
    for path in ('common.py', 'conftest.py', 'test_faults.py', 'plugins/engines.py', 'provider_server.py'):
        assert path not in naming and path not in SHARED_TESTS_NAMING_PROVIDERS, path
    assert {p: n for p, n in naming.items() if p not in SHARED_TESTS_NAMING_PROVIDERS} == {}
    assert [p for p in SHARED_TESTS_NAMING_PROVIDERS if p not in naming] == [], 'names none: leave the list'


def test_a_provider_is_one_module(tmp_path):
    """A module dropped into a copy of simulator/ is found, served and given demo instances, nothing else edited."""
    import shutil

    ignore = shutil.ignore_patterns('__pycache__')
    shutil.copytree(os.path.join(ROOT, 'simulator'), tmp_path / 'simulator', ignore=ignore)
    (tmp_path / 'simulator' / 'acmecloud.py').write_text(
        'from .provider import Reply, ScrapeProvider\n\n\n'
        'class Acme(ScrapeProvider):\n'
        "    name = 'acmecloud'\n"
        "    path = '/metrics'\n"
        "    auth_scheme = 'Api-Key'\n\n"
        '    def answer(self, path, query, key, limited, now):\n'
        "        return Reply(200, 'up 1\\n', {}) if path == self.path and key == 'k' else None\n\n"
        '    def demo_instances(self, url):\n'
        "        return [{'provider': self.name, 'api_url': url}]\n\n\n"
        'PROVIDER = Acme()\n'
    )
    script = (
        'import urllib.request\n'
        'from simulator.server import Simulator\n'
        'with Simulator(with_engines=False) as sim:\n'
        "    request = urllib.request.Request(sim.urls['acmecloud'], headers={'Authorization': 'Api-Key k'})\n"
        "    providers = {i['provider'] for i in sim.instances()}\n"
        "    print(urllib.request.urlopen(request).read().decode().strip(), 'acmecloud' in providers)\n"
    )
    out = subprocess.run([sys.executable, '-c', script], cwd=str(tmp_path), capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ['up', '1', 'True'], out.stderr


def test_dd_environment_instance_collects(dd_environment, dd_run_check, aggregator):
    """The instance `dd_environment` yields runs against the simulator it started, within the Agent's conventions."""
    dd_run_check(LlmInferenceCheck('llm_inference', {}, [dd_environment]))
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK)
    assert catalog_values(aggregator)
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert_agent_conventions(aggregator)


def test_a_client_that_resets_its_connection_prints_no_traceback(capsys):
    """The simulator's servers stay quiet when a client drops a reply unread (the check does, on a refusal): that
    traceback once landed in the demo's output at random. Any other error of a handler is still printed."""
    import socket
    import struct
    import threading

    from simulator.local_server import LocalServer, send

    finished = threading.Event()

    def handle(request, body):
        try:
            if request.path == '/broken':
                raise ValueError('a fault of the handler')
            for _ in range(64):  # far more than the socket buffers hold: the writes meet the reset
                send(request, 200, b'x' * (1 << 20), {})
        finally:
            finished.set()

    with LocalServer(handle) as server:
        client = socket.create_connection(('127.0.0.1', server.port))
        client.sendall(b'GET /big HTTP/1.1\r\nHost: x\r\n\r\n')
        client.recv(1024)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))  # close with a reset
        client.close()
        assert finished.wait(10)
        finished.clear()
        quiet = capsys.readouterr().err
        client = socket.create_connection(('127.0.0.1', server.port))
        client.sendall(b'GET /broken HTTP/1.1\r\nHost: x\r\n\r\n')
        assert finished.wait(10)
        client.close()
        loud = ''
        for _ in range(100):  # the traceback is written after the handler returns, in pieces
            loud += capsys.readouterr().err
            if 'ValueError' in loud:
                break
            threading.Event().wait(0.05)
    assert quiet == ''
    assert 'ValueError: a fault of the handler' in loud
