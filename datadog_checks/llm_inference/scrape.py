# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The scrape providers' shared check: an OpenMetricsBaseCheckV2 whose own `check()` drives ProviderScraper, a
subclass of the base's OpenMetricsScraper.

A run is fetch -> samples -> mapping -> submissions: the reply is parsed and mapped as it is read, in chunks
(exposition.parse_chunks, scrape_mapping.py), and nothing is submitted until all of it was read and mapped, so a
reply that fails half-way (cut off, malformed) submits nothing rather than a partial set of values.
"""

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

from datadog_checks.base import OpenMetricsBaseCheckV2
from datadog_checks.base.checks.openmetrics.v2.scraper import OpenMetricsScraper

from .cumulative import CumulativeState
from .drift import no_points_message
from .errors import NoData
from .exposition import number, parse_chunks, parse_labels
from .labels import LabelMap
from .provider import ProviderMixin
from .scrape_mapping import ScrapeMapping
from .staleness import StaleData, Staleness
from .specs import NAMESPACE, Quantiles
from .transport import iter_capped


class ProviderScraper(OpenMetricsScraper):
    """The base scraper (its HTTP client and options, its transformers for `extra_metrics`) with what the generic
    path cannot do: the catalog's mapping, all or nothing, within the budget, the run's deadline and a size cap,
    reported by our own service check (the base's health check is off)."""

    def __init__(self, check, config):
        super().__init__(check, config)
        self.client = check.use_http(self.http)
        self.max_bytes = check.max_response_bytes

    def scrape(self):
        """One run, as OpenMetricsBaseCheckV2.check() asks for it."""
        check = self.check
        with check.run_collection() as run:
            run.start()
            with check.send(self.endpoint):
                points, report, extra = self.read()
            check.drift.submit(report)
            if not points and not report.first_scrape:
                # Names changed, values unusable, or nothing there at all.
                message = ' '.join(filter(None, [*report.warnings, no_points_message(report)]))
                raise NoData(
                    message or 'the reply holds no metrics of the catalog: {}.'.format(check.NO_DATA_HINT),
                    self.endpoint,
                )
            run.series = check.submit_points(points, report, deduplicated=True) + self.submit_extra(extra)
            run.warnings.extend(report.warnings)
            if report.stale:
                run.warning = StaleData(report.stale, self.endpoint)  # submitted what is fresh; WARNING

    def read(self):
        """(catalog points, the run's report, the `extra_metrics` samples) of one request, its reply fetched within
        the size cap, decoded as UTF-8, parsed and mapped chunk by chunk. What goes wrong raises;
        ProviderMixin.send says what it means."""
        mapping = ScrapeMapping(self.check, self.is_extra if self.wants_extra else None)
        stamps = Staleness(self.check.config.max_sample_age)
        with self.client.get(self.endpoint) as response:
            self.check.raise_for_status(response)
            for lines in parse_chunks(iter_capped(response, self.max_bytes), stamps):
                mapping.feed(lines)
            # Inside the request: the bucket series' labels are parsed here, and a malformed one is the reply's fault.
            points = mapping.finish()
        if stamps.stale:
            mapping.report.drop('stale', stamps.stale)
            mapping.report.stale = stamps.message()
        return points, mapping.report, mapping.extra_samples

    # --- extra_metrics: the base's own option and transformers ------------------------------------------------

    @property
    def wants_extra(self):
        transformer = self.metric_transformer
        return bool(transformer.transformer_data or transformer.metric_patterns)

    def is_extra(self, name):
        """Whether `extra_metrics` (or `metrics`) names this raw series, as the base's MetricTransformer reads it."""
        transformer = self.metric_transformer
        return name in transformer.transformer_data or any(p.search(name) for p, _ in transformer.metric_patterns)

    def submit_extra(self, samples):
        """The raw series `extra_metrics` collects, through the base's transformers (its naming, types and label
        options such as `rename_labels`), under `llm_inference.`; they carry the instance's tags. Returns how many
        samples were offered. Our replies declare no types the parser keeps: a family is a gauge unless the option
        gives it a `type`."""
        runtime_data = {'flush_first_value': bool(self.flush_first_value), 'static_tags': self.static_tags}
        for name, rows in samples.items():
            metric = Metric(name, '', 'gauge')
            metric.samples = [
                Sample(name, parse_labels(labels) if labels else {}, number(value), None) for labels, value in rows
            ]
            transformer = self.metric_transformer.get(metric)
            if transformer is not None:
                transformer(metric, self.generate_sample_data(metric), runtime_data)
        self.flush_first_value = True
        return sum(len(rows) for rows in samples.values())


class ScrapeCheck(ProviderMixin, OpenMetricsBaseCheckV2):
    __NAMESPACE__ = NAMESPACE
    # Explicit maps only; no limit that would silently drop catalog series.
    DEFAULT_METRIC_LIMIT = 0

    # raw metric name -> Gauge or Quantiles (specs.py), or a tuple of them; filled by each provider module.
    METRIC_MAP = {}
    LABELS = LabelMap()
    # Raw names the provider documents that the catalog deliberately leaves out (not reported as drift): the
    # `_sum` and `_count` of histograms whose quantiles come from their buckets.
    UNUSED = frozenset()

    def __init__(self, name, init_config, instances):
        super().__init__(name, init_config, instances)
        self.setup_provider()
        # raw name -> (the Quantiles spec of a bucket family or None, the other specs); a family that feeds several
        # Quantiles specs (each its `only` population) is read under the first, and shared out as it is mapped.
        self.series_by_name = {}
        self.bucket_specs = {}  # the first Quantiles spec of a raw name -> all of them
        for raw, specs in self.METRIC_MAP.items():
            specs = specs if isinstance(specs, tuple) else (specs,)
            buckets = [spec for spec in specs if isinstance(spec, Quantiles)]
            self.series_by_name[raw] = (buckets[0] if buckets else None, tuple(s for s in specs if s not in buckets))
            if buckets:
                self.bucket_specs[buckets[0]] = tuple(buckets)
        # Counters and cumulative histograms: the previous scrape's values, kept across runs (cumulative.py).
        specs = [s for entry in self.METRIC_MAP.values() for s in (entry if isinstance(entry, tuple) else (entry,))]
        self.cumulative = CumulativeState() if any(s.cumulative for s in specs) else None
        self.label_texts = {}  # the last run's label texts and their contexts, reused by the next (labels.py)
        config = dict(
            self.instance,
            openmetrics_endpoint=self.url,
            # Our own service check replaces the base's; our identity tags replace its `endpoint` tag.
            enable_health_service_check=False,
            tag_by_endpoint=False,
            tags=list(self.base_tags),
        )
        # Ours aggregates labels away (`aggregate_labels`); the base's `exclude_labels` would drop them.
        config.pop('exclude_labels', None)
        self.scraper_configs = [config]

    def create_scraper(self, config):
        return ProviderScraper(self, self.get_config_with_defaults(config))

    def map_samples(self, lines):
        """The catalog points of parsed (name, label text, value text) samples (tests, benchmarks)."""
        mapping = ScrapeMapping(self)
        mapping.feed(lines)
        return mapping.finish()
