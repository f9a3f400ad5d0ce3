# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The query providers' shared check: a provider is a declared list of queries; users add their own.

All queries of a run go out as one request where the engine allows (each part marked with `label_replace`,
joined with `or`), since the providers ration requests; if the combined form is refused, one request per query.
Everything is answered before anything is submitted, so a failed run submits nothing.
"""

from dataclasses import dataclass, field

from datadog_checks.base import AgentCheck

from .specs import AVG, KEEP, NAMESPACE, SUM, Gauge
from .buckets import Buckets
from .drift import RunReport, no_points_message
from .errors import NoData, QueryRejected
from .labels import LabelMap, LabelReader
from .mapping import Mapper
from .promql_client import PromQLClient
from .provider import ProviderMixin

MARKER = 'llm_inference_query'
AGGREGATES = {'sum': SUM, 'avg': AVG}


@dataclass(frozen=True)
class Query:
    """One PromQL expression and what its samples become: ``read(samples, reading)`` feeds them to the run's
    mapper (see Reading). An `optional` query that the engine refuses is left out of the run, not a failure."""

    expr: str
    read: object
    label: str = ''  # how messages name it
    optional: bool = False


class Reading:
    """One run's mapping: the mapper, its report, and a label reader per label map."""

    def __init__(self, check):
        self.check = check
        self.options = check.mapping
        self.report = RunReport()
        self.mapper = Mapper(check.mapping, self.report, check.drift)
        self.readers = {}

    def reader(self, label_map):
        reader = self.readers.get(id(label_map))
        if reader is None:
            reader = self.readers[id(label_map)] = LabelReader(
                label_map, self.check.base_tags, self.options.aggregate, self.check.canonical
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

    Two samples whose kept labels are equal are added (`aggregate: sum`) or averaged (`aggregate: avg`); without
    `aggregate` they are not submitted (reported as a collision): which one would Datadog keep?
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
        combine = AGGREGATES.get(self.aggregate, KEEP)
        object.__setattr__(self, 'spec', Gauge(self.name, tags=self.tags, combine=combine, kind=self.type, nonnegative=False))

    def read(self, samples, reading):
        reader, mapper = reading.reader(self.label_map), reading.mapper
        for labels, value in samples:
            mapper.add(self.spec, reader.context(labels), value)


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
        self.queries = self.default_queries() + [Query(q.expr, q.read, q.name) for q in user_queries(config.queries)]
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
        # None: not tried yet; True: the engine answers the combined query; False: it refused, one per query.
        self.batching = None if len(self.queries) > 1 else False

    def default_queries(self):
        return []

    def requests_per_run(self):
        # One combined request, unless the engine refused it: then one per query (each from the budget).
        return len(self.queries) if self.batching is False else 1

    def check(self, _):
        """One run: fetch (one request, or one per query) -> samples -> mapping -> submissions."""
        with self.run_collection() as run:
            run.start()
            answers = self.answer(self.queries)
            reading = Reading(self)
            for query, samples in zip(self.queries, answers):
                query.read(consumed(samples), reading)
            points = reading.mapper.points()
            self.drift.submit(reading.report)
            if not points:
                # No series at all is a filter that matches nothing (a wrong project, model or URL), not "no
                # traffic": idle counters still give rates of 0.
                message = no_points_message(reading.report)
                raise NoData(
                    message or 'the query API answered, but no series matched: {}.'.format(self.NO_DATA_HINT),
                    self.client.url,
                )
            run.series = self.submit_points(points, reading.report)

    def answer(self, queries):
        """The samples of every query, in one request where possible."""
        if self.batching is not False:
            combined = ' or '.join(
                'label_replace(({}), "{}", "{}", "", "")'.format(q.expr, MARKER, i) for i, q in enumerate(queries)
            )
            try:
                samples = self.request(combined)
            except QueryRejected as e:
                if self.batching:
                    raise QueryRejected('the combined query failed: {}'.format(e), e.url) from None
                self.log.info('the query API refused the combined query (%s); sending one query per request', e)
                self.batching = False
            else:
                self.batching = True
                parts = [[] for _ in queries]
                for labels, value in samples:
                    index = labels.pop(MARKER, None)
                    if index is not None and index.isdigit() and int(index) < len(parts):
                        parts[int(index)].append((labels, value))
                return parts
        answers = []
        for query in queries:
            try:
                answers.append(self.request(query.expr))
            except QueryRejected as e:
                if query.optional:
                    self.drift.once(
                        ('optional', query.label),
                        '%s: query `%s` refused (%s); left out',
                        self.PROVIDER,
                        query.label,
                        e,
                    )
                    answers.append([])
                    continue
                raise QueryRejected('query `{}` failed: {}'.format(query.label or query.expr, e), e.url) from None
        return answers

    def request(self, expr):
        with self.send(self.client.url):
            return self.client.query(expr)
