"""Benchmarks: our check vs the generic OpenMetrics V2 check a user would configure, on Fireworks-shaped payloads at
1, 10, 100 and 500 deployments; and HTTP requests per cycle in query mode, batched vs one request per query.

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
from datadog_checks.llm_inference import LlmInferenceCheck, budget
from datadog_checks.llm_inference.scrape import ProviderScraper

from .payloads import fireworks_payload, raw_names

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = (1, 10, 100, 500)
REPEATS = 7


class PayloadServer:
    """`python -m http.server` over a folder of payload files, in its own process."""

    def __init__(self, files):
        self.dir = tempfile.mkdtemp(prefix='llm-inference-bench-')
        for name, text in files.items():
            with open(os.path.join(self.dir, name), 'w') as f:
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
        [{'provider': 'fireworks', 'api_key': 'bench', 'account_id': 'acme', 'api_url': url, 'requests_per_minute': 0}],
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

    def parse_text(self, text):
        return [
            (s.name, ','.join('{}="{}"'.format(k, escape(v)) for k, v in s.labels.items()), repr(s.value))
            for family in text_string_to_metric_families(text)
            for s in family.samples
        ]

    original = ProviderScraper.parse_text
    ProviderScraper.parse_text = parse_text
    return lambda: setattr(ProviderScraper, 'parse_text', original)


def measure(make, url):
    check = make(url)
    check.run()  # warm-up: configuration models, scraper set-up
    cpu = []
    for _ in range(REPEATS):
        aggregator.reset()
        budget.LEDGER.reset()
        start = time.process_time()
        error = check.run()
        cpu.append(time.process_time() - start)
        assert not error, error
    series = {
        (name, tuple(sorted(m.tags)))
        for name, ms in aggregator._metrics.items()
        for m in ms
        if not name.startswith(('llm_inference.integration.', 'openmetrics.'))
    }
    aggregator.reset()
    tracemalloc.start()
    check.run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    aggregator.reset()
    return statistics.median(cpu), peak, len(series)


def scrape_benchmarks():
    files = {'d{}.txt'.format(n): fireworks_payload(n) for n in SIZES}
    samples = {n: files['d{}.txt'.format(n)].count('\n') for n in SIZES}
    server = PayloadServer(files)
    rows = []
    try:
        for n in SIZES:
            url = server.url + 'd{}.txt'.format(n)
            g = measure(generic, url)
            o = measure(ours, url)
            restore = legacy_parser()
            try:
                before = measure(ours, url)
            finally:
                restore()
            rows.append((n, samples[n], g, before, o))
            print('measured {} deployments'.format(n), file=sys.stderr)
    finally:
        server.stop()
    return rows


def query_benchmarks():
    from simulator.auth_proxy import AuthProxy
    from simulator.engines import Prometheus, VictoriaMetrics
    from simulator.query_data import crusoe_samples, groq_samples

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


def report(rows, queries):
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
        'a gauge, buckets included (what a user writes with the `openmetrics` check today). "with prometheus_client" '
        'is our check with prometheus_client\'s parser in place of `exposition.py`. CPU is process time of one run '
        '(median of {}); memory is the tracemalloc peak of one run.'.format(REPEATS),
        '',
        '| deployments | samples | generic CPU s | ours with prometheus_client CPU s | ours CPU s | CPU '
        'ours/generic | generic peak MiB | '
        'ours peak MiB | generic series | ours series | series ours/generic | series per deployment (ours/generic) |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for n, samples, g, before, o in rows:
        out.append(
            '| {} | {} | {:.3f} | {:.3f} | {:.3f} | {:.2f}x | {:.1f} | {:.1f} | {} | {} | {:.2f}x | {:.0f} / '
            '{:.0f} |'.format(
                n,
                samples,
                g[0],
                before[0],
                o[0],
                o[0] / g[0],
                g[1] / 2**20,
                o[1] / 2**20,
                g[2],
                o[2],
                o[2] / g[2],
                o[2] / n,
                g[2] / n,
            )
        )
    first, last = rows[1], rows[-1]
    scale = last[0] / first[0]
    out += [
        '',
        'Growth from {} to {} deployments ({:.0f}x): generic CPU {:.1f}x, ours {:.1f}x; series generic {:.1f}x, '
        'ours {:.1f}x (linear = {:.0f}x).'.format(
            first[0],
            last[0],
            scale,
            last[2][0] / first[2][0],
            last[4][0] / first[4][0],
            last[2][2] / first[2][2],
            last[4][2] / first[4][2],
            scale,
        ),
        '',
        '## Query mode: HTTP requests per cycle',
        '',
        '| provider | default queries | requests per cycle, batched | one request per query |',
        '|---|---|---|---|',
    ]
    for provider, n, batched, unbatched in queries:
        out.append('| {} | {} | {:.0f} | {:.0f} |'.format(provider, n, batched, unbatched))
    out.append('')
    return '\n'.join(out)


def main():
    rows = scrape_benchmarks()
    queries = query_benchmarks()
    text = report(rows, queries)
    notes_path = os.path.join(ROOT, 'benchmarks', 'NOTES.md')
    if os.path.exists(notes_path):
        with open(notes_path) as f:
            text += '\n' + f.read()
    with open(os.path.join(ROOT, 'BENCHMARKS.md'), 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
