# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The query providers' shared check: a provider is a declared list of queries; users add their own.

All queries of a run go out as one request where the engine allows (each part marked with `label_replace`,
joined with `or`; batching.py), since the providers ration requests; if the combined form is refused, one request
per query. Everything is answered before anything is submitted, so a failed run submits nothing.
"""

from dataclasses import dataclass, field

from datadog_checks.base import AgentCheck

from .specs import AVG, KEEP, NAMESPACE, SUM, Gauge
from . import batching
from .batching import Gaps, Refusals, combined, parts, split
from .buckets import Buckets
from .drift import RunReport, no_points_message
from .errors import NoData, PartialReply, QueryRejected
from .labels import LabelMap, LabelReader
from .mapping import Mapper
from .promql_client import PromQLClient
from .provider import ProviderMixin

AGGREGATES = {'sum': SUM, 'avg': AVG}
SUMMED_TYPES = ('count', 'rate')  # a count or rate query's samples that share their kept labels add up


@dataclass(frozen=True)
class Query:
    """One PromQL expression and what its samples become: ``read(samples, reading)`` feeds them to the run's
    mapper (see Reading). An `optional` query that the engine refuses is left out of the run, not a failure."""

    expr: str
    read: object
    label: str = ''  # how messages name it
    optional: bool = False
    user: bool = False  # a `queries:` entry: refused, it is left out (and said) while the others are submitted


class Reading:
    """One run's mapping: the mapper, its report, and a label reader per label map."""

    def __init__(self, check):
        self.check = check
        self.options = check.mapping
        self.report = RunReport()
        self.mapper = Mapper(check.mapping, self.report, check.drift)
        self.readers = {}
        self.ids = check.reply_ids()  # filled by the readers of the provider's own label maps

    def reader(self, label_map):
        reader = self.readers.get(id(label_map))
        if reader is None:
            reader = self.readers[id(label_map)] = LabelReader(
                label_map, self.check.base_tags, self.options.aggregate, self.check.canonical, self.ids
            )
        return reader

    def buckets(self):
        """A Buckets (buckets.py) whose unmapped names go straight into this run's report."""
        return Buckets(self.report.unmapped_names)


def consumed(samples):
    """The samples of a list in order, each let go of as it is read: the contexts keep what they need of a label
    set, so its dict is freed at once, and the reply's samples never sit beside the whole mapping in memory."""
    samples.reverse()
    pop = samples.pop
    while samples:
        yield pop()


@dataclass(frozen=True)
class UserQuery:
    """A `queries:` entry: every sample submitted as `llm_inference.<name>` with its labels as tags.

    Two samples whose kept labels are equal are added (`aggregate: sum`, and by default for `count` and `rate`
    queries) or averaged (`aggregate: avg`); a gauge without `aggregate` does not submit them (a collision: which
    one would Datadog keep?), and the run's WARNING names the labels that tell them apart.
    """

    name: str
    expr: str
    type: str = 'gauge'
    labels: tuple = ()  # keep only these labels; empty keeps all but __name__
    rename: dict = field(default_factory=dict)
    tags: tuple = ()
    aggregate: str = ''

    def __post_init__(self):
        # A label named like a tag the Agent reserves is kept as `label_<name>` (see labels.py), never dropped.
        object.__setattr__(self, 'label_map', LabelMap(self.rename, own_labels=True, keep_only=self.labels))
        combine = AGGREGATES.get(self.aggregate, SUM if self.type in SUMMED_TYPES else KEEP)
        object.__setattr__(
            self, 'spec', Gauge(self.name, tags=self.tags, combine=combine, kind=self.type, nonnegative=False)
        )

    def read(self, samples, reading):
        reader, mapper = reading.reader(self.label_map), reading.mapper
        # A gauge's keep-list may fold series: the first label set of each context is kept to name what differs.
        first = {} if self.spec.combine is KEEP and self.labels else None
        differ = set()
        for labels, value in samples:
            context = reader.context(labels)
            if first is not None:
                seen = first.setdefault(context.tags, labels)
                if seen is not labels:
                    differ.update(k for k in seen.keys() | labels.keys() if seen.get(k) != labels.get(k))
            mapper.add(self.spec, context, value)
        differ.discard('__name__')
        if differ:
            reading.report.warnings.append(
                'query `{}`: `labels` keeps {} but series differ in {}, so several would share one context: not '
                'submitted. Add {} to `labels`, or set `aggregate` (sum or avg).'.format(
                    self.name,
                    ', '.join(self.labels),
                    ', '.join('`{}`'.format(k) for k in sorted(differ)),
                    ', '.join(sorted(differ)),
                )
            )


def user_queries(entries):
    """UserQuery objects from the `queries` option, as the configuration models read it (validators.py checked
    every entry)."""
    return [
        UserQuery(
            q.name,
            q.query.strip(),
            q.type or 'gauge',
            tuple(q.labels or ()),
            dict(q.rename_labels or {}),
            tuple(q.tags or ()),
            q.aggregate or '',
        )
        for q in entries or ()
    ]


