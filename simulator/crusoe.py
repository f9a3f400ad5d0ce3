"""Crusoe: PromQL answered by a real Prometheus behind Crusoe's per-project path (docs/providers/crusoe.md), with its
counters and histograms under Crusoe's own names, and a second project the check must filter out.

Each model's signals are plain numbers kept here (`CRUSOE_MODELS`, `CRUSOE_HISTOGRAMS`), so a test can work out what
the check must report from them, without going through the check's code.
"""

from . import query_apis
from .engines import Prometheus
from .provider import QueryProvider
from .query_series import LATENCY_BOUNDS, STEP, timeline

KEY = 'crusoe-demo-monitoring-token'
PROJECT = 'proj-demo'


def path(project):
    return '/v1alpha5/projects/{}/metrics/timeseries'.format(project)


# (model_name, service_tier) -> per-second rates of its counters, and the cumulative bucket shares of its
# latency histograms. Counters grow linearly, so rate() over any window is exactly the per-second rate.
CRUSOE_MODELS = {
    ('meta-llama/Llama-3.3-70B-Instruct', 'pt'): {'requests': 8.0, 'input': 9600.0, 'output': 2400.0},
    ('meta-llama/Llama-3.3-70B-Instruct', 'on-demand'): {'requests': 2.5, 'input': 2750.0, 'output': 700.0},
    ('deepseek-ai/DeepSeek-R1', 'pt'): {'requests': 1.25, 'input': 2500.0, 'output': 3750.0},
}
CRUSOE_COUNTERS = {
    'requests': 'crusoe_inference_request_count',
    'input': 'crusoe_inference_input_token_count',
    'output': 'crusoe_inference_output_token_count',
}
TTFT, TPOT = 'crusoe_inference_histogram_first_token_latency', 'crusoe_inference_histogram_output_token_latency'
# (model_name, service_tier) -> family -> cumulative shares over LATENCY_BOUNDS: each its own latency shape (the
# on-demand tier queues behind provisioned traffic; a reasoning model is slower to its first token).
CRUSOE_HISTOGRAMS = {
    ('meta-llama/Llama-3.3-70B-Instruct', 'pt'): {
        TTFT: (0.05, 0.25, 0.60, 0.85, 0.95, 0.99, 1.0, 1.0),
        TPOT: (0.40, 0.90, 0.98, 1.0, 1.0, 1.0, 1.0, 1.0),
    },
    ('meta-llama/Llama-3.3-70B-Instruct', 'on-demand'): {
        TTFT: (0.01, 0.08, 0.35, 0.65, 0.85, 0.95, 0.99, 1.0),
        TPOT: (0.20, 0.70, 0.93, 0.99, 1.0, 1.0, 1.0, 1.0),
    },
    ('deepseek-ai/DeepSeek-R1', 'pt'): {
        TTFT: (0.0, 0.02, 0.15, 0.45, 0.80, 0.97, 1.0, 1.0),
        TPOT: (0.10, 0.55, 0.90, 0.98, 1.0, 1.0, 1.0, 1.0),
    },
}
CRUSOE_TOKENS_PER_REQUEST = 300.0  # output-token latency observations per request


def crusoe_observation_rate(family, spec):
    per_request = CRUSOE_TOKENS_PER_REQUEST if 'output_token' in family else 1.0
    return spec['requests'] * per_request


def crusoe_samples(now, project_id='proj-1', other_project='proj-2'):
    """Counters and histogram buckets for `project_id`, plus a second project the check must filter out."""
    samples = []
    for minute, ts in timeline(now):
        elapsed = minute * STEP + 1000.0  # counters did not start at zero
        for project, factor in ((project_id, 1.0), (other_project, 100.0)):
            for (model, tier), spec in CRUSOE_MODELS.items():
                labels = {'project_id': project, 'model_name': model, 'service_tier': tier}
                for key, metric in CRUSOE_COUNTERS.items():
                    samples.append((metric, labels, spec[key] * factor * elapsed, ts))
                for family, shares in CRUSOE_HISTOGRAMS[model, tier].items():
                    if project != project_id:
                        shares = (0.0,) * (len(LATENCY_BOUNDS) - 1) + (1.0,)  # would show if not filtered out
                    rate = crusoe_observation_rate(family, spec) * factor
                    for bound, share in list(zip(LATENCY_BOUNDS, shares)) + [('+Inf', 1.0)]:
                        bucket = dict(labels, le=str(bound))
                        samples.append((family + '_bucket', bucket, rate * share * elapsed, ts))
    return samples



