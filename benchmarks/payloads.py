"""Synthetic Fireworks-shaped payloads: every family Fireworks documents, ~20 buckets per histogram, no `# TYPE`
lines."""

import random

GAUGES = (
    'request_counter_total:sum_by_deployment',
    'tokens_cached_prompt_total:sum_by_deployment',
    'tokens_prompt_total:sum_by_deployment',
    'generator_kv_blocks_fraction:avg_by_deployment',
    'generator_kv_slots_fraction:avg_by_deployment',
    'generator_model_forward_time:avg_by_deployment',
    'requests_coordinator_concurrent_count:avg_by_deployment',
    'prefiller_prompt_cache_ttl:avg_by_deployment',
)
ERRORS = 'requests_error_total:sum_by_deployment'
HISTOGRAMS = (
    'latency_generation_per_token_ms',
    'latency_generation_queue_ms',
    'latency_overall_ms',
    'latency_to_first_token_ms',
    'latency_prefill_ms',
    'latency_prefill_queue_ms',
    'tokens_generated_per_request',
    'tokens_prompt_per_request',
)
BOUNDS = [round(2 ** (i / 1.5), 3) for i in range(19)]  # 19 finite bounds + +Inf = 20 buckets


def fireworks_payload(deployments, seed=1):
    rng = random.Random(seed)
    lines = []
    for n in range(deployments):
        common = (
            'base_model="accounts/fireworks/models/model-{m}",deployment="accounts/acme/deployments/dep-{n}",'
            'deployment_account="acme",deployment_id="dep-{n}"'
        ).format(m=n % 7, n=n)
        rps = rng.uniform(0.5, 30)
        for name in GAUGES:
            lines.append('{}{{{}}} {!r}'.format(name, common, rng.uniform(0, 1) * rps))
        for code in ('400', '429', '500'):
            lines.append('{}{{{},http_code="{}"}} {!r}'.format(ERRORS, common, code, rps * rng.uniform(0, 0.02)))
        for family in HISTOGRAMS:
            cumulative = 0.0
            for bound in BOUNDS:
                cumulative += rps * rng.uniform(0, 0.1)
                lines.append('{}_bucket:sum_by_deployment{{{},le="{}"}} {!r}'.format(family, common, bound, cumulative))
            lines.append(
                '{}_bucket:sum_by_deployment{{{},le="+Inf"}} {!r}'.format(family, common, cumulative + rps * 0.01)
            )
        lines.append('deployment_replicas{{deployment_account="acme",deployment_id="dep-{}"}} {}'.format(n, 1 + n % 4))
    return '\n'.join(lines) + '\n'


def raw_names():
    """Every raw name a user would map in a generic OpenMetrics configuration."""
    return (
        list(GAUGES)
        + [ERRORS]
        + ['{}_bucket:sum_by_deployment'.format(f) for f in HISTOGRAMS]
        + ['deployment_replicas']
    )


def promql_payload(series, seed=1):
    """A PromQL instant-query reply of `series` vLLM-like series (about 300 bytes each, as from a Kubernetes
    Prometheus): a few repeated label values (model, job, namespace) and unique ones (pod, instance)."""
    import json

    rng = random.Random(seed)
    result = []
    for i in range(series):
        labels = {
            '__name__': 'vllm:request_success_total',
            'model_name': 'model-{}'.format(i % 50),
            'instance': '10.{}.{}.{}:8000'.format(i // 62500 % 250, i // 250 % 250, i % 250),
            'job': 'vllm-serving',
            'pod': 'vllm-7d9f8c6b5-{:06d}'.format(i),
            'namespace': 'inference-prod',
            'finished_reason': ('stop', 'length', 'abort')[i % 3],
            'llm_inference_query': '0',
        }
        result.append({'metric': labels, 'value': [1700000000.123, repr(rng.uniform(0, 50))]})
    return json.dumps({'status': 'success', 'data': {'resultType': 'vector', 'result': result}})
