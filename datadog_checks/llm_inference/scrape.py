# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The scrape providers' shared check: fetch and parse the whole exposition text, then map it to the catalog.

The whole reply is parsed before anything is submitted, so a reply that fails half-way (cut off, malformed)
submits nothing rather than a partial set of values.
"""
import math
from collections import defaultdict

from datadog_checks.base import ConfigurationError, OpenMetricsBaseCheckV2
from datadog_checks.base.checks.openmetrics.v2.scraper import OpenMetricsScraper

from .catalog import DEFAULT_QUANTILES, NAMESPACE, Labels, Quantiles, format_quantile
from .exposition import ExpositionError, parse_samples
from .errors import CollectionError, NoData, ReplyTooLarge, read_capped, redact_url
from .histogram import bucket_quantile
from .provider import ProviderMixin


class ProviderScraper(OpenMetricsScraper):
    """The base scraper's HTTP client and options, with our bearer header, a size cap and strict decoding."""

    def __init__(self, check, config):
        super().__init__(check, config)
        if check.api_key:
            self.http.options['headers']['Authorization'] = 'Bearer {}'.format(check.api_key)
        self.max_bytes = check.max_response_bytes

    def fetch_text(self):
        """The whole reply body as text; raises requests' errors, or CollectionError for a reply not to parse."""
        with self.http.get(self.endpoint, stream=True) as response:
            response.raise_for_status()
            body = read_capped(response, self.max_bytes)
        try:
            return body.decode('utf-8')
        except UnicodeDecodeError as e:
            raise Unreadable('the reply is not UTF-8 text (byte {} of {})'.format(e.start, len(body))) from None

    def parse_text(self, text):
        try:
            return parse_samples(text)
        except ExpositionError as e:
            raise Unreadable('malformed exposition text: {}'.format(e)) from None


class Unreadable(Exception):
    pass


class ScrapeCheck(ProviderMixin, OpenMetricsBaseCheckV2):
    __NAMESPACE__ = NAMESPACE
    # Explicit maps only; no limit that would silently drop catalog series.
    DEFAULT_METRIC_LIMIT = 0

    # What to check when a reply holds nothing to collect.
    NO_DATA_HINT = 'check `api_url`'
    # raw metric name -> Gauge or Quantiles (catalog.py), or a tuple of them; filled by each provider module.
    SERIES = {}
    LABELS = Labels()

    def __init__(self, name, init_config, instances):
        super().__init__(name, init_config, instances)
        self.setup_provider()
        self.url = self.metrics_url()
        quantiles = self.instance.get('quantiles', DEFAULT_QUANTILES)
        if not isinstance(quantiles, list | tuple) or not all(
            isinstance(q, int | float) and not isinstance(q, bool) and 0 <= q <= 1 for q in quantiles
        ):
            raise ConfigurationError('`quantiles` must be a list of numbers between 0 and 1, e.g. [0.5, 0.9, 0.99].')
        self.quantiles = [(q, format_quantile(q)) for q in quantiles]
        self.collect_raw_buckets = bool(self.instance.get('collect_raw_buckets', False))
        self.scraper_configs = [
            dict(
                self.instance,
                openmetrics_endpoint=self.url,
                # Our own service check and identity tags replace these.
                enable_health_service_check=False,
                tag_by_endpoint=False,
                tags=[],
            )
        ]

    def metrics_url(self):
        raise NotImplementedError

    def create_scraper(self, config):
        return ProviderScraper(self, self.get_config_with_defaults(config))

    def check(self, _):
        scraper = self.scrapers[self.url]
        self.run_collection(lambda: self.scrape_once(scraper))

    def scrape_once(self, scraper):
        """One request; everything is parsed and mapped before the first value is submitted."""
        where = redact_url(self.url)
        try:
            text = scraper.fetch_text()
        except ReplyTooLarge as e:
            self.note_request('invalid_reply')
            raise CollectionError('{}: {} URL: {}'.format(self.PROVIDER, e, where)) from None
        except Unreadable as e:
            self.note_request('invalid_reply')
            raise CollectionError('{}: {} from {}; nothing was submitted.'.format(self.PROVIDER, e, where)) from None
        except Exception as e:
            raise self.request_failure(e, self.url) from None
        try:
            samples = scraper.parse_text(text)
        except Unreadable as e:
            self.note_request('invalid_reply')
            raise CollectionError('{}: {} from {}; nothing was submitted.'.format(self.PROVIDER, e, where)) from None
        self.note_request('ok')
        points = self.map_samples(samples)
        if not points:
            raise NoData(
                '{}: the reply from {} holds no metrics of the catalog: {}.'.format(self.PROVIDER, where, self.NO_DATA_HINT)
            )
        self.submit_points(points)

    # --- mapping ----------------------------------------------------------------------------------------------

    def map_samples(self, samples):
        """(name, value, tags) for every catalog series among the parsed samples; nothing is submitted here."""
        points = []
        buckets = defaultdict(lambda: defaultdict(list))
        sums = defaultdict(float)
        seen, duplicates = set(), 0
        for sample in samples:
            specs = self.SERIES.get(sample.name)
            if specs is None:
                continue
            # A series repeated in one reply is counted once (the first), as Prometheus keeps the first
            # sample of a duplicated series: summing would double rates and bucket counts.
            key = (sample.name, tuple(sorted(sample.labels.items())))
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            value = sample.value
            if math.isnan(value) or math.isinf(value):
                # No value is better than an invented one; +Inf here is not a bucket bound.
                continue
            for spec in specs if isinstance(specs, tuple) else (specs,):
                if isinstance(spec, Quantiles):
                    bound = _bucket_bound(sample.labels.get('le'))
                    if bound is not None:
                        group = tuple(self.LABELS.tags(sample.labels, skip=('le',)))
                        buckets[spec][group].append((bound, value))
                elif spec.sum_without:
                    group = tuple(self.LABELS.tags(sample.labels, skip=spec.sum_without))
                    sums[(spec, group)] += value * spec.scale
                else:
                    tags = self.LABELS.tags(sample.labels) + list(spec.tags)
                    points.append((spec.name, value * spec.scale, tags))
        if duplicates:
            self.log.warning('%s: %d duplicated series in the reply were ignored', self.PROVIDER, duplicates)
        for (spec, group), value in sums.items():
            points.append((spec.name, value, list(group) + list(spec.tags)))
        for spec, groups in buckets.items():
            for group, series in groups.items():
                points.extend(self.quantile_points(spec, group, series))
        return points

    def quantile_points(self, spec, group, series):
        tags = list(group) + list(spec.tags)
        for q, label in self.quantiles:
            value = bucket_quantile(q, series)
            if value is None or math.isinf(value):
                continue
            yield spec.name, value * spec.scale, tags + ['quantile:{}'.format(label)]
        if self.collect_raw_buckets and spec.raw_buckets:
            for bound, value in series:
                upper = '+Inf' if math.isinf(bound) else '{:.10g}'.format(bound * spec.scale)
                yield spec.raw_buckets, value, tags + ['upper_bound:{}'.format(upper)]


def _bucket_bound(text):
    try:
        bound = float(text)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(bound) else bound
