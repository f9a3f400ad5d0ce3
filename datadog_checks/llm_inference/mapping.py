# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Series of one reply -> catalog points, combining series only by each metric's declared semantics.

Providers feed the mapper (spec, context, value) members; the mapper decides which labels are aggregated away
(the spec's own `without`, the `aggregate_labels` option, labels over `max_label_values`), groups members whose
remaining tags are equal, and makes one point of each group:

- members of a better variant (rank 0: documented names and labels) win over the others in their group, so two
  spellings of one series are never added together;
- one member: its value, unless NaN or infinite (not submitted, counted `not_finite`);
- several members: SUM adds, AVG averages, KEEP (quantile gauges, ratios) cannot combine, so the group is not
  submitted (`collision`); a sum or average with a NaN, infinite or missing member is not submitted
  (`incomplete_sum`);
- histograms (bucket rates) are summed per bound before the quantile, over the bounds every member has;
- series whose tags Datadog would store as one context (datadog_tags.py: case, characters it turns into `_`, past
  200 characters) are folded: summed or averaged as above, and for KEEP specs kept apart by a `series_variant` tag
  (a hash of the series' own tags) on each later one; counted `series_folded` and named once in a WARNING;
- a spec declared `nonnegative` submits no series (and no sum, no quantile) with a negative member (`negative`).
"""

import math

from .specs import DEFAULT_QUANTILES, KEEP, SUM, format_quantile
from .buckets import first_per_bound, pairs
from .datadog_tags import stored_tags, variant_tag
from .histogram import bucket_quantiles
from .model_scope import ModelBuckets, ModelQuantiles, name_of
from .bucket_outputs import DEFAULT_OBJECTIVES, distribution_points, objective_of, objective_points, threshold_text


class MappingOptions:
    """The options that decide how series become points (checked by the configuration models)."""

    def __init__(self, config):
        # `aggregate_labels`; `exclude_labels` is its old spelling (the base's option of that name drops a label,
        # ours aggregates it away). Messages name the option the user wrote.
        if config.aggregate_labels is None and config.exclude_labels is not None:
            self.aggregate, self.aggregate_option = frozenset(config.exclude_labels), 'exclude_labels'
        else:
            self.aggregate, self.aggregate_option = frozenset(config.aggregate_labels or ()), 'aggregate_labels'
        self.max_label_values = config.max_label_values
        quantiles = config.quantiles if config.quantiles is not None else DEFAULT_QUANTILES
        self.quantiles = [(q, format_quantile(q)) for q in quantiles]
        self.quantile_values = [q for q, _ in self.quantiles]
        self.quantile_tags = [('quantile:' + label,) for _, label in self.quantiles]
        self.collect_raw_buckets = bool(config.collect_raw_buckets)
        self.latency_unit = config.latency_unit
        # Distribution buckets count the requests of one run: bucket rate x the collection interval (0: off).
        interval = config.min_collection_interval or 60
        self.distribution_interval = float(interval) if config.latency_distributions else 0.0
        objectives = config.latency_objectives
        self.objectives = dict(DEFAULT_OBJECTIVES if objectives is None else objectives)
        # A provider's own metrics (`<provider>.*`) compare with no other provider's: no model-level series and no
        # distribution of them, only their per-series quantiles (the catalog's shared names get both).
        self.own_prefix = '{}.'.format(config.provider)


def _unpack(key):
    """(context, rank, extra tags) of a member key: a Context alone (rank its own, no extra tags), as the scrape hot
    path stores it, or a (context, rank, extra) tuple."""
    if type(key) is tuple:
        return key
    return key, key.rank, ()


class Mapper:
    """Collects one reply's members, then `points()` makes the catalog points and fills `report`.

    Members are kept per spec in a dict, member key -> value (or bucket rows): a key is the series' Context, or a
    (context, rank, extra tags) tuple. One dict per spec rather than a tuple per member keeps the objects the
    garbage collector must walk few, which at hundreds of deployments is a good part of the cost of a run.
    """

    def __init__(self, options, report, log):
        self.options = options
        self.report = report  # drift.RunReport
        self.log = log  # drift.DriftLog: log-once messages
        self.gauges = {}  # spec -> {member key: value}
        self.histograms = {}  # spec -> {member key: [(bound, value)]}
        # tags -> as Datadog stores them (datadog_tags.py), once per tag tuple of the run (a context's own tags: on
        # the context)
        self.stored = {}
        # Seconds since the previous scrape (cumulative.py), or None: a cumulative family's distribution counts the
        # requests between the two scrapes (bucket rate x these seconds), not those of a nominal interval.
        self.elapsed = None

    def add(self, spec, context, value, rank=0, extra=()):
        """One series of a gauge spec; `value` None is a member known to exist but missing from this reply. The
        first of a series given twice counts."""
        # A context alone is the key when it says all (its own rank, no extra tags): a tuple less per series.
        key = context if not rank and not extra else (context, rank + context.rank, extra)
        self._member(self.gauges, spec, key, value)

    def add_histogram(self, spec, context, rows, rank=0, extra=()):
        """One series' buckets as buckets.Buckets keeps them: a flat list [upper bound, cumulative value, ...] (no
        tuple per bucket for the garbage collector to walk), bounds in the unit `spec.scale` converts from."""
        self._member(self.histograms, spec, (context, rank + context.rank, extra), rows)

    def _member(self, store, spec, key, value):
        members = store.get(spec)
        if members is None:
            members = store[spec] = {}
        if key not in members:
            members[key] = value
            self.report.members += 1  # catalog series read (whether or not they become points)

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
        for key in members:
            context = key[0] if type(key) is tuple else key
            if context.excluded:
                excluded.update(context.excluded)
            if context.unmapped:
                self.report.unmapped_label(context.unmapped)
                if limit:
                    for raw in context.unmapped:
                        seen = values.get(raw)
                        if seen is None:
                            seen = values[raw] = set()
                        seen.add(context.label(raw))
        over = {raw: len(seen) for raw, seen in values.items() if len(seen) > limit}
        blocked = frozenset()
        if spec.combine is KEEP:
            if excluded:
                self.log.once(
                    ('exclude', spec.name, tuple(sorted(excluded))),
                    '`%s`: %s cannot be aggregated away from llm_inference.%s (quantile gauges and '
                    'ratios cannot be combined); the labels stay.',
                    self.options.aggregate_option,
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
                '%s. Raise `max_label_values`, or list the label in `%s`.',
                raw,
                count,
                spec.name,
                limit,
                'not submitted (they cannot be combined)' if blocked else 'aggregated away ({})'.format(spec.combine),
                self.options.aggregate_option,
            )
        return frozenset(removed), blocked

    def _groups(self, spec, members, dropped=None):
        """{tags: the member key, or a list of the keys of the best rank where several share the tags}; drops what
        cannot be submitted (their tags appended to `dropped` when given). (One member per group is the rule: no
        list is made for it.)"""
        removed, blocked = self._plan(spec, members)
        needs = spec.needs
        groups = {}  # the tags as Datadog stores them -> the member key, or a list of keys
        # the tags as Datadog stores them -> the tags of the group's first member, where they differ (rare: no dict
        # entry per series)
        shown = {}
        folded = set()  # groups of series that differ only as Datadog stores them: submitted as it stores them
        stored = self.stored
        for key in members:
            context, rank, extra = _unpack(key)
            reason = context.problem
            if reason is None and needs and needs not in context.names:
                if spec.other and spec.other in context.names:
                    continue  # another spec of the raw name submits it
                reason = 'not_a_quantile'
            if reason is None and blocked and not blocked.isdisjoint(context.names):
                reason = 'label_limit'
            if reason is not None:
                self.report.drop(reason)
                self.report.missing_series(spec.name, context.tags + extra + spec.tags)
                if dropped is not None:
                    dropped.append(context.tags + extra + spec.tags)
                continue
            if removed or extra:
                tags = context.without(removed) if removed else context.tags
                if extra:
                    tags = tags + extra
                context_key = stored.get(tags)
                if context_key is None:
                    context_key = stored[tags] = stored_tags(tags)
            else:  # the common case: the series' own tags, their stored form kept on the context
                tags, context_key = context.tags, context.stored
                if context_key is None:
                    context_key = context.stored = stored_tags(tags)
            group = groups.get(context_key)
            if group is None:
                groups[context_key] = key
                if context_key is not tags:
                    shown[context_key] = tags
                continue
            first = shown.get(context_key, context_key)
            if first != tags:
                if spec.combine is KEEP:
                    # Cannot be combined: kept apart by a tag that survives Datadog's normalization.
                    variant = tags + (variant_tag(tags),)
                    context_key = stored_tags(variant)
                    group = groups.get(context_key)
                    if group is None:
                        self._fold(spec.name, first, tags, 'kept_apart')
                        groups[context_key] = key
                        shown[context_key] = variant
                        continue
                    # (the same series twice: a collision, as below)
                else:
                    self._fold(spec.name, first, tags, spec.combine)
                    folded.add(context_key)
            best = _unpack(group[0] if type(group) is list else group)[1]
            if rank < best:
                groups[context_key] = key
            elif rank == best:
                if type(group) is list:
                    group.append(key)
                else:
                    groups[context_key] = [group, key]
        if not shown and not folded:
            return groups
        return {(key if key in folded else shown.get(key, key)): group for key, group in groups.items()}

    def _fold(self, name, first, tags, action):
        """A series folded into another one Datadog would store with the same tags."""
        self.report.fold(action)
        self.log.warning_once(
            ('fold', name),
            'series of llm_inference.%s differ only in case, in characters Datadog turns into `_`, or past its '
            '200-character limit (%s and %s): Datadog stores them as one context, so they are %s.',
            name,
            ','.join(first),
            ','.join(tags),
            'kept apart by a `series_variant` tag' if action == 'kept_apart' else 'combined ({})'.format(action),
        )

    def _gauge_points(self, spec, members, points):
        combine, scale, name, const = spec.combine, spec.scale, spec.name, spec.tags
        # Quantile gauges cannot be merged: a model whose population is one series gets it at model level. Catalog
        # specs only: a user's `queries:` entry always has a `kind`, and its name is the user's, not the catalog's.
        shared = combine is KEEP and not spec.kind and not name.startswith(self.options.own_prefix)
        dropped, models = ([], ModelQuantiles()) if shared else (None, None)
        for tags, group in self._groups(spec, members, dropped).items():
            if type(group) is not list:
                value = members[group]
                if value is None:
                    self.report.missing_series(name, tags + const)  # known only to be missing
                    if models is not None:
                        models.drop(tags + const)
                    continue
                if value - value:
                    self.report.drop('not_finite')
                    self.report.missing_series(name, tags + const)
                    if models is not None:
                        models.drop(tags + const)
                    continue
                if value < 0 and spec.nonnegative:
                    self._negative(name, tags + const)
                    if models is not None:
                        models.drop(tags + const)
                    continue
            else:
                values = [members[key] for key in group]
                if combine is KEEP:
                    self.report.drop('collision', len(values))
                    self.report.missing_series(name, tags + const)
                    if models is not None:
                        models.drop(tags + const)
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
                    self.report.missing_series(name, tags + const)
                    continue
                if spec.nonnegative and min(values) < 0:
                    self._negative(name, tags + const)
                    continue
                value = sum(values)
                if combine is not SUM:
                    value /= len(values)
            if scale != 1:
                value = value * scale  # (not when 1: no new float per point)
            point = (name, value, tags + const, spec.kind) if spec.kind else (name, value, tags + const)
            points.append(point)
            if models is not None:
                models.add(tags + const, value)
        if models is not None:
            self._model_quantile_points(spec, models, dropped, points)

    def _bucket_outputs(self, spec, tags, rows, points):
        """A series' distribution buckets and SLO rates, where asked for (bucket_outputs.py)."""
        if self.options.distribution_interval and not spec.name.startswith(self.options.own_prefix):
            seconds = self.elapsed if spec.cumulative and self.elapsed else self.options.distribution_interval
            points += distribution_points(spec, tags, rows, seconds)
        objective = objective_of(spec)
        threshold = self.options.objectives.get(objective) if objective else None
        if threshold is None:
            return
        made, used = objective_points(spec, tags, rows, threshold)
        points += made
        if used is None:
            self.log.warning_once(
                ('objective', objective, threshold),
                '`latency_objectives`: %s %s s is below every bucket bound of llm_inference.%s: no SLO rates for it.',
                objective,
                threshold_text(threshold),
                spec.name,
            )
        elif threshold_text(used) != threshold_text(threshold):
            self.log.warning_once(
                ('objective', objective, threshold, used),
                '`latency_objectives`: %s %s s falls between bucket bounds of llm_inference.%s; the largest bound '
                'below it, %s s, is used (tag `threshold:%s`).',
                objective,
                threshold_text(threshold),
                spec.name,
                threshold_text(used),
                threshold_text(used),
            )

    def _model_quantile_points(self, spec, models, dropped, points):
        for tags in dropped:
            models.drop(tags)
        for scope, value in models.single():
            if any(t.startswith('quantile:') for t in scope):
                points.append((name_of(spec.name), value, scope))
        several = [scope for scope in models.several() if any(t.startswith('quantile:') for t in scope)]
        if several:
            self.log.once(
                ('model scope', spec.name),
                'llm_inference.%s: %d model populations are several series of percentiles, which cannot be merged: '
                'no llm_inference.%s for them (e.g. %s).',
                spec.name,
                len(several),
                name_of(spec.name),
                ','.join(several[0]),
            )

    def _histogram_points(self, spec, members, points):
        qs, labels = self.options.quantile_values, self.options.quantile_tags
        raw_name = spec.raw_buckets if self.options.collect_raw_buckets else ''
        dropped, models = [], ModelBuckets()
        # Decided once per family, not per series: whether it has distributions or SLO rates, and a model level.
        own = spec.name.startswith(self.options.own_prefix)
        objective = objective_of(spec)
        outputs = (self.options.distribution_interval and not own) or (
            objective is not None and objective in self.options.objectives
        )
        for tags, group in self._groups(spec, members, dropped).items():
            flat = [members[group]] if type(group) is not list else [members[key] for key in group]
            # Flat [bound, value, ...] rows: a negative bucket count or rate makes every quantile of them wrong.
            if spec.nonnegative and any(min(rows[1::2], default=0) < 0 for rows in flat):
                self._negative(spec.name, tags + spec.tags)
                models.drop(tags + spec.tags)
                continue
            rows = pairs(flat[0]) if len(flat) == 1 else _sum_buckets(flat)
            tags = tags + spec.tags
            first = _first_per_bound(rows) if outputs or not own or raw_name else None
            if first is not None:
                if not own:
                    models.add(tags, first)
                if outputs:
                    self._bucket_outputs(spec, tags, first, points)
            # A bucket repeated in the reply (same labels, same `le`) counts once, the first, as for other series.
            for label, value in zip(labels, bucket_quantiles(qs, rows, repeated='first')):
                if value is not None and value not in (math.inf, -math.inf):
                    points.append((spec.name, value * spec.scale, tags + label))
            if raw_name:
                for bound, value in first:  # (computed above: raw_name set)
                    upper = '+Inf' if math.isinf(bound) else '{:.10g}'.format(bound * spec.scale)
                    points.append((raw_name, value, tags + ('upper_bound:' + upper,)))
        # The model's population merged: bucket rates summed per bound, then the quantiles of the sum.
        if own:
            return
        for tags in dropped:
            models.drop(tags)
        name = name_of(spec.name)
        for scope, rows in models.merged():
            for label, value in zip(labels, bucket_quantiles(qs, rows)):
                if value is not None and value not in (math.inf, -math.inf):
                    points.append((name, value * spec.scale, scope + label))

    def _negative(self, name, tags):
        self.report.drop('negative')
        self.report.missing_series(name, tags)
        self.log.warning_once(
            ('negative', name),
            'a series of llm_inference.%s (%s) has a negative value, which it cannot have: not submitted.',
            name,
            ','.join(tags),
        )


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
        first = first_per_bound(rows)
        if total is None:
            total = first
            continue
        total = {bound: value + first[bound] for bound, value in total.items() if bound in first}
    return sorted(total.items())
