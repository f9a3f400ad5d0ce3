# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""One scraped reply's samples -> the mapper's members, fed chunk by chunk as the text is read.

Only aggregates are kept, never the samples: a gauge value per (spec, series), a flat bucket row list per
histogram (buckets.py), a count per unmapped name. The raw series that `extra_metrics` asks for are the exception:
they are kept (as text) for the base's transformers, which run once the whole reply has been read.
"""

from .buckets import Buckets
from .drift import RunReport
from .exposition import number, parse_labels
from .labels import LabelReader
from .mapping import Mapper


def _selected(spec, context):
    """Whether a counter's or bucket family's series is a member of `spec`: an error rate counts the non-2xx series
    only; `only` keeps the series with one of its label's values (None: the label absent)."""
    if spec.errors_of:
        status = context.label(spec.errors_of)
        if status is None or status.startswith('2'):
            return False
    if spec.only:
        label, values = spec.only
        return context.label(label) in values
    return True


class ScrapeMapping:
    """`feed()` each list of parsed (name, label text, value text) samples, then `finish()` for the points."""

    def __init__(self, check, extra=None):
        self.check = check
        self.report = RunReport()
        self.mapper = Mapper(check.mapping, self.report, check.drift)
        self.ids = check.reply_ids()
        self.reader = LabelReader(
            check.LABELS, check.base_tags, check.mapping.aggregate, check.canonical, self.ids, check.label_texts
        )
        self.buckets = Buckets(self.report.unmapped_names)
        # `extra` says whether a raw name the catalog does not map is collected anyway (`extra_metrics`).
        self.extra = extra
        self.extra_samples = {}  # raw name -> [(label text, value text)]
        self.duplicates = 0
        # Cumulative series: timed as the request is sent, read against the previous scrape (cumulative.py).
        self.interval = check.cumulative.interval() if check.cumulative is not None else None

    def feed(self, lines):
        """Map parsed samples. Each distinct label text is parsed and turned into a context (its tags) once: a
        deployment's labels repeat across every family, and its bucket series differ only in `le`. Label sets, not
        label texts, identify a series: the same labels written in another order are the same series."""
        # spec -> {context: value}, filled here rather than by mapper.add: a call per sample costs, and a context
        # alone as the key (its own rank, no extra tags) keeps the objects of a run few.
        gauges = self.mapper.gauges
        unmapped = self.report.unmapped_names
        of_text, by_text = self.reader.of_text, self.reader.by_text
        series = self.check.series_by_name
        unused = self.check.UNUSED
        add_bucket = self.buckets.add_text
        members = 0
        for name, labels, text in lines:
            entry = series.get(name)
            if entry is None:
                if name in unused:
                    continue  # known, and deliberately not submitted (a histogram's `_sum`, `_count`)
                if self.extra is not None and self.extra(name):
                    self.extra_samples.setdefault(name, []).append((labels, text))
                elif name.endswith('_created'):
                    pass  # OpenMetrics: when a counter or histogram started, not a value of its family
                else:
                    unmapped[name] = unmapped.get(name, 0) + 1
                continue
            try:
                value = float(text)
            except ValueError:
                value = number(text)  # raises the error that quotes it
            quantiles, specs = entry
            if quantiles is not None:
                add_bucket(quantiles, labels, value, name)
                continue
            context = by_text.get(labels)
            if context is None:
                context = of_text(labels, parse_labels)
            # A series repeated in one reply (its labels in any order) is counted once (the first), as Prometheus
            # keeps the first sample of a duplicated series: summing would double rates. Each raw name feeds specs
            # of its own, so its first spec's members tell.
            kept = gauges.get(specs[0])
            if kept is None:
                for spec in specs:
                    gauges[spec] = {}
                kept = gauges[specs[0]]
            elif context in kept:
                self.duplicates += 1
                continue
            for spec in specs:
                gauges[spec][context] = value
            members += 1
        self.report.members += members

    def finish(self):
        """The catalog points of everything fed; what could not be used is in `self.report`."""
        check, report, mapper = self.check, self.report, self.mapper
        if self.duplicates:
            check.log.warning('%s: %d duplicated series in the reply were ignored', check.PROVIDER, self.duplicates)
        self.buckets.report_to(report, mapper)
        # Bucket series whose label texts differ only in order are one series: their rows are joined, and the
        # first of a repeated bound counts (see Mapper._histogram_points).
        of_text = self.reader.of_text
        histograms = mapper.histograms
        families = check.bucket_specs
        for (first, rest), rows in self.buckets.groups.items():
            context = of_text(rest, parse_labels)
            # The family's specs whose population the series is (one, unless the family is split by `only`).
            specs = families.get(first, (first,))
            for spec in specs:
                if (spec.only or len(specs) > 1) and not _selected(spec, context):
                    continue
                members = histograms.get(spec)
                if members is None:
                    members = histograms[spec] = {}
                known = members.get(context)
                if known is None:
                    members[context] = rows if spec is first else list(rows)
                    report.members += 1
                else:
                    known += rows
        self.buckets.groups = {}
        if self.interval is not None:
            self._cumulative_rates()
        points = mapper.points()
        report.warnings.extend(check.reply_identity_warnings(self.ids))  # every label set was read by now
        check.label_texts = self.reader.by_text  # for the next run's reader (labels.LabelReader)
        return points

    def _cumulative_rates(self):
        """Counters and cumulative buckets -> their per-second rates since the previous scrape, in place; a series
        without one (its first scrape) is no member this run. The interval is then committed."""
        interval, report = self.interval, self.report
        for spec, members in self.mapper.gauges.items():
            if not spec.cumulative:
                continue
            for context in list(members):
                if not _selected(spec, context):
                    del members[context]
                    continue
                rate = interval.rate(spec, context, members[context])
                if rate is None:
                    del members[context]
                else:
                    members[context] = rate
        for spec, members in self.mapper.histograms.items():
            if not spec.cumulative:
                continue
            for context in list(members):
                rows = interval.bucket_rates(spec, context, members[context])
                if rows is None:
                    del members[context]
                else:
                    members[context] = rows
        report.first_scrape += interval.first
        self.mapper.elapsed = interval.seconds
        interval.commit()
