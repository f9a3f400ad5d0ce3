"""Groq: MetricsQL answered by a real VictoriaMetrics behind Groq's path (docs/providers/groq.md), with its series under
Groq's own names. An Enterprise key reads; other keys get Groq's 403.

Each model's signals are plain numbers kept here (`GROQ_MODELS`), so a test can work out what the check must report
from them, without going through the check's code.
"""

from . import query_apis
from .engines import VictoriaMetrics
from .provider import QueryProvider
from .query_series import LATENCY_BOUNDS, MINUTES, drift, timeline

PATH = '/v1/metrics/prometheus'
FORBIDDEN = 'metrics are available to Enterprise customers only'
KEY = 'gsk-demo-enterprise-key'
FREE_KEY = 'gsk-demo-free-key'

# Model -> request rate by status code, per family a base value for the p50, and how far its p95 and p99 reach
# above the p50 (`tail`: 1 is PERCENTILE_SCALE itself), so that each model has its own latency shape.
GROQ_MODELS = {
    'llama-3.3-70b-versatile': {
        'rates': {'200': 41.5, '429': 2.25, '500': 0.5},
        'ttft': 0.21,
        'e2e': 1.9,
        'queue': 0.012,
        'tokens_in': 850.0,
        'tokens_out': 310.0,
        'tail': 1.0,
    },
    'openai/gpt-oss-120b': {
        'rates': {'200': 17.0, '400': 0.75},
        'ttft': 0.33,
        'e2e': 3.1,
        'queue': 0.02,
        'tokens_in': 1400.0,
        'tokens_out': 620.0,
        'tail': 1.6,
    },
    'qwen/qwen3-32b': {
        'rates': {'200': 5.5},
        'ttft': 0.15,
        'e2e': 1.2,
        'queue': 0.008,
        'tokens_in': 400.0,
        'tokens_out': 150.0,
        'tail': 0.6,
    },
}
GROQ_PROJECT = 'proj-demo'  # the project_id label of Groq's `model_project_id:` series
GROQ_FAMILIES = {
    'ttft': 'ttft_latency_seconds',
    'e2e': 'e2e_latency_seconds',
    'queue': 'queue_latency_seconds',
    'tokens_in': 'tokens_in',
    'tokens_out': 'tokens_out',
}
PERCENTILE_SCALE = {'0.5': 1.0, '0.95': 2.5, '0.99': 4.0}  # Groq's docs: "for P99, P95, and P50"
SPELLINGS = {
    'p': {'0.5': 'p50', '0.95': 'p95', '0.99': 'p99'},
    'P': {'0.5': 'P50', '0.95': 'P95', '0.99': 'P99'},
    'decimal': {'0.5': '0.5', '0.95': '0.95', '0.99': '0.99'},
}


def groq_value(model, family_key, quantile, minute):
    spec = GROQ_MODELS[model]
    scale = 1.0 + (PERCENTILE_SCALE[quantile] - 1.0) * spec['tail']
    return spec[family_key] * scale * drift(min(minute, MINUTES - 1))


def groq_rate(model, status_code, minute):
    return GROQ_MODELS[model]['rates'][status_code] * drift(min(minute, MINUTES - 1))


def groq_token_rate(model, kind, minute):
    """Tokens a second (`kind` tokens_in or tokens_out): every request at the family's p50."""
    return sum(GROQ_MODELS[model]['rates'].values()) * GROQ_MODELS[model][kind] * drift(min(minute, MINUTES - 1))


def groq_samples(now, spelling='p', token_rates=False):
    """Current Groq names (docs/providers/groq.md), the percentile spelled as `spelling` says; the last sample is
    `now - 5`. `token_rates`: also the tokens-a-second series public code shows (`model_project_id:tokens_in:rate5m`),
    for the demo's token prices."""
    names = SPELLINGS[spelling]
    samples = []
    for minute, ts in timeline(now):
        for model, spec in GROQ_MODELS.items():
            for code in spec['rates']:
                labels = {'model': model, 'status_code': code}
                samples.append(('requests:rate1m', labels, groq_rate(model, code, minute), ts))
                samples.append(('requests:increase1m', labels, groq_rate(model, code, minute) * 60, ts))
            for key, family in GROQ_FAMILIES.items():
                for quantile, spelled in names.items():
                    name = '{}:{}:rate5m'.format(family, spelled)
                    samples.append((name, {'model': model}, groq_value(model, key, quantile, minute), ts))
            if token_rates:
                for kind in ('tokens_in', 'tokens_out'):
                    name = 'model_project_id:{}:rate5m'.format(kind)
                    labels = {'model': model, 'project_id': GROQ_PROJECT}
                    samples.append((name, labels, groq_token_rate(model, kind, minute), ts))
    return samples


