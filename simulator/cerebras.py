"""Cerebras: `/api/v1/metrics/organizations/<organization_id>` in Prometheus text (docs/providers/cerebras.md):
per-minute `*_total` gauges (counts of the last complete minute), percentile gauges labelled `percentile` (avg, p50,
p90, p95, p99), `inference_endpoint_status`; an `endpoint` and `organization_id` label on every series; 6 requests a
minute per organization; a key reads its own organization only."""

from dataclasses import dataclass

from . import traffic
from .exposition import line, text
from .provider import Reply, ScrapeProvider

KEY = 'cerebras-demo-key'
ORGANIZATION = 'org_acme01'
OTHER_ORGANIZATION = 'org_other99'  # exists, but the demo key is not one of its keys: 403
PATH = '/api/v1/metrics/organizations/'
PERCENTILES = ('avg', 'p50', 'p90', 'p95', 'p99')


@dataclass(frozen=True)
class Endpoint:
    peak_rps: float  # requests per second at the daily peak
    ttft: float  # p50 time to first token (s)
    tail: float  # how far the upper percentiles reach above the p50
    down: bool = False  # the endpoint is down (status 0, no traffic)


ENDPOINTS = {
    ORGANIZATION: {
        'llama-3.3-70b': Endpoint(6.0, 0.12, 1.0),
        'llama-3.1-8b': Endpoint(14.0, 0.05, 0.6),
    },
    OTHER_ORGANIZATION: {'llama-3.1-8b': Endpoint(1.0, 0.05, 0.6)},
}
# A flat hourly rate for the organization's dedicated endpoints (an example, not a quote): Cerebras' series carry no
# model, so per-model token prices would match none of them.
PRICING = {'hour': 20.0}


def _minute(t):
    """The last complete minute: what every series describes."""
    return (t // 60) * 60 - 60


def latencies(e, t):
    """{percentile: seconds} of time to first token, end to end and queue time over the minute before `t`."""
    u = min(0.95, traffic.load(e.peak_rps, t) / (e.peak_rps * 1.6))
    q = 0.01 + 0.2 * u * u
    factors = {'avg': 1.4, 'p50': 1.0, 'p90': 1 + 1.2 * e.tail, 'p95': 1 + 2.1 * e.tail, 'p99': 1 + 6.5 * e.tail}
    return {
        'ttft_seconds': {p: round(e.ttft * f, 4) for p, f in factors.items()},
        'e2e_latency_seconds': {p: round(e.ttft * 9 * f, 4) for p, f in factors.items()},
        'queue_time_seconds': {p: round(q * f, 4) for p, f in factors.items()},
    }


def values(organization, endpoint, t):
    """raw name -> value, or -> {label value: value} for the failures (by `code`) and the percentiles."""
    e = ENDPOINTS[organization][endpoint]
    minute = _minute(t)
    if e.down:
        requests = 0
    else:
        requests = round(traffic.load(e.peak_rps, minute) * 60)
    spike = 0.03 if traffic.in_error_spike(minute) else 0.002
    failures = {'429': round(requests * 0.01), '500': round(requests * spike)}
    success = requests - sum(failures.values())
    series = {
        'inference_endpoint_status': 0 if e.down else 1,
        'requests_count_total': requests,
        'requests_success_total': success,
        'requests_failure_total': failures,
        'input_tokens_total': success * 900,
        'output_tokens_total': success * 250,
    }
    series.update(latencies(e, minute))
    return series


def exposition(organization, t):
    """`# TYPE ... gauge` (with the reference's HELP texts left out), `endpoint` and `organization_id` on every
    series, `code` on the failures, `percentile` on the latencies."""
    lines = []
    for endpoint in ENDPOINTS[organization]:
        for name, value in values(organization, endpoint, t).items():
            lines.append('# TYPE {} gauge'.format(name))
            labels = {'endpoint': endpoint, 'organization_id': organization}
            if isinstance(value, dict):
                label = 'code' if name == 'requests_failure_total' else 'percentile'
                for key, v in value.items():
                    lines.append(line(name, dict(labels, **{label: key}), v))
            else:
                lines.append(line(name, labels, value))
    return text(lines)


class Cerebras(ScrapeProvider):
    name = 'cerebras'
    keys = {'organization': KEY}
    path = PATH
    pricing = PRICING

    def answer(self, path, query, key, limited, now):
        if not path.startswith(self.path):
            return None
        organization = path[len(self.path) :]
        if key != KEY:
            return Reply(401, 'missing or invalid API key\n', {})
        if organization not in ENDPOINTS:
            return Reply(404, 'organization {!r} not found\n'.format(organization), {})
        if organization != ORGANIZATION:
            return Reply(403, 'this key does not belong to organization {!r}\n'.format(organization), {})
        wait = limited((self.name, organization))
        if wait:
            return Reply(429, 'rate limit: 6/min per organization\n', {'Retry-After': str(wait)})
        return Reply(200, exposition(organization, now), {})

    def demo_instances(self, url):
        # No failing instance of its own: a wrong organization id is tested in tests/test_cerebras.py (the demo's
        # one failing instance is another provider's, which the end-to-end test expects).
        return [
            {
                'provider': self.name,
                'api_key': KEY,
                'organization_id': ORGANIZATION,
                'api_url': url + ORGANIZATION,
                'min_collection_interval': 60,
                'pricing': PRICING,
            }
        ]


PROVIDER = Cerebras()
