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
from .exposition import CutOff, ExpositionError, number, parse_labels, parse_lines, split_le
from .errors import CollectionError, NoData, ReplyTooLarge, read_capped, redact_url
from .histogram import bucket_quantiles
from .provider import ProviderMixin


class ProviderScraper(OpenMetricsScraper):
    """The base scraper's HTTP client and options, with our bearer header, a size cap and strict decoding."""

    def __init__(self, check, config):
        super().__init__(check, config)
        # Every request through the check's budget and deadline (transport.py).
        self.http = check.transport.install(self.http)
        if check.api_key:
            self.http.options['headers']['Authorization'] = 'Bearer {}'.format(check.api_key)
        self.max_bytes = check.max_response_bytes

    def fetch_text(self):
        """The whole reply body as text; raises requests' errors, or CollectionError for a reply not to parse."""
        with self.http.get(self.endpoint, stream=True) as response:
            self.check.raise_for_status(response, self.endpoint)
            body = read_capped(response, self.max_bytes)
        try:
            return body.decode('utf-8')
        except UnicodeDecodeError as e:
            raise Unreadable('the reply is not UTF-8 text (byte {} of {})'.format(e.start, len(body))) from None

    def parse_text(self, text):
        try:
            return parse_lines(text)
        except CutOff:
            raise
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
        # raw name -> (the Quantiles spec of a bucket family or None, the other specs)
        self.series_by_name = {}
        for raw, specs in self.SERIES.items():
            specs = specs if isinstance(specs, tuple) else (specs,)
            buckets = [spec for spec in specs if isinstance(spec, Quantiles)]
            self.series_by_name[raw] = (buckets[0] if buckets else None, tuple(s for s in specs if s not in buckets))
        quantiles = self.instance.get('quantiles', DEFAULT_QUANTILES)
        if not isinstance(quantiles, list | tuple) or not all(
            isinstance(q, int | float) and not isinstance(q, bool) and 0 <= q <= 1 for q in quantiles
        ):
            raise ConfigurationError('`quantiles` must be a list of numbers between 0 and 1, e.g. [0.5, 0.9, 0.99].')
        self.quantiles = [(q, format_quantile(q)) for q in quantiles]
        self.quantile_values = [q for q, _ in self.quantiles]
        self.quantile_tags = [('quantile:' + label,) for _, label in self.quantiles]
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
            points = self.map_samples(scraper.parse_text(text))
        except CutOff:
            self.note_request('invalid_reply')
            raise CollectionError(
                '{}: the reply from {} was cut off before its end (its last line has no final newline); nothing '
                'from it was submitted.'.format(self.PROVIDER, where)
            ) from None
        except (Unreadable, ExpositionError) as e:
            self.note_request('invalid_reply')
            message = e if isinstance(e, Unreadable) else 'malformed exposition text: {}'.format(e)
            raise CollectionError(
                '{}: {} from {}; nothing was submitted.'.format(self.PROVIDER, message, where)
            ) from None
        self.note_request('ok')
        if not points:
            raise NoData(
                '{}: the reply from {} holds no metrics of the catalog: {}.'.format(
                    self.PROVIDER, where, self.NO_DATA_HINT
                )
            )
        self.submit_points(points, deduplicated=True)

    # --- mapping ----------------------------------------------------------------------------------------------

    def map_samples(self, lines):
        """(name, value, tags) for every catalog series among the parsed lines; nothing is submitted here.

        Each distinct label text is parsed and turned into tags once: a deployment's labels repeat across every
        family, and its bucket series differ only in `le`.
        """
        points = []
        buckets = {}  # (spec, label text without `le`) -> [(bound, value)]
        sums = defaultdict(float)
        seen, duplicates = set(), 0
        tag_cache = {}
        known = self.base_tag_set

        def tags_of(text, skip=()):
            key = (text, skip)
            tags = tag_cache.get(key)
            if tags is None:
                labels = parse_labels(text) if text else {}
                # A label that repeats an identity tag (Wafer's `endpoint`, Fireworks' account) is not sent twice.
                tags = tag_cache[key] = tuple(t for t in self.LABELS.tags(labels, skip=skip) if t not in known)
            return tags

        series = self.series_by_name
        bounds = {}  # `le` text -> float: a reply uses a few bounds thousands of times
        for name, labels, text in lines:
            entry = series.get(name)
            if entry is None:
                continue
            try:
                value = float(text)
            except ValueError:
                value = number(text)  # raises the error that quotes it
            if value - value:
                continue  # NaN or an infinity: no value is better than an invented one
            quantiles, specs = entry
            if quantiles is not None:
                # A bucket series. Inline fast path of split_le() for the usual `...,le="0.5"` ending.
                at = labels.rfind(',le="')
                if at != -1 and labels[-1] == '"' and '"' not in labels[at + 5 : -1]:
                    le, rest = labels[at + 5 : -1], labels[:at]
                else:
                    le, rest = split_le(labels)
                bound = bounds.get(le)
                if bound is None:
                    bound = bounds[le] = _bucket_bound(le)
                if bound is not None:
                    group = (quantiles, rest)
                    rows = buckets.get(group)
                    if rows is None:
                        rows = buckets[group] = []
                    rows.append((bound, value))
                continue
            # A series repeated in one reply is counted once (the first), as Prometheus keeps the first sample of a
            # duplicated series: summing would double rates. (Repeated buckets: see quantile_points.)
            key = (name, labels)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            for spec in specs:
                if spec.sum_without:
                    sums[(spec, tags_of(labels, spec.sum_without))] += value * spec.scale
                else:
                    points.append((spec.name, value * spec.scale, tags_of(labels) + spec.tags))
        if duplicates:
            self.log.warning('%s: %d duplicated series in the reply were ignored', self.PROVIDER, duplicates)
        for (spec, group), value in sums.items():
            points.append((spec.name, value, group + spec.tags))
        for (spec, rest), rows in buckets.items():
            points.extend(self.quantile_points(spec, tags_of(rest), rows))
        return points

    def quantile_points(self, spec, group, series):
        tags = group + spec.tags
        # A bucket repeated in the reply (same labels, same `le`) counts once, the first, as for other series.
        values = bucket_quantiles(self.quantile_values, series, repeated='first')
        for label, value in zip(self.quantile_tags, values):
            if value is not None and value not in (math.inf, -math.inf):
                yield spec.name, value * spec.scale, tags + label
        if self.collect_raw_buckets and spec.raw_buckets:
            for bound, value in series:
                upper = '+Inf' if math.isinf(bound) else '{:.10g}'.format(bound * spec.scale)
                yield spec.raw_buckets, value, tags + ('upper_bound:' + upper,)


def _bucket_bound(text):
    try:
        bound = float(text)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(bound) else bound
