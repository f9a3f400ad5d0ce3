"""Benchmarks: our check vs the generic OpenMetrics V2 check a user would configure, on Fireworks-shaped payloads at
1, 10, 100 and 500 deployments; HTTP requests per cycle in query mode, batched vs one request per query; and the
memory a query-mode reply near the `max_response_bytes` cap costs.

    .venv/bin/python -m benchmarks.run            # writes BENCHMARKS.md

Each check runs in this process (as in the Agent); the payloads are served by a separate process on 127.0.0.1 so
its CPU time is not counted. CPU is process time per run (median of repeats); memory is tracemalloc's peak in a
separate run; series are distinct (metric name, tags) pairs the stub aggregator received.
"""

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request

from datadog_checks.base import OpenMetricsBaseCheckV2
from datadog_checks.base.stubs import aggregator
from datadog_checks.llm_inference import LlmInferenceCheck, budget, scrape

from .payloads import fireworks_payload, promql_payload, raw_names

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (1, 10, 100, 500, 2000, 5000)
REPEATS = 7
LARGE_REPEATS = 3  # above 500 deployments (a generic run of 5000 takes seconds)
MEMORY_UP_TO = 2000  # deployments: tracemalloc slows a run several times
QUERY_SERIES = 100_000  # about 28 MiB of JSON: near the 32 MiB `max_response_bytes` cap


class PayloadServer:
    """`python -m http.server` over a folder of payload files, in its own process."""

    def __init__(self, files):
        self.dir = tempfile.mkdtemp(prefix='llm-inference-bench-')
        for name, text in files.items():
            path = os.path.join(self.dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f:
                f.write(text)
        from simulator.engines import free_port

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'http.server', str(self.port), '--bind', '127.0.0.1', '--directory', self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = 'http://127.0.0.1:{}/'.format(self.port)
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url, timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)

    def stop(self):
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def ours(url):
    return LlmInferenceCheck(
        'llm_inference',
        {},
        [
            {
                'provider': 'fireworks',
                'api_key': 'bench',
                'account_id': 'acme',
                'api_url': url,
                'requests_per_minute': 0,
                'max_response_bytes': 1 << 30,  # the largest payloads are over the 32 MiB default
            }
        ],
    )


def generic(url):
    """What a user writes today: the OpenMetrics check with every raw name mapped as a gauge, buckets included."""
    metrics = [{name: {'name': name.replace(':', '.'), 'type': 'gauge'}} for name in raw_names()]
    return OpenMetricsBaseCheckV2(
        'openmetrics',
        {},
        [
            {
                'openmetrics_endpoint': url,
                'namespace': 'fireworks',
                'metrics': metrics,
                'max_returned_metrics': 10_000_000,
                'headers': {'Authorization': 'Bearer bench'},
            }
        ],
    )


def legacy_parser():
    """Our check with prometheus_client's text parser instead of exposition.py's (labels turned back into text)."""
    from prometheus_client.parser import text_string_to_metric_families

    def escape(value):
        return value.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')

    def parse_chunks(chunks, stamps=None):  # (no timestamps checked: the reference row)
        text = b''.join(chunks).decode('utf-8')
        yield [
            (s.name, ','.join('{}="{}"'.format(k, escape(v)) for k, v in s.labels.items()), repr(s.value))
            for family in text_string_to_metric_families(text)
            for s in family.samples
        ]

    original = scrape.parse_chunks
    scrape.parse_chunks = parse_chunks
    return lambda: setattr(scrape, 'parse_chunks', original)


def one_run(check):
    """Process time of one run (its submissions kept by the stub aggregator, then cleared)."""
    aggregator.reset()
    budget.LEDGER.reset()
    start = time.process_time()
    error = check.run()
    cpu = time.process_time() - start
    assert not error, error
    return cpu


def series_of(check):
    aggregator.reset()
    budget.LEDGER.reset()
    check.run()
    series = {
        (name, tuple(sorted(m.tags)))
        for name, ms in aggregator._metrics.items()
        for m in ms
        if not name.startswith(('llm_inference.integration.', 'openmetrics.'))
    }
    aggregator.reset()
    return len(series)


