"""Real VictoriaMetrics and Prometheus servers on 127.0.0.1, loaded with series, for the query providers.

The providers' query APIs are these engines (or speak their languages), so the tests and the demo run them (Debian's
`victoria-metrics` and `prometheus`) rather than imitate them.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


class EngineMissing(RuntimeError):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _binary(name):
    path = shutil.which(name)
    if path is None:
        raise EngineMissing(
            '`{}` is not installed: `apt-get install -y victoria-metrics prometheus` (Debian), as .ci/run does'.format(
                name
            )
        )
    return path


def _labels(labels):
    return ','.join('{}="{}"'.format(k, str(v).replace('\\', '\\\\').replace('"', '\\"')) for k, v in labels.items())


class Engine:
    """One engine process with a temporary data dir; a context manager that cleans up after itself."""

    name = ''

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='llm-inference-{}-'.format(self.name))
        self.port = free_port()
        self.url = 'http://127.0.0.1:{}'.format(self.port)
        self.process = None

    def command(self):
        raise NotImplementedError

    def start(self):
        log = open(os.path.join(self.dir, 'engine.log'), 'wb')
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('{} exited: {}'.format(self.name, self.log_tail()))
            try:
                urllib.request.urlopen(self.url + self.ready_path, timeout=1).read()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise RuntimeError('{} did not become ready: {}'.format(self.name, self.log_tail()))

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, 'engine.log'), 'rb') as f:
                return f.read()[-2000:].decode('utf-8', 'replace')
        except OSError:
            return ''

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def serve(self, samples):
        """Start holding `samples`: (name, labels dict, value, unix seconds) each."""
        raise NotImplementedError

    def query(self, expr, at=None):
        """The engine's own answer (decoded JSON), for tests that compare against it."""
        params = {'query': expr, 'nocache': '1'}
        if at is not None:
            params['time'] = str(at)
        with urllib.request.urlopen(self.url + '/api/v1/query?' + urllib.parse.urlencode(params), timeout=10) as r:
            return json.loads(r.read())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class VictoriaMetrics(Engine):
    name = 'victoria-metrics'
    ready_path = '/health'

    def command(self):
        return [
            _binary('victoria-metrics'),
            '-storageDataPath={}'.format(os.path.join(self.dir, 'data')),
            '-httpListenAddr=127.0.0.1:{}'.format(self.port),
            '-retentionPeriod=100y',
            '-search.disableCache',
        ]

    def serve(self, samples):
        return self.start().load(samples)

    def load(self, samples):
        """samples: iterable of (name, labels dict, value, unix seconds). Imported, then flushed to be searchable."""
        lines = ''.join(
            '{}{{{}}} {!r} {}\n'.format(name, _labels(labels), float(value), int(ts * 1000))
            for name, labels, value, ts in samples
        )
        request = urllib.request.Request(self.url + '/api/v1/import/prometheus', data=lines.encode(), method='POST')
        urllib.request.urlopen(request, timeout=30).read()
        urllib.request.urlopen(self.url + '/internal/force_flush', timeout=30).read()
        return self


class Prometheus(Engine):
    """Prometheus with series backfilled (promtool tsdb create-blocks-from openmetrics) before it starts."""

    name = 'prometheus'
    ready_path = '/-/ready'

    def __init__(self, samples=()):
        super().__init__()
        self.samples = list(samples)

    def command(self):
        config = os.path.join(self.dir, 'prometheus.yml')
        with open(config, 'w') as f:
            f.write('global:\n  scrape_interval: 1h\n')
        return [
            _binary('prometheus'),
            '--config.file={}'.format(config),
            '--storage.tsdb.path={}'.format(os.path.join(self.dir, 'data')),
            '--storage.tsdb.retention.time=100y',
            '--web.listen-address=127.0.0.1:{}'.format(self.port),
            '--query.lookback-delta=10m',
        ]

    def serve(self, samples):
        self.samples = list(samples)
        return self.start()

    def start(self):
        if self.samples:
            self._backfill(self.samples)
        return super().start()

    def _backfill(self, samples):
        by_name = {}
        for name, labels, value, ts in samples:
            by_name.setdefault(name, []).append((labels, value, ts))
        path = os.path.join(self.dir, 'backfill.om')
        with open(path, 'w') as f:
            for name, rows in by_name.items():
                f.write('# TYPE {} gauge\n'.format(name))
                for labels, value, ts in sorted(rows, key=lambda r: r[2]):
                    f.write('{}{{{}}} {!r} {:.3f}\n'.format(name, _labels(labels), float(value), ts))
            f.write('# EOF\n')
        out = subprocess.run(
            [_binary('promtool'), 'tsdb', 'create-blocks-from', 'openmetrics', path, os.path.join(self.dir, 'data')],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise RuntimeError('promtool backfill failed: {}'.format(out.stderr[-2000:]))
