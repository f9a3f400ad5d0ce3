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
from .histogram import bucket_quantile
from .provider import ProviderMixin


class ProviderScraper(OpenMetricsScraper):
    """The base scraper with our bearer header; the check reads ``parse_metrics()`` itself."""

    def __init__(self, check, config):
        super().__init__(check, config)
        if check.api_key:
            self.http.options['headers']['Authorization'] = 'Bearer {}'.format(check.api_key)


class ScrapeCheck(ProviderMixin, OpenMetricsBaseCheckV2):
    __NAMESPACE__ = NAMESPACE
    # Explicit maps only; no limit that would silently drop catalog series.
    DEFAULT_METRIC_LIMIT = 0

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
        try:
            families = list(scraper.parse_metrics())
        except Exception as e:
            raise self.request_failure(e, self.url) from None
        self.note_request('ok')
        self.submit_points(self.map_families(families))

    # --- mapping ----------------------------------------------------------------------------------------------

    def map_families(self, families):
        """(name, value, tags) for every catalog series in the parsed families; nothing is submitted here."""
        points = []
        buckets = defaultdict(lambda: defaultdict(list))
        sums = defaultdict(float)
        for family in families:
            for sample in family.samples:
                specs = self.SERIES.get(sample.name)
                if specs is None:
                    continue
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