def peak_of(check):
    """tracemalloc's peak of one warm run, in bytes, its submissions discarded (the Agent keeps them in Go, not in
    Python's memory; the stub aggregator would hold them all), for both checks alike."""
    aggregator.reset()
    budget.LEDGER.reset()
    submit, aggregator.submit_metric = aggregator.submit_metric, lambda *args, **kwargs: None
    try:
        tracemalloc.start()
        check.run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        aggregator.submit_metric = submit
    aggregator.reset()
    return peak


def measure(make, url):
    """(median warm CPU s, peak bytes, series) of one check alone (the harness test, the prometheus_client row)."""
    check = make(url)
    check.run()  # warm-up: configuration models, scraper set-up
    cpu = statistics.median(one_run(check) for _ in range(REPEATS))
    return cpu, peak_of(check), series_of(check)


def side_by_side(url, repeats, memory=True):
    """Generic and ours in this process, alternating: the first run of a freshly made check each (apart), then
    the minimum of `repeats` warm runs each, taken in turns so that a slow moment of the machine falls on both."""
    checks, first = {}, {}
    for kind, make in (('generic', generic), ('ours', ours)):
        checks[kind] = make(url)
        first[kind] = one_run(checks[kind])
    warm = {'generic': [], 'ours': []}
    for _ in range(repeats):
        for kind in warm:
            warm[kind].append(one_run(checks[kind]))
    return {
        kind: (
            first[kind],
            min(warm[kind]),
            peak_of(checks[kind]) if memory else None,
            series_of(checks[kind]),
        )
        for kind in warm
    }


def scrape_benchmarks(sizes=SIZES, legacy=True):
    files = {'d{}.txt'.format(n): fireworks_payload(n) for n in sizes}
    replies = {n: len(files['d{}.txt'.format(n)].encode()) for n in sizes}
    samples = {n: files['d{}.txt'.format(n)].count('\n') for n in sizes}
    del files
    server = PayloadServer({'d{}.txt'.format(n): fireworks_payload(n) for n in sizes})
    rows = []
    try:
        for n in sizes:
            url = server.url + 'd{}.txt'.format(n)
            result = side_by_side(url, REPEATS if n <= 500 else LARGE_REPEATS, memory=n <= MEMORY_UP_TO)
            before = None
            if legacy and n <= 500:
                restore = legacy_parser()
                try:
                    before = measure(ours, url)
                finally:
                    restore()
            rows.append((n, samples[n], replies[n], result, before))
            print('measured {} deployments'.format(n), file=sys.stderr)
    finally:
        server.stop()
    return rows


def query_benchmarks():
    from simulator.auth_proxy import AuthProxy
    from simulator.crusoe import crusoe_samples
    from simulator.engines import Prometheus, VictoriaMetrics
    from simulator.groq import groq_samples

    now = time.time()
    results = []
    with VictoriaMetrics() as vm, Prometheus(crusoe_samples(now, project_id='p')) as prom:
        vm.load(groq_samples(now))
        for provider, engine, prefix, extra in (
            ('groq', vm, '/v1/metrics/prometheus', {}),
            ('crusoe', prom, '/v1alpha5/projects/p/metrics/timeseries', {'project_id': 'p'}),
        ):
            with AuthProxy(engine.url, prefix, 'k') as proxy:
                counts = []
                for batched in (True, False):
                    check = LlmInferenceCheck(
                        'llm_inference', {}, [dict(provider=provider, api_key='k', api_url=proxy.url, **extra)]
                    )
                    if not batched:
                        check.batching = False
                    before = len(proxy.requests)
                    cycles = 3
                    for _ in range(cycles):
                        budget.LEDGER.reset()
                        aggregator.reset()
                        assert not check.run()
                    counts.append((len(proxy.requests) - before) / cycles)
                results.append((provider, len(check.queries), counts[0], counts[1]))
    aggregator.reset()
    return results


def tree_query(client, expr):
    """The query path before issue 11, for comparison: the whole reply kept as bytes while it is decoded to text,
    parsed into a tree of dicts and lists, and copied into samples."""
    import json
    import math

    from datadog_checks.llm_inference.transport import read_capped

    response = client.http.get(client.url, params=dict(client.extra, query=expr), stream=True)
    try:
        body = bytes(read_capped(response, client.max_bytes))
    finally:
        response.close()
    text = body.decode('utf-8')
    tree = json.loads(text)
    del text
    samples = [(dict(s['metric']), float(s['value'][1])) for s in tree['data']['result']]
    return [(labels, value) for labels, value in samples if math.isfinite(value)]


