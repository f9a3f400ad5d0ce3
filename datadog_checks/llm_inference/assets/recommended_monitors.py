# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The recommended monitors, as data. Shared by all providers, so they name none: `$name` placeholders in the
title, description, query and message are filled in by build.py from the providers' declarations:

- `$identity_by`: `provider` and every provider's identity tags, comma-separated (a metric query's `by {...}`);
- `$identity_check_by`: the same, quoted (a service check query's `.by(...)`);
- `$identity_names`: `{{<tag>.name}}` of every identity tag (a provider's instance has one of them);
- `$identity_options`: the options that set them, e.g. "`account_id` or `endpoint`";
- `$budgets`: the request budgets the providers document, e.g. "Acme: 6 requests a minute";
- `$error_scope`: a filter on the providers that report errors (`provider IN (a, b)`), `$error_titles` their names.

`$$` is a literal `$`.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Monitor:
    id: str  # the file name under assets/monitors/, without `.json`
    listed_as: str  # its name in manifest.json
    title: str
    description: str
    query: str
    message: str
    thresholds: dict
    kind: str = 'query alert'
    options: dict = field(default_factory=dict)


MONITORS = (
    Monitor(
        id='can_connect',
        listed_as='Provider unreachable',
        title='LLM inference provider unreachable or refusing the key',
        description='Three consecutive CRITICAL runs (three minutes at the default interval): one failed run is often '
        'a provider blip, three are a wrong key, $identity_options, or an outage.',
        query='"llm_inference.can_connect".over("*").by($identity_check_by).last(4).count_by_status()',
        message='{{#is_alert}}The llm_inference check cannot collect from {{provider.name}} ($identity_names): '
        '{{check_message}}\n\nThe message above says what to fix for this provider. 401 = the key is wrong or '
        'revoked; 403 = the key may not read these metrics; 404 = a wrong $identity_options (or `api_url`); 5xx or '
        'timeouts = the provider\'s status page.{{/is_alert}}',
        thresholds={'critical': 3, 'warning': 1, 'ok': 1},
        kind='service check',
        options={'notify_no_data': False, 'renotify_interval': 0},
    ),
    Monitor(
        id='rate_limited',
        listed_as='Rate-limited for several minutes',
        title='LLM inference metrics rate-limited for several minutes',
        description='Five skipped runs in 10 minutes: a provider\'s request budget ($budgets) is shared, so a single '
        '429 is normal after a restart, but half the runs skipped means instances or other clients compete for it.',
        query='sum(last_10m):sum:llm_inference.integration.runs_skipped{*} by {$identity_by}.as_count() >= 5',
        message='The llm_inference check skipped {{value}} runs in 10 minutes for {{provider.name}} $identity_names: '
        'its request budget or a 429 cooldown. Look for other instances (or Agents, or Grafana) using the same key '
        'or account; run the instances as cluster checks; keep `min_collection_interval` at 60.',
        thresholds={'critical': 5, 'warning': 3},
        options={'notify_no_data': False},
    ),
    Monitor(
        id='error_share',
        listed_as='Error share high',
        title='LLM inference error share high for a model (of the providers that report errors: $error_titles)',
        description='More than 5% of requests failing for 15 minutes (warning at 2%): above the background of client '
        'errors that every API sees, low enough to page before users open tickets. Only the providers that report '
        'errors ($error_titles) are watched: the others\' requests carry no error data.',
        query='avg(last_15m):sum:llm_inference.errors.rate{$error_scope} by {provider,model} / '
        'sum:llm_inference.requests.rate{$error_scope} by {provider,model} > 0.05',
        message='{{provider.name}} is failing {{value}} of requests to {{model.name}}. Check `status_code` on the '
        'overview: 429 = your own rate limits at the provider; 5xx = the provider (check its status page, shift '
        'traffic to another provider); 400 = a client change.',
        thresholds={'critical': 0.05, 'warning': 0.02},
        options={'notify_no_data': False},
    ),
    Monitor(
        id='ttft_p99',
        listed_as='Time to first token p99 high',
        title='LLM inference time to first token p99 high on the worst deployment or tier of a model',
        description='p99 time to first token above 5 s for 15 minutes (warning at 2 s) on any deployment, endpoint or '
        'tier of a model: interactive users notice beyond a couple of seconds. The worst of them (`max`), since '
        'averaging percentiles would hide the one that breaches. Tune per model with the `model` tag if some of yours '
        'are batch workloads.',
        query='avg(last_15m):max:llm_inference.time_to_first_token.seconds{quantile:0.99} by {provider,model} > 5',
        message='p99 time to first token is {{value}} s on the worst deployment or tier of {{model.name}} on '
        '{{provider.name}}. Find it on the provider\'s dashboard; check queue latency '
        'and KV-cache usage on the overview (capacity), the prompt cache hit ratio (longer prefills), and the same '
        'model on other providers.',
        thresholds={'critical': 5, 'warning': 2},
        options={'notify_no_data': False},
    ),
    Monitor(
        id='kv_cache',
        listed_as='KV cache nearly full',
        title='LLM inference KV cache nearly full',
        description='KV-cache usage above 0.95 for 10 minutes: past this point the engine evicts or queues requests '
        'and time to first token climbs; 0.9 warns while there is still time to scale.',
        query='avg(last_10m):max:llm_inference.kv_cache.usage{*} by {provider,deployment} > 0.95',
        message='KV-cache usage is {{value}} on {{provider.name}} {{deployment.name}}. Add replicas or shift traffic; '
        'check whether prompt lengths grew (request.input_tokens).',
        thresholds={'critical': 0.95, 'warning': 0.9},
        options={'notify_no_data': False},
    ),
    Monitor(
        id='queue_growing',
        listed_as='Queue growing',
        title='LLM inference queue growing',
        description='The queued requests of a deployment grew by more than 20 in 10 minutes (warning 10): a queue '
        'that keeps growing means arrivals exceed capacity, whatever its absolute level.',
        query='change(avg(last_10m),last_10m):sum:llm_inference.requests.queued{*} by {provider,deployment} > 20',
        message='The queue of {{provider.name}} {{deployment.name}} grew by {{value}} requests in 10 minutes. Check '
        'KV-cache usage and running requests; add capacity or shed load.',
        thresholds={'critical': 20, 'warning': 10},
        options={'notify_no_data': False},
    ),
    Monitor(
        id='stopped_reporting',
        listed_as='Deployment stopped reporting',
        title='LLM inference deployment stopped reporting',
        description='No request rate from a deployment for 20 minutes while it used to report: the deployment was '
        'deleted or scaled to zero, or its metrics stopped (a provider may drop the series of a worker that has '
        'been silent for minutes).',
        query='avg(last_10m):sum:llm_inference.requests.rate{*} by {provider,deployment} < 0',
        message='{{provider.name}} deployment {{deployment.name}} stopped reporting metrics. If it was not removed on '
        'purpose, check the provider console and the `can_connect` service check of its instance.',
        thresholds={'critical': 0},
        options={'notify_no_data': True, 'no_data_timeframe': 20},
    ),
    Monitor(
        id='spend_high',
        listed_as='Spend above budget',
        title='LLM inference spend above budget',
        description='An hour\'s average spend on a provider above $$100 an hour (warning $$75), at the prices in your '
        '`pricing` options. The thresholds are examples: set them to your budget. Grouped by `basis`, since an '
        'instance may be priced more than one way.',
        query='avg(last_1h):sum:llm_inference.cost.hourly{*} by {provider,basis} > 100',
        message='Spend on {{provider.name}} ({{basis.name}} pricing) is $${{value}} an hour. Look at the overview\'s Spend '
        'group: idle replicas (billed, no traffic), a model moved to a costlier provider, or traffic that grew; the '
        '"Same model, every provider" group shows where the same model costs less per million tokens.',
        thresholds={'critical': 100, 'warning': 75},
        options={'notify_no_data': False},
    ),
)
