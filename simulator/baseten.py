"""Baseten: the organization's `/metrics` in Prometheus text (docs/providers/baseten.md): `Authorization: Api-Key
<key>` (a Bearer header is refused), 6 requests a minute per organization, real cumulative counters and histograms
that grow with time."""

from dataclasses import dataclass

from . import traffic
from .exposition import line, text
from .provider import Reply, ScrapeProvider

KEY = 'baseten-workspace-demo-key'
PATH = '/metrics'
EPOCH = 1_700_000_000.0  # when the simulated deployments started counting
BOUNDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Deployment:
    model_id: str
    model_name: str
    rps: float  # average requests per second
    e2e: float  # median end-to-end seconds
    replicas: int


DEPLOYMENTS = {
    'dep-llama-1': Deployment('mdl-a1', 'llama-3.3-70b', 4.0, 1.6, 2),
    'dep-qwen-1': Deployment('mdl-b2', 'qwen3-32b', 1.5, 0.9, 1),
}
ERROR_SHARE = 0.01  # 5xx share of requests


def counters(deployment, t):
    """Cumulative counts at `t`: they only grow (a constant average rate since EPOCH)."""
    d = DEPLOYMENTS[deployment]
    served = d.rps * (t - EPOCH)
    return {
        'requests': {'200': round(served * (1 - ERROR_SHARE)), '500': round(served * ERROR_SHARE)},
        'input_tokens': round(served * 900),
        'output_tokens': round(served * 250),
    }


def exposition(t):
    lines = []
    for deployment, d in DEPLOYMENTS.items():
        ids = {'model_id': d.model_id, 'model_name': d.model_name, 'deployment_id': deployment}
        c = counters(deployment, t)
        for status, count in c['requests'].items():
            lines.append(
                line('baseten_inference_requests_total', dict(ids, status_code=status, is_async='false'), count)
            )
        lines.append(line('baseten_llm_input_tokens_total', ids, c['input_tokens']))
        lines.append(line('baseten_llm_output_tokens_total', ids, c['output_tokens']))
        served = sum(c['requests'].values())
        for bound in BOUNDS:
            count = round(served * traffic.cdf_log(bound, d.e2e, 0.35))
            lines.append(line('baseten_end_to_end_response_time_seconds_bucket', dict(ids, le=str(bound)), count))
        lines.append(line('baseten_end_to_end_response_time_seconds_bucket', dict(ids, le='+Inf'), served))
        lines.append(line('baseten_end_to_end_response_time_seconds_count', ids, served))
        lines.append(line('baseten_replicas_active', ids, d.replicas))
        lines.append(line('baseten_replicas_starting', ids, 0))
        lines.append(line('baseten_concurrent_requests', ids, round(traffic.load(d.rps, t) * d.e2e, 1)))
    return text(lines)


class Baseten(ScrapeProvider):
    name = 'baseten'
    keys = {'workspace': KEY}
    path = PATH
    auth_scheme = 'Api-Key'
    pricing = {'replica_hour': 6.5}

    def answer(self, path, query, key, limited, now):
        if path != self.path:
            return None
        if key != KEY:
            # A Bearer header reads as no key here (the scheme must be `Api-Key`).
            return Reply(401, 'invalid API key\n', {})
        wait = limited((self.name, 'organization'))
        if wait:
            return Reply(429, 'rate limit: 6/min per organization\n', {'Retry-After': str(wait)})
        return Reply(200, exposition(now), {})

    def demo_instances(self, url):
        return [
            {
                'provider': self.name,
                'api_key': KEY,
                'api_url': url,
                'min_collection_interval': 60,
                'pricing': self.pricing,
            }
        ]


PROVIDER = Baseten()
