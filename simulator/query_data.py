"""Series for the query providers, under their own metric names, for VictoriaMetrics (Groq) and Prometheus (Crusoe).

Each model's signals are plain numbers kept here (`GROQ_MODELS`, `CRUSOE_MODELS`), so a test can work out what the
check must report from them, without going through the check's code.
"""

STEP = 60  # seconds between samples: Groq's recording rules and Crusoe's minimum resolution are per minute
MINUTES = 15
# Samples also run 20 minutes past "now" (gauges holding their latest value, counters growing on), so a query
# made any time in the next 20 minutes sees the same latest values and full rate windows.
AHEAD = 20
LATENCY_BOUNDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Groq: model -> request rate by status code, and per family a base value for the p50 (p95, p99 scale up).
GROQ_MODELS = {
    'llama-3.3-70b-versatile': {
        'rates': {'200': 41.5, '429': 2.25, '500': 0.5},
        'ttft': 0.21,
        'e2e': 1.9,
        'queue': 0.012,
        'tokens_in': 850.0,
        'tokens_out': 310.0,
    },
    'openai/gpt-oss-120b': {
        'rates': {'200': 17.0, '400': 0.75},
        'ttft': 0.33,
        'e2e': 3.1,
        'queue': 0.02,
        'tokens_in': 1400.0,
        'tokens_out': 620.0,
    },
    'qwen/qwen3-32b': {
        'rates': {'200': 5.5},
        'ttft': 0.15,
        'e2e': 1.2,
        'queue': 0.008,
        'tokens_in': 400.0,
        'tokens_out': 150.0,
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


def drift(minute):
    """A small deterministic wobble, so the latest sample differs from the earlier ones."""
    return 1.0 + 0.02 * ((minute * 7) % 5)


def groq_value(model, family_key, quantile, minute):
    return GROQ_MODELS[model][family_key] * PERCENTILE_SCALE[quantile] * drift(min(minute, MINUTES - 1))


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
    for minute in range(MINUTES + AHEAD):
        ts = now - 5 - (MINUTES - 1 - minute) * STEP
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
    for minute in range(MINUTES + AHEAD):
        ts = now - 5 - (MINUTES - 1 - minute) * STEP
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


# Crusoe: (model_name, service_tier) -> per-second rates of its counters, and the cumulative bucket shares of its
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
CRUSOE_HISTOGRAMS = {  # family -> cumulative shares over LATENCY_BOUNDS (tokens per request, as rates)
    'crusoe_inference_histogram_first_token_latency': (0.05, 0.25, 0.60, 0.85, 0.95, 0.99, 1.0, 1.0),
    'crusoe_inference_histogram_output_token_latency': (0.40, 0.90, 0.98, 1.0, 1.0, 1.0, 1.0, 1.0),
}
CRUSOE_TOKENS_PER_REQUEST = 300.0  # output-token latency observations per request


def crusoe_observation_rate(family, spec):
    per_request = CRUSOE_TOKENS_PER_REQUEST if 'output_token' in family else 1.0
    return spec['requests'] * per_request


def crusoe_samples(now, project_id='proj-1', other_project='proj-2'):
    """Counters and histogram buckets for `project_id`, plus a second project the check must filter out."""
    samples = []
    for minute in range(MINUTES + AHEAD):
        ts = now - 5 - (MINUTES - 1 - minute) * STEP
        elapsed = minute * STEP + 1000.0  # counters did not start at zero
        for project, factor in ((project_id, 1.0), (other_project, 100.0)):
            for (model, tier), spec in CRUSOE_MODELS.items():
                labels = {'project_id': project, 'model_name': model, 'service_tier': tier}
                for key, metric in CRUSOE_COUNTERS.items():
                    samples.append((metric, labels, spec[key] * factor * elapsed, ts))
                for family, shares in CRUSOE_HISTOGRAMS.items():
                    if project != project_id:
                        shares = (0.0,) * (len(LATENCY_BOUNDS) - 1) + (1.0,)  # would show if not filtered out
                    rate = crusoe_observation_rate(family, spec) * factor
                    for bound, share in list(zip(LATENCY_BOUNDS, shares)) + [('+Inf', 1.0)]:
                        bucket = dict(labels, le=str(bound))
                        samples.append((family + '_bucket', bucket, rate * share * elapsed, ts))
    return samples


# --- payload variants: what the docs leave open or older docs and public code show ----------------------------------

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


def _groq_timeline(now):
    for minute in range(MINUTES + AHEAD):
        yield minute, now - 5 - (MINUTES - 1 - minute) * STEP


def groq_variant_samples(now):
    samples = []
    llama = 'llama-3.3-70b-versatile'
    for minute, ts in _groq_timeline(now):
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


GROQ_RENAMED = {'inference_requests:rate1m': 3, 'inference_ttft_seconds:p99:rate5m': 1}  # name -> series


def groq_renamed_samples(now):
    """Every name changed (a made-up future version): nothing of the catalog, only other series."""
    samples = []
    for _, ts in _groq_timeline(now):
        for name, count in GROQ_RENAMED.items():
            for i in range(count):
                samples.append((name, {'model': 'm{}'.format(i)}, 1.0, ts))
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
    for minute, ts in _groq_timeline(now):
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
