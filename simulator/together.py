"""Together AI: `/organizations/<organization_id>/metrics` in Prometheus text (docs/providers/together.md): `# TYPE`
lines, cumulative counters and histograms of three stages (edge latencies in milliseconds, router and worker latencies
in seconds), per-replica worker gauges; `Authorization: Bearer <key>`, and a key of another organization gets 401.
Together documents no rate limit (the endpoint is in beta): this one answers 429 past 6 requests a minute per
organization, the check's default budget, so a client that goes past it sees what a real limit would give."""

from dataclasses import dataclass

from . import traffic
from .exposition import line, text
from .provider import Reply, ScrapeProvider

KEY = 'together-demo-key'
OTHER_KEY = 'together-other-organization-key'  # valid, but a key of another organization: 401 here
ORGANIZATION = 'org_acme01'
OTHER_ORGANIZATION = 'org_other99'
KEYS = {KEY: ORGANIZATION, OTHER_KEY: OTHER_ORGANIZATION}
PATH = '/organizations/'
EPOCH = 1_700_000_000.0  # when the simulated deployments started counting
EDGE_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)  # the edge's bounds, in milliseconds
SECONDS = tuple(b / 1000 for b in EDGE_MS)  # the router's and worker's, in seconds
TPOT = (0.005, 0.01, 0.02, 0.05, 0.1)
ERROR_SHARE = 0.008


@dataclass(frozen=True)
class Deployment:
    endpoint_id: str
    endpoint_name: str
    model: str
    rps: float  # average requests per second
    ttft: float  # median seconds to first token at the worker
    e2e: float  # median seconds end to end at the worker
    tpot: float  # median seconds per output token
    kv: tuple  # KV-cache utilization of each replica


LLAMA, QWEN = 'meta-llama/Llama-3.3-70B-Instruct', 'Qwen/Qwen2.5-72B-Instruct'
DEPLOYMENTS = {
    ORGANIZATION: {
        'dep_llama_a': Deployment('ep_llama01', 'llama-prod', LLAMA, 3.0, 0.22, 2.4, 0.021, (0.62, 0.48)),
        'dep_qwen_a': Deployment('ep_qwen01', 'qwen-batch', QWEN, 1.2, 0.35, 3.1, 0.027, (0.31,)),
    },
    OTHER_ORGANIZATION: {'dep_other': Deployment('ep_other', 'other', LLAMA, 0.5, 0.2, 2.0, 0.02, (0.1,))},
}
# The edge adds what the client sees beyond the router (TLS, proxying); the router's queue is before the worker.
EDGE_EXTRA, PRE_WORKER = 0.03, 0.008


def _buckets(labels, bounds, served, median, scale=1.0):
    """A cumulative histogram's `_bucket` samples (log-logistic around `median`, bounds in the unit `scale` gives)."""
    counts = [(repr(b), round(served * traffic.cdf_log(b / scale, median, 0.35))) for b in bounds]
    return [('_bucket', dict(labels, le=le), count) for le, count in counts + [('+Inf', served)]]


def families(organization, t):
    """{family: (type, [(suffix, labels, value)])}, every deployment's series of a family together."""
    out = {}

    def add(family, kind, *samples):
        out.setdefault(family, (kind, []))[1].extend(samples)

    for deployment, d in DEPLOYMENTS[organization].items():
        ids = {
            'owner_organization_id': organization,
            'endpoint_id': d.endpoint_id,
            'endpoint_name': d.endpoint_name,
            'deployment_id': deployment,
        }
        edge = dict(ids, model=d.model)
        served = round(d.rps * (t - EPOCH))
        failed = round(served * ERROR_SHARE)
        add(
            'edge_inference_requests_total',
            'counter',
            ('', dict(edge, status_code='200'), served - failed),
            ('', dict(edge, status_code='500'), failed),
        )
        e2e = _buckets(edge, EDGE_MS, served, d.e2e + EDGE_EXTRA, 1e3)
        add('edge_inference_request_duration_ms', 'histogram', *e2e)
        ttft = _buckets(dict(edge, is_streaming='true'), EDGE_MS, served, d.ttft + EDGE_EXTRA, 1e3)
        add('edge_inference_ttft_ms', 'histogram', *ttft)
        add('edge_inference_inflight_requests', 'gauge', ('', edge, round(traffic.load(d.rps, t) * d.e2e, 1)))
        add('router_inference_requests_total', 'counter', ('', dict(edge, status_code='200'), served - failed))
        add('router_inference_request_duration_seconds', 'histogram', *_buckets(edge, SECONDS, served, d.e2e))
        add('router_pre_worker_duration_seconds', 'histogram', *_buckets(edge, TPOT, served, PRE_WORKER))
        for replica, kv in enumerate(d.kv):
            worker = dict(ids, model_id=d.model, replica_id='r-{}'.format(replica))
            share = served // len(d.kv)
            add('worker_ttft_seconds', 'histogram', *_buckets(worker, SECONDS, share, d.ttft))
            add('worker_tpot_seconds', 'histogram', *_buckets(worker, TPOT, share * 250, d.tpot))
            add(
                'worker_token_total',
                'counter',
                ('', dict(worker, token_type='input'), share * 900),
                ('', dict(worker, token_type='output'), share * 250),
            )
            add('worker_engine_kv_cache_utilization', 'gauge', ('', worker, kv))
            add('worker_engine_cache_hit_rate', 'gauge', ('', worker, round(0.2 + kv / 2, 3)))
    return out


def exposition(organization, t):
    lines = []
    for family, (kind, samples) in families(organization, t).items():
        lines.append('# TYPE {} {}'.format(family, kind))
        lines += [line(family + suffix, labels, value) for suffix, labels, value in samples]
    return text(lines)


class Together(ScrapeProvider):
    name = 'together'
    keys = {'organization': KEY, 'another organization': OTHER_KEY}
    path = PATH
    # A flat hourly rate for the organization's dedicated endpoints (an example, not a quote).
    pricing = {'hour': 9.0}

    def answer(self, path, query, key, limited, now):
        if not (path.startswith(self.path) and path.endswith('/metrics')):
            return None
        organization = path[len(self.path) : -len('/metrics')]
        if KEYS.get(key) != organization:
            # An unknown key, and a key of another organization, alike.
            return Reply(401, 'invalid API key for organization {!r}\n'.format(organization), {})
        wait = limited((self.name, organization))
        if wait:
            return Reply(429, 'too many requests\n', {'Retry-After': str(wait)})
        return Reply(200, exposition(organization, now), {})

    def demo_instances(self, url):
        return [
            {
                'provider': self.name,
                'api_key': KEY,
                'organization_id': ORGANIZATION,
                'api_url': '{}{}/metrics'.format(url, ORGANIZATION),
                'min_collection_interval': 60,
                'pricing': self.pricing,
            }
        ]


PROVIDER = Together()