class QueryCheck(ProviderMixin, AgentCheck):
    __NAMESPACE__ = NAMESPACE

    def __init__(self, name, init_config, instances):
        super().__init__(name, init_config, instances)
        self.setup_provider()
        config = self.config
        self.queries = self.default_queries() + [
            Query(q.expr, q.read, q.name, user=True) for q in user_queries(config.queries)
        ]
        self.client = PromQLClient(
            self.use_http(self.http),
            self.url,
            config.method or 'GET',
            nocache=config.nocache,
            log=self.log,
            max_bytes=self.max_response_bytes,
            check_status=self.raise_for_status,
        )
        # NaN and infinite samples are read (and reported), not left out: a sum missing one is not a sum.
        self.client.keep_nonfinite = True
        self.refusals = Refusals()  # what the engine refused, for a while (batching.py)

    @property
    def batching(self):
        """Whether the run combines its queries: unless one query, or the engine said it cannot (for a while)."""
        return len(self.queries) > 1 and self.refusals.combining()

    @batching.setter
    def batching(self, value):  # False: as if the engine had said it cannot combine (benchmarks, tests)
        self.refusals.can_combine(value)

    def default_queries(self):
        return []

    def pending(self):
        """[(index, expr)] of the queries this run sends, and {index: message} of those left out (refused lately).
        When every query would be left out, every one is tried again: there is nothing else to protect."""
        left_out = self.refusals.left_out()
        if all(i in left_out for i, q in enumerate(self.queries) if not q.optional):
            left_out = {}
        return [(i, q.expr) for i, q in enumerate(self.queries) if i not in left_out], left_out

    def requests_per_run(self):
        # The combined requests, one unless very long, unless the engine refused them: then one per query (each
        # from the budget).
        pending, _ = self.pending()
        return len(split(pending)) if self.batching and len(pending) > 1 else len(pending)

    def check(self, _):
        """One run: fetch (one request, or one per query) -> samples -> mapping -> submissions."""
        with self.run_collection() as run:
            run.start()
            answers, gaps = self.answer(self.queries)
            reading = Reading(self)
            for query, samples in zip(self.queries, answers):
                query.read(consumed(samples), reading)
            # The readers' label-set lookups are not needed once every sample is read: freed before the points
            # are made (with 100k series they are a sixth of the reply's size).
            reading.readers.clear()
            points = reading.mapper.points()
            gaps.report_to(reading.report)
            reading.report.warnings.extend(self.reply_identity_warnings(reading.ids))
            self.drift.submit(reading.report)
            if not points:
                # No series at all is a filter that matches nothing (a wrong project, model or URL), not "no
                # traffic": idle counters still give rates of 0.
                message = ' '.join(filter(None, [*reading.report.warnings, no_points_message(reading.report)]))
                raise NoData(
                    message or 'the query API answered, but no series matched: {}.'.format(self.NO_DATA_HINT),
                    self.client.url,
                )
            run.series = self.submit_points(points, reading.report)
            run.warnings.extend(reading.report.warnings)

    def answer(self, queries):
        """(the samples of every query, the run's Gaps): combined requests where the engine allows, else one request
        per query. A refused user query, or a partial reply, is left out and said; the rest is answered."""
        gaps = Gaps()
        pending, left_out = self.pending()
        for i, message in sorted(left_out.items()):
            gaps.left_out(queries[i].label, message)
        answers = [[] for _ in queries]
        combining = self.batching and len(pending) > 1
        if combining:
            pending = self.answer_combined(queries, pending, answers, gaps)
        refused = []
        for i, expr in pending:
            query = queries[i]
            try:
                answers[i] = self.request(expr)
            except PartialReply as e:
                gaps.partial_reply(e, [query.label])
            except QueryRejected as e:
                if query.optional:
                    self.drift.once(
                        ('optional', query.label),
                        '%s: query `%s` refused (%s); left out',
                        self.PROVIDER,
                        query.label,
                        e,
                    )
                    continue
                failed = QueryRejected('query `{}` failed: {}'.format(query.label or query.expr, e), e.url)
                if not query.user:
                    raise failed from None  # the provider's own catalog: the run fails, as the provider is broken
                refused.append((i, e, failed))
        if refused and len(refused) + len(left_out) == sum(not q.optional for q in queries):
            # Every query refused: nothing to submit, and nothing learnt to remember.
            raise QueryRejected('; '.join(str(failed) for _, _, failed in refused), refused[0][1].url)
        if refused and combining:
            self.refusals.can_combine(True)  # the combined query failed for the refused ones, not for its form
        for i, e, _ in refused:
            self.refusals.refuse(i, str(e))
            gaps.left_out(queries[i].label, e, batching.QUERY_RETRY / 60)
        return answers, gaps

    def answer_combined(self, queries, pending, answers, gaps):
        """Fills `answers` from combined requests: several if the queries are too long for one. Returns the
        (index, expr) still to ask one by one: those of a refused combined request."""
        groups = split(pending)
        for n, group in enumerate(groups):
            try:
                samples = self.request(combined(group))
            except PartialReply as e:
                gaps.partial_reply(e, [queries[i].label for i, _ in group])
                continue
            except QueryRejected as e:
                if self.refusals.combine_refused(str(e)):
                    self.log.info('the query API cannot combine queries (%s); one query per request for a while', e)
                else:  # a timeout, or one bad query: this run asks each, the next combines again
                    self.log.info('the query API refused the combined query (%s); sending one query per request', e)
                return [item for rest in groups[n:] for item in rest]
            by_part = parts(samples, len(queries))
            for i, _ in group:
                answers[i] = by_part[i]
        return []

    def request(self, expr):
        with self.send(self.client.url):
            return self.client.query(expr)
