# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Series of one reply -> catalog points, combining series only by each metric's declared semantics.

Providers feed the mapper (spec, context, value) members; the mapper decides which labels are aggregated away
(the spec's own `without`, the `exclude_labels` option, labels over `max_label_values`), groups members whose
remaining tags are equal, and makes one point of each group:

- members of a better variant (rank 0: documented names and labels) win over the others in their group, so two
  spellings of one series are never added together;
- one member: its value, unless NaN or infinite (not submitted, counted `not_finite`);
- several members: SUM adds, AVG averages, KEEP (quantile gauges, ratios) cannot combine, so the group is not
  submitted (`collision`); a sum or average with a NaN, infinite or missing member is not submitted
  (`incomplete_sum`);
- histograms (bucket rates) are summed per bound before the quantile, over the bounds every member has.
"""

import math

from datadog_checks.base import ConfigurationError

from .catalog import DEFAULT_QUANTILES, KEEP, SUM, format_quantile
from .histogram import bucket_quantiles

DEFAULT_MAX_LABEL_VALUES = 100
LATENCY_UNITS = ('auto', 'seconds', 'milliseconds')


class MappingOptions:
    """The instance options that decide how series become points, checked once at start-up."""

    def __init__(self, instance):
        exclude = instance.get('exclude_labels') or []
        if not isinstance(exclude, list) or not all(isinstance(x, str) and x for x in exclude):
            raise ConfigurationError('`exclude_labels` must be a list of label names, e.g. [region, backend_id].')
        self.exclude = frozenset(exclude)
        limit = instance.get('max_label_values', DEFAULT_MAX_LABEL_VALUES)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ConfigurationError('`max_label_values` must be a whole number, 0 or more (0 = no limit).')
        self.max_label_values = limit
        quantiles = instance.get('quantiles', DEFAULT_QUANTILES)
        if not isinstance(quantiles, list | tuple) or not all(
            isinstance(q, int | float) and not isinstance(q, bool) and 0 <= q <= 1 for q in quantiles
        ):
            raise ConfigurationError('`quantiles` must be a list of numbers between 0 and 1, e.g. [0.5, 0.9, 0.99].')
        self.quantiles = [(q, format_quantile(q)) for q in quantiles]
        self.quantile_values = [q for q, _ in self.quantiles]
        self.quantile_tags = [('quantile:' + label,) for _, label in self.quantiles]
        self.collect_raw_buckets = bool(instance.get('collect_raw_buckets', False))
        unit = instance.get('latency_unit', 'auto')
        if unit not in LATENCY_UNITS:
            raise ConfigurationError('`latency_unit` must be one of: {}.'.format(', '.join(LATENCY_UNITS)))
        self.latency_unit = unit


class Mapper:
    """Collects one reply's members, then `points()` makes the catalog points and fills `report`."""

    def __init__(self, options, report, log):
        self.options = options
        self.report = report  # drift.RunReport
        self.log = log  # drift.DriftLog: log-once messages
        self.gauges = {}  # spec -> [(context, value, rank, extra tags)]
        self.histograms = {}  # spec -> [(context, [(bound, value)], rank, extra tags)]
        self.members = 0  # catalog series read (whether or not they become points)

    def add(self, spec, context, value, rank=0, extra=()):
        """One series of a gauge spec; `value` None is a member known to exist but missing from this reply."""
        self._member(self.gauges, spec, (context, value, rank + context.rank, extra))

    def add_histogram(self, spec, context, rows, rank=0, extra=()):
        """One series' buckets, [(upper bound, cumulative value)], bounds in the unit `spec.scale` converts from."""
        self._member(self.histograms, spec, (context, rows, rank + context.rank, extra))

    def _member(self, store, spec, member):
        members = store.get(spec)
        if members is None:
            members = store[spec] = []
        members.append(member)
        self.members += 1

    def not_finite(self, count=1):
        """Samples of catalog series that were NaN or infinite and so could not be used."""
        self.report.drop('not_finite', count)

    # --- points -----------------------------------------------------------------------------------------------

    def points(self):
        points = []
        for spec, members in self.gauges.items():
            self._gauge_points(spec, members, points)
        for spec, members in self.histograms.items():
            self._histogram_points(spec, members, points)
        return points

    def _plan(self, spec, members):
        """(labels to aggregate away, labels whose series cannot be submitted) for one spec's members."""
        removed = set(spec.without)
        excluded, values = set(), {}
        limit = self.options.max_label_values
        for member in members:
            context = member[0]
            if context.excluded:
                excluded.update(context.excluded)
            if context.unmapped:
                self.report.unmapped_label(context.unmapped)
                if limit:
                    for raw in context.unmapped:
                        seen = values.get(raw)
                        if seen is None:
                            seen = values[raw] = set()
                        seen.add(context.labels[raw])
        over = {raw: len(seen) for raw, seen in values.items() if len(seen) > limit}
        blocked = frozenset()
        if spec.combine is KEEP:
            if excluded:
                self.log.once(
                    ('exclude', spec.name, tuple(sorted(excluded))),
                    '`exclude_labels`: %s cannot be aggregated away from llm_inference.%s (quantile gauges and '
                    'ratios cannot be combined); the labels stay.',
                    ', '.join(sorted(excluded)),
                    spec.name,
                )
            blocked = frozenset(over)
        else:
            removed |= excluded
            removed |= set(over)
        for raw, count in over.items():
            action = 'not submitted' if blocked else 'aggregated away'
            self.report.over_limit(raw, spec.name, count, action)
            self.log.warning_once(
                ('limit', raw, spec.name),
                'label `%s` has %d values on llm_inference.%s this run, over `max_label_values` (%d): its series are '
                '%s. Raise `max_label_values`, or list the label in `exclude_labels`.',
                raw,
                count,
                spec.name,
                limit,
                'not submitted (they cannot be combined)' if blocked else 'aggregated away ({})'.format(spec.combine),
            )
        return frozenset(removed), blocked

    def _groups(self, spec, members):
        """{tags: (best rank, [members of that rank])}; drops what cannot be submitted."""
        removed, blocked = self._plan(spec, members)
        groups = {}
        for member in members:
            context, _, rank, extra = member
            if context.problem is not None:
                self.report.drop(context.problem)
                continue
            if blocked and not blocked.isdisjoint(context.labels):
                self.report.drop('label_limit')
                continue
            tags = context.without(removed) if removed else context.tags
            if extra:
                tags = tags + extra
            group = groups.get(tags)
            if group is None or rank < group[0]:
                groups[tags] = (rank, [member])
            elif rank == group[0]:
                group[1].append(member)
        return groups

    def _gauge_points(self, spec, members, points):
        combine, scale, name, const = spec.combine, spec.scale, spec.name, spec.tags
        for tags, (_, group) in self._groups(spec, members).items():
            if len(group) == 1:
                value = group[0][1]
                if value is None:
                    continue  # known only to be missing: nothing to say about it alone
                if value - value:
                    self.report.drop('not_finite')
                    continue
            else:
                values = [member[1] for member in group]
                if combine is KEEP:
                    self.report.drop('collision', len(values))
                    self.log.warning_once(
                        ('collision', name),
                        '%d series of llm_inference.%s would share the tags %s and cannot be combined: not submitted.',
                        len(values),
                        name,
                        ','.join(tags),
                    )
                    continue
                if None in values or not all(math.isfinite(v) for v in values):
                    if any(v is not None for v in values):
                        self.report.drop('incomplete_sum')
                    continue
                value = sum(values)
                if combine is not SUM:
                    value /= len(values)
            point = (name, value * scale, tags + const, spec.kind) if spec.kind else (name, value * scale, tags + const)
            points.append(point)

    def _histogram_points(self, spec, members, points):
        qs, labels = self.options.quantile_values, self.options.quantile_tags
        raw_name = spec.raw_buckets if self.options.collect_raw_buckets else ''
        for tags, (_, group) in self._groups(spec, members).items():
            rows = group[0][1] if len(group) == 1 else _sum_buckets([member[1] for member in group])
            tags = tags + spec.tags
            # A bucket repeated in the reply (same labels, same `le`) counts once, the first, as for other series.
            for label, value in zip(labels, bucket_quantiles(qs, rows, repeated='first')):
                if value is not None and value not in (math.inf, -math.inf):
                    points.append((spec.name, value * spec.scale, tags + label))
            if raw_name:
                for bound, value in _first_per_bound(rows):
                    upper = '+Inf' if math.isinf(bound) else '{:.10g}'.format(bound * spec.scale)
                    points.append((raw_name, value, tags + ('upper_bound:' + upper,)))


def _first_per_bound(rows):
    seen = {}
    for bound, value in rows:
        if bound not in seen:
            seen[bound] = value
    return sorted(seen.items())


def _sum_buckets(histograms):
    """The bucket-wise sum of several histograms, over the bounds every one of them has a finite value for: a bound
    one member lacks would make the sum at that bound partial (a coarser histogram is still a right one)."""
    total = None
    for rows in histograms:
        first = dict(_first_per_bound(rows))
        if total is None:
            total = first
            continue
        total = {bound: value + first[bound] for bound, value in total.items() if bound in first}
    return sorted(total.items())
