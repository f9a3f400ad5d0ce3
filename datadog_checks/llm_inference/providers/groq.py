# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Groq: MetricsQL on VictoriaMetrics at `https://api.groq.com/v1/metrics/prometheus`.

"The docs" below: Groq, "Prometheus Metrics", https://console.groq.com/docs/prometheus-metrics (read 2026-11-22),
summarized in docs/providers/groq.md with the older names public code shows.

The series names changed between doc versions and the spelling of `{percentile}` is not documented (p99? P99?
0.99?), so one selector asks for every recording-rule series (`name:with:colons`, as all of Groq's are) in one
request, and the names are read here: every spelling becomes `quantile:0.99`, and a name that none of the patterns
below reads is reported as drift instead of being ignored.
"""

import math
import re

from ..buckets import without_le
from ..specs import KEEP, SUM, Gauge, Quantiles, normalize_quantile
from ..labels import LabelMap
from ..list_prices import every_series
from ..promql_client import QUERY_PATH
from ..query import Query, QueryCheck

DEFAULT_URL = 'https://api.groq.com/v1/metrics/prometheus'

# The docs: e2e_latency_seconds, ttft_latency_seconds, queue_latency_seconds, tokens_in, tokens_out, each as
# `<family>:{percentile}:rate5m`, "broken out by model".
FAMILIES = {
    'e2e_latency_seconds': 'e2e_latency.seconds',
    'ttft_latency_seconds': 'time_to_first_token.seconds',
    'queue_latency_seconds': 'queue_latency.seconds',
    'tokens_in': 'request.input_tokens',
    'tokens_out': 'request.output_tokens',
}
_FAMILY = '(?:{})'.format('|'.join(FAMILIES))
SELECTOR = '{__name__=~".+:.+"}'

# requests:rate1m and requests:increase1m (the docs), model_project_id_status_code:requests:rate5m (older docs).
REQUESTS = re.compile(r'^(model_project_id_status_code:)?requests[:](rate|increase)(\d+)([smh])$')
PERCENTILE = re.compile(r'^({}):([^:]+):rate(\d+[smh])$'.format(_FAMILY))
# model_project_id:tokens_in:rate5m / tokens_out (public code): tokens per second.
TOKEN_RATES = re.compile(r'^(?:model_project_id:)?tokens_(in|out):rate(\d+[smh])$')
# le_model_project_id:<family>_bucket:rate5m (older docs) and model_project_id:<family>_bucket:rate5m.
BUCKETS = re.compile(r'^(le_)?model_project_id:({})_bucket:rate(\d+[smh])$'.format(_FAMILY))
SECONDS = {'s': 1, 'm': 60, 'h': 3600}
# The newer page (groq-versions.md (b), "All metrics are broken out by model and project id ... provided as rate5m"):
# model_project_id:prompt_cache_hits:rate5m and model_project_id:prompt_cache_misses:rate5m, hits and misses a
# second. Their ratio hits / (hits + misses), per model and project, is the prompt cache hit ratio.
PROMPT_CACHE = re.compile(r'^(?:model_project_id:)?prompt_cache_(hits|misses):rate(\d+[smh])$')

# A status code whose series VictoriaMetrics stopped returning (a NaN is no sample to it) while the model's other
# codes go on: seen within 15 minutes, missing now, it makes the model's total a partial sum. The request series of
# the last 15 minutes come in the same query, marked with RECENT. (For its first 5 minutes VictoriaMetrics still
# answers the last value it had, a stale member rather than a missing one.)
RECENT = 'llm_inference_recent'
PRESENCE = 'label_replace(present_over_time({{__name__=~"{}"}}[15m]) keep_metric_names, "{}", "1", "", "")'.format(
    '(model_project_id_status_code:)?requests[:](rate|increase)[0-9]+[smh]', RECENT
)
QUERY = '{} or {}'.format(SELECTOR, PRESENCE)

LABELS = LabelMap({'model': 'model', 'project_id': 'project_id', 'status_code': 'status_code'})

# Label policy: request and token rates SUM over a removed label (requests.rate always over status codes); the
# percentile gauges cannot be combined (KEEP); bucket rates sum before the quantile.
REQUESTS_RATE = Gauge('requests.rate', combine=SUM, without=('status_code',))
ERRORS_RATE = Gauge('errors.rate', combine=SUM)
TOKEN_SPECS = {'in': Gauge('tokens.input.rate', combine=SUM), 'out': Gauge('tokens.output.rate', combine=SUM)}
PERCENTILE_SPECS = {family: Gauge(name, combine=KEEP) for family, name in FAMILIES.items()}
BUCKET_SPECS = {family: Quantiles(name) for family, name in FAMILIES.items()}
PROMPT_CACHE_RATIO = Gauge('prompt_cache.hit_ratio', combine=KEEP)  # a ratio: its parts cannot be combined


def _is_error(status_code):
    return not status_code.startswith('2')


def _identity(labels):
    return frozenset((k, v) for k, v in labels.items() if k != '__name__')


def _request_window(match):
    """(window tag, its seconds, rank) of a REQUESTS name: an `increase` (rank 1) counts the requests in the window."""
    _, kind, count, unit = match.groups()
    return ('window:{}{}'.format(count, unit),), int(count) * SECONDS[unit], int(kind == 'increase')


def read(samples, reading):
    """Feed the discovered series to the mapper; current names win over older ones for the same signal."""
    report, mapper = reading.report, reading.mapper
    reader = reading.reader(LABELS)
    requests, percentiles, buckets, presence = [], [], [], []
    cache = {}  # (window, series identity) -> {'hits' or 'misses': (labels, value)}
    for labels, value in samples:
        if labels.pop(RECENT, None) is not None:
            presence.append(labels)
            continue
        name = labels.get('__name__', '')
        match = REQUESTS.match(name)
        if match:
            requests.append((match, labels, value))
            continue
        match = PERCENTILE.match(name)
        if match and normalize_quantile(match.group(2)) is not None:
            percentiles.append((match, labels, value))
            continue
        match = TOKEN_RATES.match(name)
        if match:
            spec, window = TOKEN_SPECS[match.group(1)], 'window:' + match.group(2)
            mapper.add(spec, reader.context(labels), value, extra=(window,))
            continue
        match = BUCKETS.match(name)
        if match:
            buckets.append((match, labels, value))
            continue
        match = PROMPT_CACHE.match(name)
        if match:
            cache.setdefault((match.group(2), _identity(labels)), {})[match.group(1)] = value
            continue
        report.unmapped_name(name)
    _prompt_cache(cache, reader, mapper)

    if any(not match.group(1) for match, _, _ in requests):
        requests = [r for r in requests if not r[0].group(1)]
    used_names = {match.group(0) for match, _, _ in requests}
    current = set()
    for match, labels, value in requests:
        window, seconds, rank = _request_window(match)
        if rank:  # requests in the window: a rate once divided by its length
            value /= seconds
        context = reader.context(labels)
        current.add((match.group(0), _identity(labels)))
        mapper.add(REQUESTS_RATE, context, value, rank, window)
        status_code = labels.get('status_code')
        if status_code is not None and _is_error(status_code):
            mapper.add(ERRORS_RATE, context, value, rank, window)
    for labels in presence:
        name = labels.get('__name__', '')
        if name in used_names and (name, _identity(labels)) not in current:
            window, _, rank = _request_window(REQUESTS.match(name))
            mapper.add(REQUESTS_RATE, reader.context(labels), None, rank, window)

    seen_families = set()
    for match, labels, value in percentiles:
        family, spelling, window = match.groups()
        seen_families.add(family)
        extra = ('quantile:' + normalize_quantile(spelling), 'window:' + window)
        mapper.add(PERCENTILE_SPECS[family], reader.context(labels), value, extra=extra)

    # Buckets only for families no percentile series covers; grouped by series (labels without `le`).
    histograms = reading.buckets()
    for match, labels, value in buckets:
        prefix, family, window = match.groups()
        if family in seen_families:
            continue
        le, identity = without_le(labels)
        histograms.add((family, window, int(not prefix), identity), le, value, labels.get('__name__', ''))
    histograms.report_to(report, mapper)
    for (family, window, rank, identity), rows in histograms.groups.items():
        mapper.add_histogram(BUCKET_SPECS[family], reader.context(dict(identity)), rows, rank, ('window:' + window,))


def _prompt_cache(cache, reader, mapper):
    """hits / (hits + misses) of each model and project. Where both are 0 (no request in the window), one of them is
    missing, or one is not a number, there is no ratio: a member known to be missing (reported), never a 0."""
    for (window, identity), parts in cache.items():
        hits, misses = parts.get('hits'), parts.get('misses')
        ratio = None
        if hits is not None and misses is not None and math.isfinite(hits) and math.isfinite(misses):
            if hits >= 0 and misses >= 0 and hits + misses > 0:
                ratio = hits / (hits + misses)
        mapper.add(PROMPT_CACHE_RATIO, reader.context(dict(identity)), ratio, extra=('window:' + window,))


class GroqCheck(QueryCheck):
    # Billed per token at its public list price (https://groq.com/pricing).
    LIST_PRICED = staticmethod(every_series)
    LIST_PRICE_IDS = {'genai-prices': 'groq', 'litellm': 'groq'}
    PROVIDER = 'groq'
    API_PATH = QUERY_PATH  # the PromQL API's: its options (`queries`, `method`, `nocache`) are read
    DEFAULT_URL = DEFAULT_URL
    # Its model list (https://console.groq.com/docs/models, as public client docs quote it, read 2026-11-24):
    # `llama-3.3-70b-versatile` is Llama 3.3 70B (Instruct), `llama-3.1-8b-instant` Llama 3.1 8B (Instruct); the
    # retired `llama3-70b-8192`, `llama3-8b-8192` and `llama-3.1-70b-versatile` served the instruct models too.
    NICKNAMES = {
        'llama-3.3-70b-versatile': 'llama-3.3-70b-instruct',
        'llama-3.1-8b-instant': 'llama-3.1-8b-instruct',
        'llama-3.1-70b-versatile': 'llama-3.1-70b-instruct',
        'llama3-70b-8192': 'llama-3-70b-instruct',
        'llama3-8b-8192': 'llama-3-8b-instruct',
    }
    HTTP_HINTS = {
        # The docs: "This feature is only available to our Enterprise tier customers."
        403: 'Prometheus metrics are an Enterprise-tier feature. Use an API key of an Enterprise organization (or ask '
        'Groq to enable metrics for yours).',
        # A key of an organization without the feature may be answered 404 rather than 403.
        404: 'no metrics API for this key at this URL. Prometheus metrics are an Enterprise-tier feature: a key of '
        'an organization without it may get 404 rather than 403 (use an Enterprise organization\'s key, or ask Groq '
        'to enable metrics). Otherwise check `api_url` (default https://api.groq.com/v1/metrics/prometheus, under '
        'which `/api/v1/query` is served).',
    }

    def default_queries(self):
        return [Query(QUERY, read, 'groq catalog series')]

    # Its name in prose and the window of its quantiles (assets/build.py; its dashboard: assets/layouts/groq.py)
    TITLE = 'Groq'
    # It reports errors (`errors.rate`): the assets' error shares count only such providers' requests.
    REPORTS_ERRORS = True
    WINDOWS = '5 m'
