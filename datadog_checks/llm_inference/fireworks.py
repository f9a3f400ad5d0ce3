# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Fireworks AI: scrape ``/v1/accounts/<account_id>/metrics`` (fireworks.txt)."""

from urllib.parse import quote

from . import budget
from .catalog import Gauge, Labels, Quantiles
from .scrape import ScrapeCheck

DEFAULT_URL = 'https://api.fireworks.ai/v1/accounts/{account_id}/metrics'

# fireworks.txt: "These metrics show activity rates calculated using 1-minute windows" and the histograms are
# "calculated using 1-minute windows".
ONE_MINUTE = ('window:1m',)
MS = 0.001  # *_ms buckets -> seconds

SERIES = {
    # Rate metrics (per second)
    'request_counter_total:sum_by_deployment': Gauge('requests.rate', tags=ONE_MINUTE),
    # "Error rate per deployment, broken down by HTTP status code (includes additional http_code label)"
    'requests_error_total:sum_by_deployment': Gauge('errors.rate', tags=ONE_MINUTE),
    'tokens_cached_prompt_total:sum_by_deployment': Gauge('tokens.cached_input.rate', tags=ONE_MINUTE),
    'tokens_prompt_total:sum_by_deployment': Gauge('tokens.input.rate', tags=ONE_MINUTE),
    # Resource utilization: "gauge metrics show average resource usage"
    'generator_kv_blocks_fraction:avg_by_deployment': Gauge('kv_cache.usage'),
    'generator_kv_slots_fraction:avg_by_deployment': Gauge('fireworks.kv_slots.usage'),
    # The docs give no unit for these two: submitted as the provider reports them.
    'generator_model_forward_time:avg_by_deployment': Gauge('fireworks.model_forward_time'),
    'prefiller_prompt_cache_ttl:avg_by_deployment': Gauge('fireworks.prompt_cache.ttl'),
    'requests_coordinator_concurrent_count:avg_by_deployment': Gauge('requests.running'),
    # Undocumented, seen in public client code: deployment_replicas{deployment_account,deployment_id}.
    'deployment_replicas': Gauge('fireworks.replicas'),
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

# "All metrics include the following common labels: base_model, deployment, deployment_account, deployment_id".
# `deployment` is the full path "accounts/<account>/deployments/<id>": the same as account + deployment_id, so
# it is dropped rather than doubling the tag set.
LABELS = Labels(
    {
        'base_model': 'model',
        'deployment_id': 'deployment',
        'deployment_account': 'account',
        'http_code': 'status_code',
    }
)


class FireworksCheck(ScrapeCheck):
    PROVIDER = 'fireworks'
    REQUIRED_OPTIONS = ('api_key', 'account_id')
    # fireworks.txt: "Maximum of 6 requests per minute per account".
    DEFAULT_REQUESTS_PER_MINUTE = 6
    IDENTITY_TAGS = {'account_id': 'account'}
    NO_DATA_HINT = (
        'no deployment of this account reports metrics '
        '(check `account_id`, and that it has running dedicated deployments)'
    )
    SERIES = SERIES
    LABELS = LABELS

    def metrics_url(self):
        return self.instance.get('api_url') or DEFAULT_URL.format(
            account_id=quote(self.instance['account_id'], safe='')
        )

    def budget_credential(self):
        # The Fireworks budget is per account, whatever key is used.
        account = self.instance['account_id']
        return budget.credential_id('fireworks', 'account', account), 'Fireworks account {}'.format(account)
