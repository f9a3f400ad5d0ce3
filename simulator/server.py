"""The simulator: Fireworks and Wafer text endpoints on 127.0.0.1, and Groq and Crusoe answered by real
VictoriaMetrics and Prometheus engines behind their URL paths, with the providers' keys and rate limits."""

import threading
import time
import urllib.parse
from collections import defaultdict, deque

from . import exposition_writer, models, query_apis
from .local_server import LocalServer, send
from .query_data import crusoe_samples, groq_samples

RATE_LIMIT = 6  # Fireworks: 6 a minute per account; Wafer: 6 a minute per key (docs/providers/)
KEYS = {
    'fireworks': 'fw-demo-key',
    'wafer': 'wafer-dedicated-demo-key',
    'wafer_serverless': 'wafer-serverless-demo-key',  # Wafer's docs: serverless keys get 403
    'groq': 'gsk-demo-enterprise-key',
    'groq_free': 'gsk-demo-free-key',
    'crusoe': 'crusoe-demo-monitoring-token',
}
CRUSOE_PROJECT = 'proj-demo'
# Example prices for the demo (not quotes from any provider): each instance's `pricing` option. Fireworks bills a
# dedicated deployment per replica-hour; a Wafer dedicated endpoint at a flat hourly rate; Groq and Crusoe per token,
# by canonical model name.
PRICING = {
    'fireworks': {'replica_hour': 2.9},
    'acme-llama.wafer.ai': {'hour': 12.0},
    'acme-coder.wafer.ai': {'hour': 6.0},
    'groq': {
        'tokens': {
            'llama-3.3-70b-instruct': {'input': 0.59, 'output': 0.79},
            'gpt-oss-120b': {'input': 0.15, 'output': 0.75},
        }
    },
    'crusoe': {
        'tokens': {'llama-3.3-70b-instruct': {'input': 0.8, 'output': 0.8}, 'deepseek-r1': {'input': 3, 'output': 7}}
    },
}


class ScrapeServer(LocalServer):
    """Fireworks `/v1/accounts/<account>/metrics` and Wafer `/v1/endpoints/metrics/prometheus?endpoint=<e>`."""

    def __init__(self, clock=time.time):
        super().__init__(self._handle)
        self.clock = clock
        self.requests = []  # (provider, status) of every request
        self._windows = defaultdict(deque)
        self._lock = threading.Lock()

    def _handle(self, handler, body):
        status, text, headers = self.answer(handler.path, handler.headers.get('Authorization', ''))
        send(handler, status, text.encode(), {'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', **headers})

    def _limited(self, bucket, now):
        with self._lock:
            window = self._windows[bucket]
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= RATE_LIMIT:
                return int(window[0] + 60 - now) + 1
            window.append(now)
            return 0

    def answer(self, path, authorization):
        now = self.clock()
        parts = urllib.parse.urlsplit(path)
        key = authorization[7:] if authorization.startswith('Bearer ') else ''
        segments = parts.path.strip('/').split('/')
        if len(segments) == 4 and segments[:2] == ['v1', 'accounts'] and segments[3] == 'metrics':
            provider, account = 'fireworks', segments[2]
            if key != KEYS['fireworks']:
                return self._log(provider, 401, 'invalid API key\n')
            wait = self._limited(('fireworks', account), now)
            if wait:
                return self._log(provider, 429, 'rate limited\n', {'Retry-After': str(wait)})
            return self._log(provider, 200, exposition_writer.fireworks_text(account, now))
        if parts.path == '/v1/endpoints/metrics/prometheus':
            provider = 'wafer'
            endpoint = urllib.parse.parse_qs(parts.query).get('endpoint', [''])[0]
            if key == KEYS['wafer_serverless']:
                return self._log(provider, 403, 'dedicated endpoints only: serverless keys cannot read metrics\n')
            if key != KEYS['wafer']:
                return self._log(provider, 401, 'missing or invalid API key\n')
            if endpoint not in models.WAFER_ENDPOINTS:
                return self._log(provider, 403, 'this key does not own endpoint {!r}\n'.format(endpoint))
            wait = self._limited(('wafer', key), now)
            if wait:
                return self._log(provider, 429, 'rate limit: 6/min per key\n', {'Retry-After': str(wait)})
            return self._log(provider, 200, exposition_writer.wafer_text(endpoint, now))
        return self._log('unknown', 404, 'not found\n')

    def _log(self, provider, status, body, headers=None):
        self.requests.append((provider, status))
        return status, body, headers or {}


class Simulator:
    """Everything the demo and the end-to-end test talk to; `urls` says where each provider is."""

    def __init__(self, clock=time.time, with_engines=True):
        self.clock = clock
        self.with_engines = with_engines
        self.scrape = ScrapeServer(clock)
        self._stoppers = []
        self.groq = self.crusoe = None
        self.urls = {}

    def start(self):
        self.scrape.start()
        self._stoppers.append(self.scrape.stop)
        self.urls['fireworks'] = self.scrape.url + '/v1/accounts/acme/metrics'
        self.urls['wafer'] = self.scrape.url + '/v1/endpoints/metrics/prometheus'
        if self.with_engines:
            # The engines answer queries at the real "now", whatever the simulated clock says.
            now = time.time()
            groq = query_apis.groq(groq_samples(now, spelling='p', token_rates=True), KEYS['groq'], [KEYS['groq_free']])
            self._stoppers.append(groq.stop)
            crusoe = query_apis.crusoe(crusoe_samples(now, project_id=CRUSOE_PROJECT), KEYS['crusoe'], [CRUSOE_PROJECT])
            self._stoppers.append(crusoe.stop)
            self.groq, self.crusoe = groq.proxy, crusoe.proxy
            self.urls['groq'] = self.groq.url
            self.urls['crusoe'] = self.crusoe.url
        return self

    def stop(self):
        while self._stoppers:
            try:
                self._stoppers.pop()()
            except Exception:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def instances(self):
        """An Agent-style `instances:` list over every simulated provider, plus one instance that fails (403)."""
        instances = [
            {
                'provider': 'fireworks',
                'api_key': KEYS['fireworks'],
                'account_id': 'acme',
                'api_url': self.urls['fireworks'],
                'min_collection_interval': 60,
                'pricing': PRICING['fireworks'],
            },
        ]
        for endpoint in models.WAFER_ENDPOINTS:
            instances.append(
                {
                    'provider': 'wafer',
                    'api_key': KEYS['wafer'],
                    'endpoint': endpoint,
                    'model': models.WAFER_MODELS[endpoint],
                    'api_url': self.urls['wafer'],
                    'min_collection_interval': 60,
                    'pricing': PRICING[endpoint],
                }
            )
        if self.with_engines:
            instances.append(
                {
                    'provider': 'groq',
                    'api_key': KEYS['groq'],
                    'api_url': self.urls['groq'],
                    'min_collection_interval': 60,
                    'pricing': PRICING['groq'],
                }
            )
            instances.append(
                {
                    'provider': 'crusoe',
                    'api_key': KEYS['crusoe'],
                    'project_id': CRUSOE_PROJECT,
                    'api_url': self.urls['crusoe'],
                    'min_collection_interval': 60,
                    'pricing': PRICING['crusoe'],
                }
            )
        # The mistake users make most: a serverless Wafer key (Wafer's docs: serverless keys get 403).
        instances.append(
            {
                'provider': 'wafer',
                'api_key': KEYS['wafer_serverless'],
                'endpoint': 'acme-llama.wafer.ai',
                'api_url': self.urls['wafer'],
                'tags': ['demo:failing-instance'],
                'min_collection_interval': 60,
            }
        )
        return instances
