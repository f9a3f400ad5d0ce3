# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Fireworks AI: scrape ``/v1/accounts/<account_id>/metrics``.

"The docs" below: Fireworks, "Exporting Metrics", https://docs.fireworks.ai/deployments/exporting-metrics (read
2026-11-22); what the check relies on is summarized in docs/providers/fireworks.md.
"""

import re

from ..pricing import Spend
from ..specs import AVG, SUM, Gauge, Quantiles
from ..labels import LabelMap
from ..scrape import ScrapeCheck

DEFAULT_URL = 'https://api.fireworks.ai/v1/accounts/{account_id}/metrics'

# The docs: "These metrics show activity rates calculated using 1-minute windows" and the histograms are
# "calculated using 1-minute windows".
ONE_MINUTE = ('window:1m',)
MS = 0.001  # *_ms buckets -> seconds

# Label policy: the `*:sum_by_deployment` rates and counts SUM over a removed label; the `*:avg_by_deployment`
# gauges are averages over replicas, so they AVG (an unweighted mean of the parts).
METRIC_MAP = {
    # Rate metrics (per second)
    'request_counter_total:sum_by_deployment': Gauge('requests.rate', tags=ONE_MINUTE, combine=SUM),
    # "Error rate per deployment, broken down by HTTP status code (includes additional http_code label)"; live
    # payloads label it `code` (see LABELS).
    'requests_error_total:sum_by_deployment': Gauge('errors.rate', tags=ONE_MINUTE, combine=SUM),
    'tokens_cached_prompt_total:sum_by_deployment': Gauge('tokens.cached_input.rate', tags=ONE_MINUTE, combine=SUM),
    'tokens_prompt_total:sum_by_deployment': Gauge('tokens.input.rate', tags=ONE_MINUTE, combine=SUM),
    # Resource utilization: "gauge metrics show average resource usage"
    'generator_kv_blocks_fraction:avg_by_deployment': Gauge('kv_cache.usage', combine=AVG),
    'generator_kv_slots_fraction:avg_by_deployment': Gauge('fireworks.kv_slots.usage', combine=AVG),
    # The docs give no unit for these two: submitted as the provider reports them.
    'generator_model_forward_time:avg_by_deployment': Gauge('fireworks.model_forward_time', combine=AVG),
    'prefiller_prompt_cache_ttl:avg_by_deployment': Gauge('fireworks.prompt_cache.ttl', combine=AVG),
    'requests_coordinator_concurrent_count:avg_by_deployment': Gauge('requests.running', combine=AVG),
    # Undocumented, seen in public client code of the live endpoint: deployment_replicas{deployment_account,
    # deployment_id}; 0 is a deployment scaled to zero. Replicas of the parts of a deployment add up.
    'deployment_replicas': Gauge('fireworks.replicas', combine=SUM),
    # Undocumented, seen in public client code beside the KV fractions (printed as "active generators"): by its
    # name, the average fraction of generator slots active. Its meaning is not documented, so it keeps a
    # Fireworks-only name (metadata.csv says so).
    'generator_num_active_fraction:avg_by_deployment': Gauge('fireworks.generator.active_fraction', combine=AVG),
    # Undocumented, seen in public client code beside the per-second rates but named a gauge: whether it is
    # generated tokens per second or tokens being generated is not known, so it is not tokens.output.rate.
    'tokens_generated_gauge:sum_by_deployment': Gauge('fireworks.tokens.generated_gauge', combine=SUM),
    # Latency histograms: per-second bucket rates with an `le` label, in milliseconds.
    'latency_to_first_token_ms_bucket:sum_by_deployment': Quantiles(
        'time_to_first_token.seconds', MS, ONE_MINUTE, 'fireworks.time_to_first_token.bucket'
    ),
    'latency_overall_ms_bucket:sum_by_deployment': Quantiles(
        'e2e_latency.seconds', MS, ONE_MINUTE, 'fireworks.e2e_latency.bucket'
    ),
    'latency_generation_queue_ms_bucket:sum_by_deployment': Quantiles(
        'queue_latency.seconds', MS, ONE_MINUTE, 'fireworks.queue_latency.bucket'
    ),
    'latency_generation_per_token_ms_bucket:sum_by_deployment': Quantiles(
        'time_per_output_token.seconds', MS, ONE_MINUTE, 'fireworks.time_per_output_token.bucket'
    ),
    'latency_prefill_ms_bucket:sum_by_deployment': Quantiles(
        'prefill_latency.seconds', MS, ONE_MINUTE, 'fireworks.prefill_latency.bucket'
    ),
    'latency_prefill_queue_ms_bucket:sum_by_deployment': Quantiles(
        'prefill_queue_latency.seconds', MS, ONE_MINUTE, 'fireworks.prefill_queue_latency.bucket'
    ),
    # Token distributions per request.
    'tokens_generated_per_request_bucket:sum_by_deployment': Quantiles(
        'request.output_tokens', 1.0, ONE_MINUTE, 'fireworks.request.output_tokens.bucket'
    ),
    'tokens_prompt_per_request_bucket:sum_by_deployment': Quantiles(
        'request.input_tokens', 1.0, ONE_MINUTE, 'fireworks.request.input_tokens.bucket'
    ),
}

_DEPLOYMENT_PATH = re.compile(r'^accounts/([^/]+)/deployments/([^/]+)$')


def _from_deployment_path(labels):
    """The full `deployment` path "accounts/<account>/deployments/<id>" (the docs) fills in `deployment_id`
    and `deployment_account` where a payload leaves them out (rank 1: a variant); where it agrees with them it
    adds nothing and is dropped. A path that says something else is kept (as `label_deployment`)."""
    path = labels.get('deployment')
    if path is None:
        return labels, 0
    match = _DEPLOYMENT_PATH.match(path)
    if match is None:
        return labels, 0
    account, deployment_id = match.groups()
    rank = 0
    if 'deployment_id' not in labels or 'deployment_account' not in labels:
        labels = dict(labels)
        rank = 1
        labels.setdefault('deployment_id', deployment_id)
        labels.setdefault('deployment_account', account)
    if labels['deployment_id'] == deployment_id and labels['deployment_account'] == account:
        labels = {k: v for k, v in labels.items() if k != 'deployment'}
    return labels, rank


# "All metrics include the following common labels: base_model, deployment, deployment_account, deployment_id".
# Live payloads seen in public client code label errors `code`, not the documented `http_code`.
LABELS = LabelMap(
    {
        'base_model': 'model',
        'deployment_id': 'deployment',
        'deployment_account': 'account',
        'http_code': 'status_code',
        'code': 'status_code',
    },
    derive=_from_deployment_path,
)

class FireworksCheck(ScrapeCheck):
    PROVIDER = 'fireworks'
    REQUIRED_OPTIONS = ('api_key', 'account_id')
    IDENTITY_TAGS = {'account_id': 'account'}
    # "All metrics include ... deployment_account" (or the `deployment` path it is read from: _from_deployment_path).
    REPLY_IDENTITY = {'account_id': 'deployment_account'}
    DEFAULT_URL = DEFAULT_URL
    # The docs: "Maximum of 6 requests per minute per account".
    DEFAULT_REQUESTS_PER_MINUTE = 6
    BUDGET_SCOPE = 'account_id'
    # "Llama 4 Maverick Instruct (Basic)" (https://fireworks.ai/models/fireworks/llama4-maverick-instruct-basic, read
    # 2026-11-24) is Meta's Llama-4-Maverick-17B-128E-Instruct; the Scout one likewise.
    NICKNAMES = {
        'llama4-maverick-instruct-basic': 'llama-4-maverick-17b-128e-instruct',
        'llama4-scout-instruct-basic': 'llama-4-scout-17b-16e-instruct',
    }
    # Prompt tokens (cached ones included) and cached prompt tokens a second; no output tokens are reported.
    # Dedicated deployments are billed per replica-hour.
    SPEND = Spend(input='tokens.input.rate', cached_input='tokens.cached_input.rate', replicas='fireworks.replicas')
    HTTP_HINTS = {
        404: 'no metrics at this URL: check `account_id` (the account id from `accounts/<id>`, not a display name) '
        'or `api_url`.',
    }
    NO_DATA_HINT = (
        'no deployment of this account reports metrics '
        '(check `account_id`, and that it has running dedicated deployments)'
    )
    METRIC_MAP = METRIC_MAP
    LABELS = LABELS

    # Its name in prose and the window of its quantiles (assets/build.py; its dashboard: assets/layouts/fireworks.py)
    TITLE = 'Fireworks AI'
    # It reports errors (`errors.rate`): the assets' error shares count only such providers' requests.
    REPORTS_ERRORS = True
    WINDOWS = '1 m'