# Older Groq names: per-second bucket rates (cumulative share of requests at or below each bound).
GROQ_OLD_TTFT_SHARES = (0.02, 0.20, 0.55, 0.80, 0.93, 0.98, 0.995, 1.0)


def groq_old_samples(now, project_id='proj-a'):
    samples = []
    for minute, ts in timeline(now):
        for model, spec in GROQ_MODELS.items():
            for code in spec['rates']:
                labels = {'model': model, 'project_id': project_id, 'status_code': code}
                samples.append(
                    ('model_project_id_status_code:requests:rate5m', labels, groq_rate(model, code, minute), ts)
                )
            total = sum(spec['rates'].values()) * drift(min(minute, MINUTES - 1))
            for bound, share in list(zip(LATENCY_BOUNDS, GROQ_OLD_TTFT_SHARES)) + [('+Inf', 1.0)]:
                labels = {'model': model, 'project_id': project_id, 'le': str(bound)}
                samples.append(('le_model_project_id:ttft_latency_seconds_bucket:rate5m', labels, total * share, ts))
    return samples



# Groq, newer and older names mixed (one value each, constant over time so any query time reads the same).
GROQ_VARIANT = {
    # requests:rate1m by status code; the 200s go NaN (VictoriaMetrics keeps no sample of a NaN) 6 minutes before
    # "now": the model's total would be a partial sum.
    'llama-3.3-70b-versatile': {'rates': {'200': 40.0, '500': 0.5}, 'nan_from_minutes_ago': {'200': 6}},
    # Only requests:increase1m: requests in each minute.
    'openai/gpt-oss-120b': {'increases': {'200': 900.0, '400': 30.0}},
}
GROQ_VARIANT_TOKENS = {  # model_project_id:tokens_in:rate5m / tokens_out:rate5m (public code): tokens per second
    'llama-3.3-70b-versatile': {'in': 34000.0, 'out': 12400.0},
    'openai/gpt-oss-120b': {'in': 21000.0, 'out': 9300.0},
}
GROQ_VARIANT_PROJECT = 'proj-g'
# Buckets without the `le_` prefix (e2e), and both prefixes for ttft with different shares (the `le_` one counts).
GROQ_VARIANT_E2E_SHARES = (0.0, 0.0, 0.02, 0.10, 0.45, 0.85, 0.97, 1.0)
GROQ_VARIANT_TTFT_SHARES = {
    'le_': (0.05, 0.30, 0.70, 0.90, 0.97, 0.99, 1.0, 1.0),
    '': (0.0, 0.0, 0.0, 0.0, 0.5, 1, 1, 1),
}
GROQ_VARIANT_BUCKET_RATE = 12.0  # observations per second in every bucket family
GROQ_VARIANT_QUEUE = {'max': 0.9, 'avg': 0.02, 'p50': 0.01}  # queue_latency_seconds:<spelling>:rate5m
GROQ_VARIANT_UNKNOWN = 'cache_hit_ratio:rate5m'  # a name no pattern of the check reads: drift


def groq_variant_samples(now):
    samples = []
    llama = 'llama-3.3-70b-versatile'
    for minute, ts in timeline(now):
        for model, spec in GROQ_VARIANT.items():
            for code, rate in spec.get('rates', {}).items():
                nan_from = spec.get('nan_from_minutes_ago', {}).get(code)
                value = float('nan') if nan_from is not None and minute > MINUTES - 1 - nan_from else rate
                samples.append(('requests:rate1m', {'model': model, 'status_code': code}, value, ts))
            for code, count in spec.get('increases', {}).items():
                samples.append(('requests:increase1m', {'model': model, 'status_code': code}, count, ts))
        for model, rates in GROQ_VARIANT_TOKENS.items():
            labels = {'model': model, 'project_id': GROQ_VARIANT_PROJECT}
            samples.append(('model_project_id:tokens_in:rate5m', labels, rates['in'], ts))
            samples.append(('model_project_id:tokens_out:rate5m', labels, rates['out'], ts))
        labels = {'model': llama, 'project_id': GROQ_VARIANT_PROJECT}
        bounds = [str(b) for b in LATENCY_BOUNDS] + ['+Inf']
        for bound, share in zip(bounds, GROQ_VARIANT_E2E_SHARES + (1.0,)):
            name = 'model_project_id:e2e_latency_seconds_bucket:rate5m'
            samples.append((name, dict(labels, le=bound), GROQ_VARIANT_BUCKET_RATE * share, ts))
        for prefix, shares in GROQ_VARIANT_TTFT_SHARES.items():
            for bound, share in zip(bounds, shares + (1.0,)):
                name = '{}model_project_id:ttft_latency_seconds_bucket:rate5m'.format(prefix)
                samples.append((name, dict(labels, le=bound), GROQ_VARIANT_BUCKET_RATE * share, ts))
        for spelling, value in GROQ_VARIANT_QUEUE.items():
            samples.append(('queue_latency_seconds:{}:rate5m'.format(spelling), {'model': llama}, value, ts))
        samples.append((GROQ_VARIANT_UNKNOWN, {'model': llama}, 0.4, ts))
    return samples