# Crusoe: both spellings of the latency histograms, buckets in milliseconds, an extra label, and a name not read.
CRUSOE_VARIANT_PROJECT = 'proj-v'
CRUSOE_RENAMED_PROJECT = 'proj-r'
MS_TTFT_BOUNDS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
MS_TTFT_SHARES = (0.0, 0.05, 0.20, 0.50, 0.80, 0.93, 0.98, 1.0, 1.0)
MS_TPOT_BOUNDS = (1, 2, 5, 10, 20, 50, 100, 200)
MS_TPOT_SHARES = (0.02, 0.10, 0.45, 0.80, 0.95, 0.99, 1.0, 1.0)
CRUSOE_VARIANT = {
    # Only the curl example's spelling, in milliseconds; counters split by a `region` label.
    ('meta-llama/Llama-3.3-70B-Instruct', 'pt'): {
        'regions': {'us-east1': 5.0, 'eu-west1': 3.0},  # requests per second by region
        'histograms': {
            'crusoe_inference_first_token_latency': (MS_TTFT_BOUNDS, MS_TTFT_SHARES),
            'crusoe_inference_output_token_latency': (MS_TPOT_BOUNDS, MS_TPOT_SHARES),
        },
    },
    # Both spellings, different data: the documented (table) one, in seconds, is the one read.
    ('deepseek-ai/DeepSeek-R1', 'pt'): {
        'regions': {'us-east1': 2.0},
        'histograms': {
            'crusoe_inference_histogram_first_token_latency': (LATENCY_BOUNDS, (0.1, 0.3, 0.6, 0.8, 0.9, 0.95, 1, 1)),
            'crusoe_inference_first_token_latency': (MS_TTFT_BOUNDS, MS_TTFT_SHARES),
        },
    },
}
CRUSOE_VARIANT_UNKNOWN = 'crusoe_inference_queue_depth'


def crusoe_variant_samples(now):
    samples = []
    for minute, ts in timeline(now):
        elapsed = minute * STEP + 1000.0
        for (model, tier), spec in CRUSOE_VARIANT.items():
            base = {'project_id': CRUSOE_VARIANT_PROJECT, 'model_name': model, 'service_tier': tier}
            for region, rate in spec['regions'].items():
                samples.append(('crusoe_inference_request_count', dict(base, region=region), rate * elapsed, ts))
            total = sum(spec['regions'].values())
            for family, (bounds, shares) in spec['histograms'].items():
                for bound, share in list(zip(bounds, shares)) + [('+Inf', 1.0)]:
                    labels = dict(base, le=str(bound))
                    samples.append((family + '_bucket', labels, total * share * elapsed, ts))
            samples.append((CRUSOE_VARIANT_UNKNOWN, base, 3.0, ts))
        renamed = {'project_id': CRUSOE_RENAMED_PROJECT, 'model_name': 'm'}
        samples.append(('crusoe_llm_requests_total', renamed, 2.0 * elapsed, ts))
    return samples


def api(samples, key, projects):
    """Prometheus holding `samples` (backfilled before it starts) behind Crusoe's path of each of `projects`
    (`proxies` keyed by project), `key` reading every one."""
    return query_apis.serve(Prometheus(), samples, {project: path(project) for project in projects}, key)


class Crusoe(QueryProvider):
    name = 'crusoe'
    keys = {'monitoring': KEY}
    pricing = {  # per million tokens, by canonical model name
        'tokens': {'llama-3.3-70b-instruct': {'input': 0.8, 'output': 0.8}, 'deepseek-r1': {'input': 3, 'output': 7}}
    }

    def serve(self, now):
        return api(crusoe_samples(now, project_id=PROJECT), KEY, [PROJECT])

    def demo_instances(self, url):
        return [
            {
                'provider': self.name,
                'api_key': KEY,
                'project_id': PROJECT,
                'api_url': url,
                'min_collection_interval': 60,
                'pricing': self.pricing,
            }
        ]


PROVIDER = Crusoe()