def traced_peak(function):
    """(result, tracemalloc peak in bytes, CPU seconds) of one call."""
    tracemalloc.start()
    start = time.process_time()
    result = function()
    cpu = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, peak, cpu


def query_memory_benchmark():
    """The memory and CPU of one query-mode reply of QUERY_SERIES series, decoded and submitted."""
    import datadog_checks.llm_inference.promql_client as promql

    body = promql_payload(QUERY_SERIES)
    server = PayloadServer({'prom/api/v1/query': body})
    rows = []
    try:
        for label, tree in (
            ('before (a parsed tree, then samples)', True),
            ('now (samples built while parsing)', False),
        ):
            check = LlmInferenceCheck(
                'llm_inference',
                {},
                [
                    {
                        'provider': 'promql',
                        'api_url': server.url + 'prom',
                        'queries': [{'name': 'requests.rate', 'query': 'up'}],
                    }
                ],
            )
            check.batching = False
            original = promql.PromQLClient.query
            if tree:
                promql.PromQLClient.query = lambda client, expr: tree_query(client, expr)
            try:
                samples, decode_peak, decode_cpu = traced_peak(lambda: check.client.query('up'))
                assert len(samples) == QUERY_SERIES
                del samples
                # The whole run, submissions discarded (the Agent keeps them in Go, not in Python's memory) ...
                submit, aggregator.submit_metric = aggregator.submit_metric, lambda *args, **kwargs: None
                try:
                    error, run_peak, run_cpu = traced_peak(check.run)
                finally:
                    aggregator.submit_metric = submit
                assert not error, error
                # ... and kept by the test aggregator, as the other tables of this file measure.
                aggregator.reset()
                error, stub_peak, _ = traced_peak(check.run)
                assert not error, error
                aggregator.reset()
            finally:
                promql.PromQLClient.query = original
            rows.append((label, decode_peak, decode_cpu, run_peak, run_cpu, stub_peak))
            print('measured query memory: {}'.format(label), file=sys.stderr)
    finally:
        server.stop()
    return len(body), rows


def machine():
    cpu = platform.processor() or ''
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next((line.split(':', 1)[1].strip() for line in f if line.startswith('model name')), cpu)
    except OSError:
        pass
    return '{} cores, {}; Python {} ({})'.format(
        os.cpu_count(), cpu or 'unknown CPU', platform.python_version(), platform.platform()
    )