# The newer page's prompt-cache hit and miss rates (hits and misses a second, by model and project): a ratio where
# both are known and not both 0. (model, project) -> (hits, misses); None: that series is absent.
GROQ_PROMPT_CACHE = {
    ('llama-3.3-70b-versatile', 'proj-a'): (30.0, 10.0),  # 0.75
    ('llama-3.3-70b-versatile', 'proj-b'): (0.0, 8.0),  # 0: every lookup missed, a true zero
    ('openai/gpt-oss-120b', 'proj-a'): (0.0, 0.0),  # no lookup in the window: no ratio
    ('qwen/qwen3-32b', 'proj-a'): (5.0, None),  # the misses series is missing: no ratio
}


def groq_prompt_cache_samples(now, project=None):
    """The prompt-cache rates of GROQ_PROMPT_CACHE (or, with `project`, every model of GROQ_MODELS in that project
    at a hit ratio of its own), and the bucket family the page lists beside them (not read by the check: drift)."""
    table = GROQ_PROMPT_CACHE
    if project is not None:
        table = {(model, project): (rate * 0.6, rate * 0.4) for model, rate in prompt_cache_rates().items()}
    samples = []
    for minute, ts in timeline(now):
        for (model, project_id), (hits, misses) in table.items():
            labels = {'model': model, 'project_id': project_id}
            if hits is not None:
                value = hits * drift(min(minute, MINUTES - 1))
                samples.append(('model_project_id:prompt_cache_hits:rate5m', labels, value, ts))
            if misses is not None:
                samples.append(('model_project_id:prompt_cache_misses:rate5m', labels, misses, ts))
    return samples


def prompt_cache_rates():
    """Prompt-cache lookups a second of each demo model: one per request."""
    return {model: sum(spec['rates'].values()) for model, spec in GROQ_MODELS.items()}


GROQ_RENAMED = {'inference_requests:rate1m': 3, 'inference_ttft_seconds:p99:rate5m': 1}  # name -> series


def groq_renamed_samples(now):
    """Every name changed (a made-up future version): nothing of the catalog, only other series."""
    samples = []
    for _, ts in timeline(now):
        for name, count in GROQ_RENAMED.items():
            for i in range(count):
                samples.append((name, {'model': 'm{}'.format(i)}, 1.0, ts))
    return samples




def api(samples, key, non_enterprise_keys=()):
    """VictoriaMetrics holding `samples` behind Groq's path: `key` reads, `non_enterprise_keys` get Groq's 403."""
    return query_apis.serve(VictoriaMetrics(), samples, {PATH: PATH}, key, non_enterprise_keys, FORBIDDEN)


class Groq(QueryProvider):
    name = 'groq'
    keys = {'enterprise': KEY, 'free': FREE_KEY}
    pricing = {  # per million tokens, by canonical model name
        'tokens': {
            'llama-3.3-70b-instruct': {'input': 0.59, 'output': 0.79},
            'gpt-oss-120b': {'input': 0.15, 'output': 0.75},
        }
    }

    def serve(self, now):
        samples = groq_samples(now, spelling='p', token_rates=True) + groq_prompt_cache_samples(now, GROQ_PROJECT)
        return api(samples, KEY, [FREE_KEY])

    def demo_instances(self, url):
        instance = {'provider': self.name, 'api_key': KEY, 'api_url': url, 'min_collection_interval': 60}
        return [dict(instance, pricing=self.pricing)]


PROVIDER = Groq()
