# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The scrape providers' shared check: fetch and parse the whole exposition text, then map it to the catalog.

The whole reply is parsed before anything is submitted, so a reply that fails half-way (cut off, malformed)
submits nothing rather than a partial set of values.
"""

from datadog_checks.base import OpenMetricsBaseCheckV2
from datadog_checks.base.checks.openmetrics.v2.scraper import OpenMetricsScraper

from .specs import NAMESPACE, Quantiles
from .drift import RunReport, no_points_message
from .errors import NoData
from .exposition import number, parse_labels, parse_lines, split_le
from .transport import read_capped
from .labels import LabelMap, LabelReader
from .mapping import Mapper
from .provider import ProviderMixin


class ProviderScraper(OpenMetricsScraper):
    """The base scraper's HTTP client and options, through the check's transport (budget, deadline, redirects, the key's
    `Authorization` header), with a size cap and strict decoding."""

    def __init__(self, check, config):
        super().__init__(check, config)
        self.client = check.use_http(self.http)
        self.max_bytes = check.max_response_bytes

    def read(self):
        """The reply's sample lines: fetched within the size cap, decoded as UTF-8 and parsed whole. What goes wrong
        raises; ProviderMixin.send says what it means."""
        with self.client.get(self.endpoint) as response:
            self.check.raise_for_status(response)
            # No name kept for the bytes: they are freed once decoded, before the text is parsed.
            text = read_capped(response, self.max_bytes).decode('utf-8')
        return parse_lines(text)


class ScrapeCheck(ProviderMixin, OpenMetricsBaseCheckV2):
    __NAMESPACE__ = NAMESPACE
    # Explicit maps only; no limit that would silently drop catalog series.
    DEFAULT_METRIC_LIMIT = 0

    # raw metric name -> Gauge or Quantiles (specs.py), or a tuple of them; filled by each provider module.
    METRIC_MAP = {}
    LABELS = LabelMap()

    def __init__(self, name, init_config, instances):
        super().__init__(name, init_config, instances)
        self.setup_provider()
        # raw name -> (the Quantiles spec of a bucket family or None, the other specs)
        self.series_by_name = {}
        for raw, specs in self.METRIC_MAP.items():
            specs = specs if isinstance(specs, tuple) else (specs,)
            buckets = [spec for spec in specs if isinstance(spec, Quantiles)]
            self.series_by_name[raw] = (buckets[0] if buckets else None, tuple(s for s in specs if s not in buckets))
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

    def create_scraper(self, config):
        return ProviderScraper(self, self.get_config_with_defaults(config))

    def check(self, _):
        scraper = self.scrapers[self.url]
        self.run_collection(lambda: self.scrape_once(scraper))

    def scrape_once(self, scraper):
        """One request; everything is parsed and mapped before the first value is submitted."""
        points = self.send(self.url, lambda: self.map_samples(scraper.read()))
        self.drift.submit(self.run_report)
        if not points:
            # Names changed, values unusable, or nothing there at all.
            message = no_points_message(self.run_report)
            raise NoData(
                message or 'the reply holds no metrics of the catalog: {}.'.format(self.NO_DATA_HINT), self.url
            )
        self.submit_points(points, deduplicated=True)

    # --- mapping ----------------------------------------------------------------------------------------------

    def map_samples(self, lines):
        """(name, value, tags) for every catalog series among the parsed lines; nothing is submitted here.

        Each distinct label text is parsed and turned into a context (its tags) once: a deployment's labels repeat
        across every family, and its bucket series differ only in `le`. Label sets, not label texts, identify a
        series: the same labels written in another order are the same series. What the reply holds that the check
        cannot use is recorded in `self.run_report`.
        """
        report = self.run_report = RunReport()
        mapper = Mapper(self.mapping, report, self.drift)
        reader = LabelReader(self.LABELS, self.base_tags, self.mapping.exclude, self.canonical)
        buckets = {}  # (spec, label text without `le`) -> [(bound, value)]
        # spec -> {context: value}, filled here rather than by mapper.add: a call per sample costs, and a context
        # alone as the key (its own rank, no extra tags) keeps the objects of a run few.
        gauges = mapper.gauges
        duplicates, not_finite = 0, 0
        unmapped = report.unmapped_names
        of_text, by_text = reader.of_text, reader.by_text
        series = self.series_by_name
        bounds = {}  # `le` text -> float: a reply uses a few bounds thousands of times
        for name, labels, text in lines:
            entry = series.get(name)
            if entry is None:
                unmapped[name] = unmapped.get(name, 0) + 1
                continue
            try:
                value = float(text)
            except ValueError:
                value = number(text)  # raises the error that quotes it
            quantiles, specs = entry
            if quantiles is not None:
                if value - value:
                    not_finite += 1  # a NaN bucket: the histogram is read without that bound
                    continue
                # A bucket series. Inline fast path of split_le() for the usual `...,le="0.5"` ending.
                at = labels.rfind(',le="')
                if at != -1 and labels[-1] == '"' and '"' not in labels[at + 5 : -1]:
                    le, rest = labels[at + 5 : -1], labels[:at]
                else:
                    le, rest = split_le(labels)
                bound = bounds.get(le)
                if bound is None:
                    bound = bounds[le] = _bucket_bound(le)
                if bound is _NO_BOUND:  # no `le`, or not a number: a series the check cannot place
                    unmapped[name] = unmapped.get(name, 0) + 1
                elif bound != bound:
                    not_finite += 1  # le="NaN": read without that bound, as a NaN bucket
                else:
                    group = (quantiles, rest)
                    rows = buckets.get(group)
                    if rows is None:
                        rows = buckets[group] = []
                    rows.append((bound, value))
                continue
            context = by_text.get(labels)
            if context is None:
                context = of_text(labels, parse_labels)
            # A series repeated in one reply (its labels in any order) is counted once (the first), as Prometheus
            # keeps the first sample of a duplicated series: summing would double rates. Each raw name feeds specs
            # of its own, so its first spec's members tell.
            members = gauges.get(specs[0])
            if members is None:
                for spec in specs:
                    gauges[spec] = {}
                members = gauges[specs[0]]
            elif context in members:
                duplicates += 1
                continue
            for spec in specs:
                gauges[spec][context] = value
            report.members += 1
        if duplicates:
            self.log.warning('%s: %d duplicated series in the reply were ignored', self.PROVIDER, duplicates)
        if not_finite:
            mapper.not_finite(not_finite)
        # Bucket series whose label texts differ only in order are one series: their rows are joined, and the
        # first of a repeated bound counts (see Mapper._histogram_points).
        histograms = mapper.histograms
        for (spec, rest), rows in buckets.items():
            context = of_text(rest, parse_labels)
            members = histograms.get(spec)
            if members is None:
                members = histograms[spec] = {}
            known = members.get(context)
            if known is None:
                members[context] = rows
                report.members += 1
            else:
                known.extend(rows)
        return mapper.points()


_NO_BOUND = object()  # a bucket's `le` missing or not a number (cached per `le` text like a bound)


def _bucket_bound(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return _NO_BOUND