def report(rows, queries, query_memory):
    out = [
        '# Benchmarks',
        '',
        'Written by `.venv/bin/python -m benchmarks.run` (see benchmarks/run.py) on {}, {}.'.format(
            time.strftime('%Y-%m-%d'), machine()
        ),
        '',
        '## Fireworks: our check vs the generic OpenMetrics check',
        '',
        'Synthetic Fireworks payloads (benchmarks/payloads.py): per deployment the 8 gauges, 3 error codes, 8 '
        'histogram families of 20 buckets and the replicas gauge. The generic configuration maps every raw name as '
        'a gauge, buckets included (what a user writes with the `openmetrics` check today). Both checks run in this '
        'process, side by side: "first" is the first run of a freshly made check (configuration models, scraper '
        'set-up, TLS context); "warm" the minimum of {} warm runs ({} above 500 deployments), generic and ours '
        'taken in turns. CPU is process time; peak is tracemalloc\'s over one warm run, its submissions discarded for '
        'both (the Agent keeps them in Go, not in Python), not measured above {} deployments.'.format(REPEATS, LARGE_REPEATS, MEMORY_UP_TO),
        '',
        '| deployments | samples | reply MiB | first generic s | first ours s | first ours/generic | warm generic s '
        '| warm ours s | warm ours/generic | ours ms per deployment | peak generic MiB | peak ours MiB | '
        'peak ours/reply | series generic | series ours |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for n, samples, reply, result, _ in rows:
        g, o = result['generic'], result['ours']
        peaks = (
            '{:.1f} | {:.1f} | {:.2f}x'.format(g[2] / 2**20, o[2] / 2**20, o[2] / reply) if o[2] is not None else '| |'
        )
        out.append(
            '| {} | {} | {:.1f} | {:.3f} | {:.3f} | {:.2f}x | {:.3f} | {:.3f} | {:.2f}x | {:.3f} | {} | {} | {} '
            '|'.format(
                n, samples, reply / 2**20, g[0], o[0], o[0] / g[0], g[1], o[1], o[1] / g[1], o[1] / n * 1000, peaks,
                g[3], o[3],
            )
        )
    per = [(n, result['ours'][1] / n) for n, _, _, result, _ in rows if n >= 100]
    if len(per) >= 2:
        out += [
            '',
            'Cost per deployment (warm, ours): {} ms from {} to {} deployments ({:+.0f}%).'.format(
                ' -> '.join('{:.3f}'.format(c * 1000) for _, c in per), per[0][0], per[-1][0],
                (per[-1][1] / per[0][1] - 1) * 100,
            ),
        ]
    legacy = [(n, before) for n, _, _, _, before in rows if before is not None]
    if legacy:
        out += [
            '',
            'Ours with prometheus_client\'s parser in place of `exposition.py` (median warm CPU s): {}.'.format(
                ', '.join('{} deployments {:.3f}'.format(n, before[0]) for n, before in legacy)
            ),
        ]
    out += [
        '',
        '## Query mode: HTTP requests per cycle',
        '',
        '| provider | default queries | requests per cycle, batched | one request per query |',
        '|---|---|---|---|',
    ]
    for provider, n, batched, unbatched in queries:
        out.append('| {} | {} | {:.0f} | {:.0f} |'.format(provider, n, batched, unbatched))
    if query_memory is None:
        return '\n'.join(out)
    size, memory = query_memory
    out += [
        '',
        '## Query mode: memory of a reply near the size cap',
        '',
        'One PromQL reply of {:,} series ({:.1f} MiB of JSON, benchmarks/payloads.py `promql_payload`; the '
        '`max_response_bytes` cap is 32 MiB) through `provider: promql`. Peak is tracemalloc\'s, in MiB and as a '
        'multiple of the reply\'s size: "decode" is reading and decoding the reply into samples; "run" is a whole '
        'run, its {:,} submissions discarded (the Agent keeps them in Go, not in Python); "run, test aggregator" '
        'keeps them in the stub aggregator as the tables above do. "before" is the query path as it was before '
        'issue 11 (bytes kept while decoded to text, parsed into a tree of dicts, copied into samples), measured here '
        'the same way. CPU is measured under tracemalloc, which slows both rows alike.'.format(
            QUERY_SERIES, size / 2**20, QUERY_SERIES
        ),
        '',
        '| query path | decode peak MiB | decode / reply | decode CPU s | run peak MiB | run / reply | run CPU s '
        '| run, test aggregator, peak MiB |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for label, decode_peak, decode_cpu, run_peak, run_cpu, stub_peak in memory:
        out.append(
            '| {} | {:.1f} | {:.1f}x | {:.2f} | {:.1f} | {:.1f}x | {:.2f} | {:.1f} |'.format(
                label,
                decode_peak / 2**20,
                decode_peak / size,
                decode_cpu,
                run_peak / 2**20,
                run_peak / size,
                run_cpu,
                stub_peak / 2**20,
            )
        )
    out.append('')
    return '\n'.join(out)


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog='python -m benchmarks.run', description='writes BENCHMARKS.md')
    parser.add_argument('--sizes', default=','.join(map(str, SIZES)), help='deployments, comma-separated')
    parser.add_argument('--scrape-only', action='store_true', help='no query-mode tables (print, do not write)')
    parser.add_argument('--no-legacy', action='store_true', help='no prometheus_client row (an older check)')
    args = parser.parse_args(argv)
    rows = scrape_benchmarks(tuple(int(n) for n in args.sizes.split(',')), legacy=not args.no_legacy)
    if args.scrape_only:
        print(report(rows, [], None))
        return
    queries = query_benchmarks()
    query_memory = query_memory_benchmark()
    text = report(rows, queries, query_memory)
    notes_path = os.path.join(ROOT, 'benchmarks', 'NOTES.md')
    if os.path.exists(notes_path):
        with open(notes_path) as f:
            text += '\n' + f.read()
    with open(os.path.join(ROOT, 'BENCHMARKS.md'), 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
