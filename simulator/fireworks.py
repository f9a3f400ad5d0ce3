"""Fireworks: `/v1/accounts/<account>/metrics` in Prometheus text (docs/providers/fireworks.md), with its key and its
limit of 6 requests a minute per account.

KV-cache pressure and queueing follow each deployment's load; every value is a pure function of (deployment, t).
"""

from dataclasses import dataclass

from . import traffic
from .exposition import line, text
from .provider import Reply, ScrapeProvider

LATENCY_BOUNDS_MS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
TOKEN_BOUNDS = (16, 64, 256, 1024, 4096, 16384)
KEY = 'fw-demo-key'
ACCOUNT = 'acme'


@dataclass(frozen=True)
class Deployment:
    account: str
    deployment_id: str
    base_model: str
    peak_rps: float  # requests per second at the daily peak
    replicas: int
    ttft_ms: float  # typical time to first token at low load
    peak_hour: float = 15.0  # UTC hour of the daily peak (users in different regions)
    tail: float = 0.35  # spread of its latencies (traffic.cdf_log): p99 / p50 = 99 ** tail
    headroom: float = 1.9  # capacity over the daily peak: KV-cache pressure and queueing follow load / capacity
    cached_share: float = 0.35  # share of prompt tokens served from the prompt cache
    bad_requests: float = 0.004  # share of requests refused with 400 (its clients' own mistakes)


DEPLOYMENTS = (
    Deployment('acme', 'llama70b-prod', 'accounts/fireworks/models/llama-v3p3-70b-instruct', 14.0, 4, 180.0, 15.0),
    # Batch jobs: long shared prompts (a warm cache), run close to capacity, with a long tail and more bad requests.
    Deployment(
        'acme', 'dsv3-batch', 'accounts/fireworks/models/deepseek-v3', 4.0, 2, 420.0, 3.0, 0.5, 1.3, 0.6, 0.012
    ),
    # Chat on a small model: short prompts, room to spare, tight latencies.
    Deployment(
        'acme', 'qwen3-8b-chat', 'accounts/fireworks/models/qwen3-8b', 22.0, 3, 60.0, 20.0, 0.25, 2.6, 0.15, 0.001
    ),
)


def deployment_load(d, t):
    return traffic.load(d.peak_rps, t, d.peak_hour)


def utilization(d, t):
    """Share of capacity in use: KV-cache pressure and queueing follow it."""
    return min(0.99, deployment_load(d, t) / (d.peak_rps * d.headroom))


def latency_medians_ms(d, t):
    """Median per latency family; queueing grows with utilization."""
    u = utilization(d, t)
    queue = 2.0 + 200.0 * u**4
    return {
        'latency_to_first_token_ms': d.ttft_ms + queue,
        'latency_overall_ms': d.ttft_ms * 8 + queue,
        'latency_generation_queue_ms': queue,
        'latency_generation_per_token_ms': 18.0 + 10.0 * u,
        'latency_prefill_ms': d.ttft_ms * 0.6,
        'latency_prefill_queue_ms': queue * 0.5,
    }


def buckets(d, t):
    """family -> [(le, per-second rate of observations <= le)], `+Inf` last."""
    rps = deployment_load(d, t)
    families = {}
    for family, median in latency_medians_ms(d, t).items():
        rows = [(str(b), rps * traffic.cdf_log(b, median, d.tail)) for b in LATENCY_BOUNDS_MS]
        families[family] = rows + [('+Inf', rps)]
    for family, median in (('tokens_prompt_per_request', 900.0), ('tokens_generated_per_request', 280.0)):
        rows = [(str(b), rps * traffic.cdf_log(b, median, 0.5)) for b in TOKEN_BOUNDS]
        families[family] = rows + [('+Inf', rps)]
    return families


def gauges(d, t):
    """raw name -> value for the per-deployment gauges (errors apart)."""
    rps = deployment_load(d, t)
    u = utilization(d, t)
    return {
        'request_counter_total:sum_by_deployment': rps,
        'tokens_prompt_total:sum_by_deployment': rps * 900.0,
        'tokens_cached_prompt_total:sum_by_deployment': rps * 900.0 * d.cached_share,
        'generator_kv_blocks_fraction:avg_by_deployment': min(0.99, 0.15 + 0.85 * u),
        'generator_kv_slots_fraction:avg_by_deployment': min(0.99, 0.10 + 0.85 * u),
        'generator_model_forward_time:avg_by_deployment': 12.0 + 20.0 * u,
        'requests_coordinator_concurrent_count:avg_by_deployment': rps * 2.2,
        'prefiller_prompt_cache_ttl:avg_by_deployment': 300.0,
    }


def errors(d, t):
    """http_code -> errors per second."""
    rps = deployment_load(d, t)
    rates = {'400': rps * d.bad_requests, '429': rps * 0.01 if traffic.in_burst(t) else 0.0}
    if traffic.in_error_spike(t):
        rates['500'] = rps * 0.08
    return {code: rate for code, rate in rates.items() if rate > 0}


def exposition(account, t, deployments=DEPLOYMENTS):
    """No `# TYPE` lines (as seen in public client code), recording-rule names, `le` buckets."""
    lines = []
    for d in deployments:
        if d.account != account:
            continue
        common = {
            'base_model': d.base_model,
            'deployment': 'accounts/{}/deployments/{}'.format(d.account, d.deployment_id),
            'deployment_account': d.account,
            'deployment_id': d.deployment_id,
        }
        for name, value in gauges(d, t).items():
            lines.append(line(name, common, value))
        for code, rate in errors(d, t).items():
            lines.append(line('requests_error_total:sum_by_deployment', dict(common, http_code=code), rate))
        for family, rows in buckets(d, t).items():
            for le, rate in rows:
                lines.append(line('{}_bucket:sum_by_deployment'.format(family), dict(common, le=le), rate))
        replicas = {'deployment_account': d.account, 'deployment_id': d.deployment_id}
        lines.append(line('deployment_replicas', replicas, d.replicas))
    return text(lines)


class Fireworks(ScrapeProvider):
    name = 'fireworks'
    keys = {'dedicated': KEY}
    path = '/v1/accounts/{}/metrics'.format(ACCOUNT)
    pricing = {'replica_hour': 2.9}  # a dedicated deployment is billed per replica-hour

    def answer(self, path, query, key, limited, now):
        segments = path.strip('/').split('/')
        if len(segments) != 4 or segments[:2] != ['v1', 'accounts'] or segments[3] != 'metrics':
            return None
        account = segments[2]
        if key != KEY:
            return Reply(401, 'invalid API key\n', {})
        wait = limited((self.name, account))
        if wait:
            return Reply(429, 'rate limited\n', {'Retry-After': str(wait)})
        return Reply(200, exposition(account, now), {})

    def demo_instances(self, url):
        return [
            {
                'provider': self.name,
                'api_key': KEY,
                'account_id': ACCOUNT,
                'api_url': url,
                'min_collection_interval': 60,
                'pricing': self.pricing,
            }
        ]


PROVIDER = Fireworks()
