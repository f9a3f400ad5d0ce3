# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What a reply held that the check could not use, made visible: self-telemetry each run, a log line once per new
name per check instance, and lines for the runner. Provider names and labels drift between doc versions; this is
how a user learns it happened instead of reading a silently shorter catalog."""

# Distinct `raw_name` / `label` tag values one check instance submits; later ones are folded into `other`, so a
# provider that sends ever new names cannot grow the integration's own series without bound.
MAX_TAGGED = 10
OTHER = 'other'
# Messages remembered as said (keyed by names from the replies): past this many, they are forgotten and may be said
# again, rather than the memory of a check whose provider churns names growing for the life of the Agent.
MAX_LOGGED = 1024


class RunReport:
    """One run's findings."""

    def __init__(self):
        self.unmapped_names = {}  # raw metric name -> series in the reply
        self.unmapped_labels = {}  # raw label name -> catalog series carrying it
        self.limits = {}  # (raw label, catalog metric) -> (distinct values, what was done)
        self.dropped = {}  # reason -> catalog series not submitted
        self.missing = {}  # catalog metric -> the tags of its series read but not submitted (for costs over them)
        self.members = 0  # catalog series read
        self.warnings = []  # what the run left out, for its WARNING (a refused query, a partial reply, a fold)
        self.folded = {}  # how series Datadog would store as one context were folded (sum, avg, kept_apart) -> count
        self.stale = None  # what staleness.Staleness says of the samples left out as too old, or None
        self.first_scrape = 0  # cumulative series read for the first time: no value until the next scrape

    def unmapped_name(self, name, count=1):
        self.unmapped_names[name] = self.unmapped_names.get(name, 0) + count

    def unmapped_label(self, labels):
        for label in labels:
            self.unmapped_labels[label] = self.unmapped_labels.get(label, 0) + 1

    def over_limit(self, label, metric, values, action):
        self.limits[(label, metric)] = (values, action)

    def drop(self, reason, count=1):
        self.dropped[reason] = self.dropped.get(reason, 0) + count

    def fold(self, action, count=1):
        self.folded[action] = self.folded.get(action, 0) + count

    def missing_series(self, metric, tags):
        """A series of `metric` with these tags was read but has no value this run: a total over it is not one."""
        self.missing.setdefault(metric, []).append(tags)

    def some_names(self, limit=5):
        """The most frequent unmapped names, for a message."""
        names = sorted(self.unmapped_names, key=lambda n: (-self.unmapped_names[n], n))
        shown = ', '.join('`{}`'.format(n) for n in names[:limit])
        return shown + (' and {} more'.format(len(names) - limit) if len(names) > limit else '')

    def lines(self):
        """What the runner prints."""
        out = []
        if self.unmapped_names:
            out.append(
                'names the check does not map (not collected): '
                + ', '.join('{} ({} series)'.format(n, c) for n, c in sorted(self.unmapped_names.items()))
            )
        if self.unmapped_labels:
            out.append(
                'labels the catalog does not map (kept as tags unless excluded): '
                + ', '.join('{} ({} series)'.format(n, c) for n, c in sorted(self.unmapped_labels.items()))
            )
        for (label, metric), (values, action) in sorted(self.limits.items()):
            out.append(
                'label {} has {} values on llm_inference.{}, over `max_label_values`: {}'.format(
                    label, values, metric, action
                )
            )
        if self.dropped:
            out.append(
                'series not submitted: '
                + ', '.join('{} {}'.format(c, reason) for reason, c in sorted(self.dropped.items()))
            )
        return out


def no_points_message(report):
    """Why a reply gave no point, for the WARNING: the names changed, or the catalog's series had no usable value;
    None when the reply held nothing at all (each provider says what to check then: NO_DATA_HINT)."""
    members = report.members
    if report.stale:
        return report.stale + ' Nothing else was submitted.'
    if not members and report.unmapped_names:
        return (
            'the reply holds {} series but none of the catalog\'s metrics: the provider\'s metric names changed '
            '(seen: {}). Nothing was submitted; see "How the check reads what providers send" in the README.'.format(
                sum(report.unmapped_names.values()), report.some_names()
            )
        )
    if members:
        return 'the reply holds catalog series, but none with a usable value ({}); nothing was submitted.'.format(
            ', '.join('{} {}'.format(c, r) for r, c in sorted(report.dropped.items())) or 'no observations'
        )
    return None


class DriftLog:
    """Per check instance: log-once memory and the bounded tag values of the drift telemetry."""

    def __init__(self, check):
        self.check = check
        self.logged = set()
        self.tagged = {'raw_name': set(), 'label': set()}
        self.last = None  # the last run's RunReport (the runner prints it)

    def once(self, key, message, *args):
        if self._first(key):
            self.check.log.info(message, *args)

    def warning_once(self, key, message, *args):
        if self._first(key):
            self.check.log.warning(message, *args)

    def _first(self, key):
        """Whether `key` is new (and now remembered)."""
        logged = self.logged
        if key in logged:
            return False
        if len(logged) >= MAX_LOGGED:
            logged.clear()
        logged.add(key)
        return True

    def _tag(self, key, value):
        seen = self.tagged[key]
        if value not in seen and len(seen) < MAX_TAGGED:
            seen.add(value)
        return '{}:{}'.format(key, value if value in seen else OTHER)

    def _bounded(self, key, counts, fold=sum):
        folded = {}
        for value, count in sorted(counts.items()):
            tag = self._tag(key, value)
            folded[tag] = fold((folded[tag], count)) if tag in folded else count
        return folded

    def submit(self, report):
        """The run's drift telemetry (gauges: what the last reply held), and the once-per-name log lines. The
        report is kept as `last` for the runner to print."""
        self.last = report
        provider = self.check.PROVIDER
        for name, count in sorted(report.unmapped_names.items()):
            self.warning_once(
                ('name', name),
                '%s: the reply holds %d series named `%s`, which the check does not map: they are not collected. '
                'If the provider renamed a metric, see "How the check reads what providers send" in the README.',
                provider,
                count,
                name,
            )
        for label in sorted(report.unmapped_labels):
            self.once(
                ('label', label),
                '%s: label `%s` is not in the catalog\'s map: kept as a tag (list it in `aggregate_labels` to aggregate '
                'it away).',
                provider,
                label,
            )
        telemetry = self.check.telemetry
        for metric, key, counts in (
            ('unmapped_series', 'raw_name', report.unmapped_names),
            ('unmapped_labels', 'label', report.unmapped_labels),
        ):
            if not counts:
                telemetry(metric, 0, method='gauge')
            for tag, count in self._bounded(key, counts).items():
                telemetry(metric, count, [tag], method='gauge')
        if not report.dropped:
            telemetry('series_dropped', 0, method='gauge')
        for reason, count in sorted(report.dropped.items()):
            telemetry('series_dropped', count, ['reason:' + reason], method='gauge')
        # Only when there were some: rare, and most replies never have any.
        for action, count in sorted(report.folded.items()):
            telemetry('series_folded', count, ['action:' + action], method='gauge')
        widest = {}
        for (label, _), (values, _) in report.limits.items():
            widest[label] = max(values, widest.get(label, 0))
        for tag, values in self._bounded('label', widest, fold=max).items():
            telemetry('labels_over_limit', values, [tag], method='gauge')
