# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The query providers' shared check: a provider is a declared list of queries; users add their own.

All queries of a run go out as one request where the engine allows (each part marked with `label_replace`,
joined with `or`), since the providers ration requests; if the combined form is refused, one request per query.
Everything is answered before anything is submitted, so a failed run submits nothing.
"""

import re
from dataclasses import dataclass, field

from datadog_checks.base import AgentCheck, ConfigurationError

from .specs import AVG, KEEP, NAMESPACE, RESERVED_TAGS, SUM, Gauge
from .drift import DriftLog, RunReport, no_points_message
from .errors import NoData, QueryError, QueryRejected, redact_url
from .labels import LabelMap, LabelReader
from .mapping import Mapper, MappingOptions
from .promql_client import PromQLClient
from .provider import ProviderMixin

MARKER = 'llm_inference_query'
METRIC_NAME = re.compile(r'^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$')
TYPES = ('gauge', 'count', 'rate')
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
            reader = self.readers[id(label_map)] = LabelReader(label_map, self.check.base_tags, self.options.exclude)
        return reader


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
        object.__setattr__(self, 'spec', Gauge(self.name, tags=self.tags, combine=combine, kind=self.type))

    def read(self, samples, reading):
        reader, mapper = reading.reader(self.label_map), reading.mapper
        for labels, value in samples:
            mapper.add(self.spec, reader.context(labels), value)


def parse_user_queries(raw):
    """UserQuery objects from the `queries` option; a bad entry is a ConfigurationError that names it."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigurationError('`queries` must be a list of mappings with `query`, `name` and optional `type`.')
    parsed = []
    for i, entry in enumerate(raw):
        where = 'queries[{}]'.format(i)
        if isinstance(entry, dict) and isinstance(entry.get('name'), str):
            where += ' (`{}`)'.format(entry['name'])

        def fail(problem):
            raise ConfigurationError('{}: {}'.format(where, problem))

        if not isinstance(entry, dict):
            fail('must be a mapping with `query`, `name` and optional `type`, `labels`, `rename_labels`, `tags`.')
        unknown = set(entry) - {'query', 'name', 'type', 'labels', 'rename_labels', 'tags', 'aggregate'}
        if unknown:
            fail(
                'unknown keys {}; allowed: query, name, type, labels, rename_labels, tags, aggregate.'.format(
                    sorted(unknown)
                )
            )
        expr, name = entry.get('query'), entry.get('name')
        if not isinstance(expr, str) or not expr.strip():
            fail('`query` must be a non-empty PromQL expression.')
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            fail(
                '`name` must be a metric name such as `requests.rate` (lower case, dots); it is submitted under '
                '`llm_inference.`.'
            )
        kind = entry.get('type', 'gauge')
        if kind not in TYPES:
            fail('`type` must be one of {}.'.format(', '.join(TYPES)))
        labels = entry.get('labels', [])
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            fail('`labels` must be a list of label names to keep.')
        rename = entry.get('rename_labels', {})
        if not isinstance(rename, dict) or not all(isinstance(v, str) for v in rename.values()):
            fail('`rename_labels` must map label names to tag names.')
        reserved = sorted(set(rename.values()) & RESERVED_TAGS)
        if reserved:
            fail('`rename_labels` may not produce tags the Agent reserves: {}.'.format(', '.join(reserved)))
        tags = entry.get('tags', [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            fail('`tags` must be a list of `key:value` strings.')
        aggregate = entry.get('aggregate', '')
        if aggregate and aggregate not in AGGREGATES:
            fail('`aggregate` must be `sum` (rates, counts) or `avg` (averaged gauges).')
        parsed.append(UserQuery(name, expr.strip(), kind, tuple(labels), dict(rename), tuple(tags), aggregate))
    return parsed


class QueryCheck(ProviderMixin, AgentCheck):
    __NAMESPACE__ = NAMESPACE
    DEFAULT_URL = ''
    SCOPE_OPTION = 'api_url'  # the option that decides which series the queries see

    def __init__(self, name, init_config, instances):
        super().__init__(name, init_config, instances)
        self.setup_provider()
        method = str(self.instance.get('method', 'GET')).upper()
        if method not in ('GET', 'POST'):
            raise ConfigurationError('`method` must be GET or POST.')
        self.mapping = MappingOptions(self.instance)
        self.drift = DriftLog(self)
        self.run_report = None
        user_queries = parse_user_queries(self.instance.get('queries'))
        self.queries = self.default_queries() + [Query(q.expr, q.read, q.name) for q in user_queries]
        self.api_url = self.instance.get('api_url') or self.DEFAULT_URL.format(**self.instance)
        # Every request through the check's budget and deadline (transport.py).
        self.transport.install(self.http)
        if self.api_key:
            self.http.options['headers']['Authorization'] = 'Bearer {}'.format(self.api_key)
        self.client = PromQLClient(
            self.http,
            self.api_url,
            method,
            nocache=bool(self.instance.get('nocache', True)),
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
        self.run_collection(self.collect)

    def collect(self):
        answers = self.answer(self.queries)
        reading = Reading(self)
        for query, samples in zip(self.queries, answers):
            query.read(samples, reading)
        points = reading.mapper.points()
        reading.report.members = reading.mapper.members
        self.run_report = reading.report
        self.drift.submit(reading.report)
        if not points:
            raise self.nothing_to_submit(reading)
        self.submit_points(points)

    def nothing_to_submit(self, reading):
        where = redact_url(self.client.url)
        message = no_points_message(self.PROVIDER, 'the query API', reading.report)
        if message:
            return NoData('{} URL: {}'.format(message, where))
        # No series at all is a filter that matches nothing (a wrong project, model or URL), not "no traffic":
        # idle counters still give rates of 0.
        return NoData(
            '{}: the query API answered, but no series matched: check `{}` and that the key can see this '
            'data. URL: {}'.format(self.PROVIDER, self.SCOPE_OPTION, where)
        )

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
                    raise QueryError('{}: the combined query failed: {}'.format(self.PROVIDER, e)) from None
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
                raise QueryError(
                    '{}: query `{}` failed: {}'.format(self.PROVIDER, query.label or query.expr, e)
                ) from None
        return answers

    def request(self, expr):
        try:
            samples = self.client.query(expr)
        except QueryRejected:
            self.note_request('query_error')
            raise
        except QueryError as e:
            self.note_request('invalid_reply')
            raise QueryError('{}: {} URL: {}'.format(self.PROVIDER, e, redact_url(self.client.url))) from None
        except Exception as e:
            # A CollectionError (the budget spent) passes as it is; the run's deadline becomes its message.
            raise self.request_failure(e, self.client.url) from None
        self.note_request('ok')
        return samples
