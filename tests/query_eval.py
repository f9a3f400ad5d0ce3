"""A small evaluator of the Datadog metric queries the shipped dashboards and monitors use, over the points the check
emitted (one value per series: the last run), so a test can read what a widget or monitor would show and where it
folds numbers that do not fold.

What it understands is what the builder emits, and it refuses anything else (a query it cannot read is an error,
never a widget skipped in silence):

- `<agg>:<metric>{<filter>} by {<tags>}` with `agg` in avg, sum, min, max (space aggregation across the series of a
  group); DISTRIBUTION aggregators (`p99:` ...) over the distribution buckets the check submitted: the percentile of
  every bucket of the group merged (interpolated within a bucket, as histogram_quantile reads buckets; Datadog's
  sketches differ within a bucket's width), the percentile of the group's population, never a fold;
- filters in either Datadog syntax: comma-separated (`provider:x,$model,!tag:v`) or boolean (`AND`, `OR`, `NOT`,
  `IN (...)`, `NOT IN (...)`, parentheses); template variables (`$name`) are set to `*`;
- `.as_count()`, `.as_rate()`, `.rollup(...)`: time functions, no effect on one point per series;
- `default_zero(<query>)`: a group the query has no value for is 0 where a formula joins it with others (a sparse
  gauge, such as the errors of a provider that sends no error series while nothing fails);
- formulas over `query1..n` (`+ - * /`, numbers, parentheses), and monitor queries `<time agg>(<window>): <expr>
  <comparator> <threshold>` with the queries inline (`change(...)` too);
- metric-based SLOs: numerator and denominator, expressions of inline queries, read as one formula, numerator over
  denominator (the SLI of the points: good over total events).

Groups are matched across the queries of a formula on their `by` tags, as Datadog does; a group missing from one
query has no value. A series without a `by` tag is in that tag's `N/A` group.

Percentiles: a series is a percentile series when it carries a `quantile:` tag. `Evaluation.folds` lists every group
in which avg, sum or min combined several of them (a number that is no percentile of anything), and every group in
which `max` did, which the caller accepts only when the widget says it shows the worst series.
"""

import operator
import re
from dataclasses import dataclass, field, replace

FOLDS = {'avg': lambda v: sum(v) / len(v), 'sum': sum, 'min': min, 'max': max}
# Distribution percentiles: Datadog computes them over every point of the slice (the check does not submit any yet).
DISTRIBUTION = re.compile(r'^p(\d+(?:\.\d+)?)$')
TIME_FUNCTIONS = ('as_count', 'as_rate', 'rollup')
NA = 'N/A'
QUERY = re.compile(
    r'(?P<agg>[a-z0-9.]+):(?P<metric>[a-z_][a-z0-9_.]*)\{(?P<filter>[^}]*)\}'
    r'(?:\s*by\s*\{(?P<by>[^}]*)\})?(?P<functions>(?:\.[a-z_]+\([^)]*\))*)'
)
FUNCTION = re.compile(r'\.([a-z_]+)\(([^)]*)\)')
DEFAULT_ZERO = re.compile(r'^\s*default_zero\((.*)\)\s*$')
# A query inline in an expression (a monitor's, an SLO's), default_zero(...) included.
_INLINE = re.sub(r'\(\?P<\w+>', '(?:', QUERY.pattern)
INLINE = re.compile(r'default_zero\(\s*(?:{0})\s*\)|(?:{0})'.format(_INLINE))
MONITOR = re.compile(
    r'^\s*(?:change\([a-z]+\(last_\w+\),\s*last_\w+\)|[a-z]+\(last_\w+\))\s*:(.*?)(?:[<>]=?)\s*[-\d.]+\s*$'
)


class QueryError(Exception):
    """A query this evaluator does not understand."""


@dataclass(frozen=True)
class Point:
    metric: str
    value: float
    tags: frozenset

    def tag(self, key):
        """The value of tag `key`, or None."""
        for tag in self.tags:
            name, _, value = tag.partition(':')
            if name == key:
                return value
        return None


def points_of(aggregator, namespace='llm_inference.'):
    """The points a check submitted to the `aggregator` stub (the last one of each series)."""
    series = {}
    for name in aggregator.metric_names:
        if name.startswith(namespace):
            for m in aggregator.metrics(name):
                series[(name, frozenset(m.tags))] = m.value
    found = [Point(name, value, tags) for (name, tags), value in series.items()]
    # Distribution buckets: one point per bucket, its value (lower bound, upper bound, count).
    for name, buckets in aggregator._histogram_buckets.items():
        if name.startswith(namespace):
            found += [Point(name, (b.lower_bound, b.upper_bound, b.value), frozenset(b.tags)) for b in buckets]
    return found


def distribution_percentile(q, buckets):
    """The q-quantile of (lower, upper, count) buckets merged, linear within a bucket; None without counts."""
    buckets = sorted(buckets, key=lambda b: (b[1], b[0]))
    total = sum(count for _, _, count in buckets)
    if total <= 0:
        return None
    rank, seen = q * total, 0
    for lower, upper, count in buckets:
        if count and seen + count >= rank:
            if upper == float('inf'):
                return lower
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return buckets[-1][0]


# --- filters ---------------------------------------------------------------------------------------------------------

TOKEN = re.compile(r'\s*(\(|\)|,|!|[^\s(),!]+)')


def _tokens(text):
    tokens, at = [], 0
    text = text.strip()
    while at < len(text):
        match = TOKEN.match(text, at)
        if not match or match.end() == at:
            raise QueryError('cannot read filter {!r} at {}'.format(text, at))
        tokens.append(match.group(1))
        at = match.end()
    return tokens


class Filter:
    """A predicate over a series' tags, from a filter in either syntax (Datadog forbids mixing them)."""

    def __init__(self, text):
        self.text = text
        self.tokens = _tokens(text)
        words = {t.upper() for t in self.tokens}
        self.boolean = bool(words & {'AND', 'OR', 'NOT', 'IN'})
        if self.boolean and ('!' in self.tokens or ',' in self._outside_lists()):
            raise QueryError('filter {!r} mixes `,`/`!` with AND/OR/NOT/IN, which Datadog refuses'.format(text))
        self.variables = {t[1:] for t in self.tokens if t.startswith('$')}
        self.keys = set(self.variables)  # every tag key the filter names, template variables' included
        self.at = 0
        self.test = self._or() if self.boolean else self._commas()
        if self.at != len(self.tokens):
            raise QueryError('cannot read filter {!r}'.format(text))

    def _outside_lists(self):
        depth_in_list, found, previous = False, [], None
        for token in self.tokens:
            if token == '(' and previous and previous.upper() == 'IN':
                depth_in_list = True
            elif token == ')' and depth_in_list:
                depth_in_list = False
            elif not depth_in_list:
                found.append(token)
            previous = token
        return found

    def _peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self, expected=None):
        token = self._peek()
        if token is None or (expected and token.upper() != expected):
            raise QueryError('filter {!r}: expected {} at token {}'.format(self.text, expected or 'more', self.at))
        self.at += 1
        return token

    def _commas(self):
        terms = [self._atom_or_negation()]
        while self._peek() == ',':
            self._take()
            terms.append(self._atom_or_negation())
        return lambda tags: all(term(tags) for term in terms)

    def _atom_or_negation(self):
        if self._peek() == '!':
            self._take()
            term = self._atom()
            return lambda tags: not term(tags)
        return self._atom()

    def _chain(self, word, operand, combine):
        terms = [operand()]
        while (self._peek() or '').upper() == word:
            self._take()
            terms.append(operand())
        return lambda tags: combine(term(tags) for term in terms)

    def _or(self):
        return self._chain('OR', self._and, any)

    def _and(self):
        return self._chain('AND', self._not, all)

    def _not(self):
        if (self._peek() or '').upper() == 'NOT':
            self._take()
            term = self._not()
            return lambda tags: not term(tags)
        if self._peek() == '(':
            self._take()
            term = self._or()
            self._take(')')
            return term
        token = self._peek()
        following = [t.upper() for t in self.tokens[self.at + 1 : self.at + 3]]
        if token and ':' not in token and not token.startswith('$') and following[:1] == ['IN']:
            return self._in(negate=False)
        if token and ':' not in token and following == ['NOT', 'IN']:
            return self._in(negate=True)
        return self._atom()

    def _in(self, negate):
        key = self._take()
        if negate:
            self._take('NOT')
        self._take('IN')
        self._take('(')
        values = {self._take()}
        while self._peek() == ',':
            self._take()
            values.add(self._take())
        self._take(')')
        self.keys.add(key)
        wanted = {'{}:{}'.format(key, value) for value in values}
        return lambda tags: bool(wanted & tags) != negate

    def _atom(self):
        token = self._take()
        if token == '*' or token.startswith('$'):  # template variables are set to `*`
            return lambda tags: True
        if ':' not in token or token.endswith('*'):
            raise QueryError('filter {!r}: {!r} is no `key:value` tag nor a template variable'.format(self.text, token))
        self.keys.add(token.split(':', 1)[0])
        return lambda tags: token in tags


# --- queries and formulas --------------------------------------------------------------------------------------------


@dataclass
class Group:
    """One group of a query: its series (points) and their aggregate."""

    key: tuple
    points: list
    value: float


@dataclass
class Query:
    text: str
    agg: str
    metric: str
    filter: Filter
    by: tuple
    default_zero: bool = False  # a missing group is 0 in a formula

    @classmethod
    def parse(cls, text):
        wrapped = DEFAULT_ZERO.match(text)
        if wrapped:
            return replace(cls.parse(wrapped.group(1)), text=text, default_zero=True)
        match = QUERY.fullmatch(text.strip())
        if match is None:
            raise QueryError('cannot read query {!r}'.format(text))
        agg = match.group('agg')
        if agg not in FOLDS and not DISTRIBUTION.match(agg):
            raise QueryError('{!r}: unknown aggregator {!r}'.format(text, agg))
        for name, _ in FUNCTION.findall(match.group('functions') or ''):
            if name not in TIME_FUNCTIONS:
                raise QueryError('{!r}: unknown function .{}()'.format(text, name))
        by = tuple(t.strip() for t in (match.group('by') or '').split(',') if t.strip())
        return cls(text, agg, match.group('metric'), Filter(match.group('filter')), by)

    @property
    def distribution(self):
        return DISTRIBUTION.match(self.agg) is not None

    def selected(self, points):
        return [p for p in points if p.metric == self.metric and self.filter.test(p.tags)]

    def groups(self, points):
        """{group key: Group}: the selected series by their `by` tags, aggregated with `agg`."""
        grouped = {}  # a series without a `by` tag is in its N/A group, as in Datadog
        for p in self.selected(points):
            key = tuple(p.tag(tag) or NA for tag in self.by)
            grouped.setdefault(key, []).append(p)
        if self.distribution:
            # The percentile of every bucket of the group: nothing folds (a gauge point here is a query error, and so
            # are points without any distribution: nothing to evaluate it over).
            if not any(isinstance(p.value, tuple) for p in points):
                raise QueryError('{!r}: no distribution was submitted'.format(self.text))
            if any(not isinstance(p.value, tuple) for ps in grouped.values() for p in ps):
                raise QueryError(
                    '{!r}: a percentile aggregator over a metric that is no distribution'.format(self.text)
                )
            q = float(DISTRIBUTION.match(self.agg).group(1)) / 100
            values = {key: distribution_percentile(q, [p.value for p in ps]) for key, ps in grouped.items()}
            return {key: Group(key, [], value) for key, value in values.items() if value is not None}
        if any(isinstance(p.value, tuple) for ps in grouped.values() for p in ps):
            raise QueryError('{!r}: a distribution needs a percentile aggregator (p50: ...)'.format(self.text))
        return {key: Group(key, ps, FOLDS[self.agg]([p.value for p in ps])) for key, ps in grouped.items()}


FORMULA_TOKEN = re.compile(r'\s*(query\d+|\d+(?:\.\d+)?|[-+*/()])')
OPERATORS = {'+': operator.add, '-': operator.sub, '*': operator.mul, '/': operator.truediv}


def _formula_tokens(formula):
    tokens, at = [], 0
    while at < len(formula.rstrip()):
        match = FORMULA_TOKEN.match(formula, at)
        if not match:
            raise QueryError('cannot read formula {!r} at {}'.format(formula, at))
        tokens.append(match.group(1))
        at = match.end()
    return tokens


def evaluate_formula(formula, values):
    """`formula` over {name: number}: its value, or None when a query it names has none (or a division by 0)."""
    tokens = _formula_tokens(formula)
    at = [0]

    def peek():
        return tokens[at[0]] if at[0] < len(tokens) else None

    def take():
        at[0] += 1
        return tokens[at[0] - 1]

    def expression(level):
        ops = ('+', '-') if level == 0 else ('*', '/')
        left = expression(1) if level == 0 else operand()
        while peek() in ops:
            op = take()
            right = expression(1) if level == 0 else operand()
            if left is None or right is None or (op == '/' and right == 0):
                left = None
            else:
                left = OPERATORS[op](left, right)
        return left

    def operand():
        token = take()
        if token == '(':
            value = expression(0)
            if take() != ')':
                raise QueryError('formula {!r}: unbalanced parentheses'.format(formula))
            return value
        if token.startswith('query'):
            if token not in values:
                raise QueryError('formula {!r} names {}, which is no query of its request'.format(formula, token))
            return values[token]
        return float(token)

    value = expression(0)
    if at[0] != len(tokens):
        raise QueryError('cannot read formula {!r}'.format(formula))
    return value


@dataclass
class Fold:
    """A group of a percentile query in which several percentile series were combined."""

    query: str
    agg: str
    key: tuple
    series: list  # the tags of each series

    def __str__(self):
        return '{} combines {} percentile series in group {}: {}'.format(
            self.agg, len(self.series), self.key, sorted(sorted(s) for s in self.series)
        )


@dataclass
class Evaluation:
    """What a request (or a monitor) shows: {formula: {group key: value}}, and its queries' percentile folds."""

    queries: dict  # name -> Query
    values: dict = field(default_factory=dict)
    folds: list = field(default_factory=list)


def is_percentile(point):
    return point.tag('quantile') is not None


def evaluate(queries, formulas, points):
    """Evaluates a request: `queries` {name: query text}, `formulas` [formula text] over `points`."""
    parsed = {name: Query.parse(text) for name, text in queries.items()}
    result = Evaluation(parsed)
    grouped = {}
    for name, query in parsed.items():
        grouped[name] = query.groups(points)
        for group in grouped[name].values():
            percentiles = [p for p in group.points if is_percentile(p)]
            if len(percentiles) > 1:
                result.folds.append(Fold(query.text, query.agg, group.key, [p.tags for p in percentiles]))
    for formula in formulas:
        names = sorted(set(re.findall(r'query\d+', formula)))
        shapes = {parsed[n].by for n in names if n in parsed}
        if len(shapes) > 1:
            raise QueryError('formula {!r} joins queries grouped differently: {}'.format(formula, sorted(shapes)))
        keys = set().union(*(grouped[n].keys() for n in names if n in grouped)) if names else set()
        values = {}
        for key in keys:
            present = {n: grouped[n][key].value for n in names if n in grouped and key in grouped[n]}
            present.update({n: 0.0 for n in names if n in parsed and parsed[n].default_zero and n not in present})
            if len(present) == len(names):
                value = evaluate_formula(formula, present)
                if value is not None:
                    values[key] = value
        result.values[formula] = values
    return result


def expression_formula(expression, queries):
    """An expression of inline queries as a formula over names added to `queries` ({name: query text})."""

    def name(found):
        queries['query{}'.format(len(queries) + 1)] = found.group(0)
        return 'query{}'.format(len(queries))

    return INLINE.sub(name, expression).strip()


def monitor_request(query):
    """A metric monitor's query as a request: ({name: query text}, [formula])."""
    match = MONITOR.match(query)
    if match is None:
        raise QueryError('cannot read monitor query {!r}'.format(query))
    queries = {}
    return queries, [expression_formula(match.group(1), queries)]


# --- the shipped assets ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request of a widget, or a monitor's query: where it is, the title it is shown under, its queries."""

    where: str
    title: str
    queries: dict
    formulas: tuple


def dashboard_requests(name, dashboard):
    """Every metric request of a dashboard; a `$variable` its template variables do not declare is an error."""
    declared = {v['name'] for v in dashboard.get('template_variables', ())}

    def walk(widgets):
        for widget in widgets:
            definition = widget['definition']
            if definition['type'] == 'group':
                yield from walk(definition['widgets'])
                continue
            for request in definition.get('requests', ()):
                queries = {q['name']: q['query'] for q in request['queries'] if q['data_source'] == 'metrics'}
                if len(queries) != len(request['queries']):
                    raise QueryError('{}: {!r} has a query of another source'.format(name, definition['title']))
                for text in queries.values():
                    undeclared = Query.parse(text).filter.variables - declared
                    if undeclared:
                        raise QueryError('{}: {!r} uses undeclared {}'.format(name, text, sorted(undeclared)))
                formulas = tuple(f['formula'] for f in request['formulas'])
                yield Request('{}: {}'.format(name, definition['title']), definition['title'], queries, formulas)

    return list(walk(dashboard['widgets']))


def monitor_requests(name, monitor):
    """A metric monitor's query as a request; a service check or burn-rate monitor has none (it reads no metric: a
    burn rate is its SLO's, read by `slo_request`)."""
    definition = monitor['definition']
    if definition['type'] in ('service check', 'slo alert'):
        return []
    if definition['type'] != 'query alert':
        raise QueryError('{}: monitor type {!r} is not read by this evaluator'.format(name, definition['type']))
    queries, formulas = monitor_request(definition['query'])
    return [Request('monitor ' + name, definition['name'], queries, tuple(formulas))]


def slo_request(name, slo):
    """A metric-based SLO as a request whose one formula is its SLI: (numerator) / (denominator)."""
    if slo.get('type') != 'metric':
        raise QueryError('{}: SLO type {!r} is not read by this evaluator'.format(name, slo.get('type')))
    queries = {}
    numerator = expression_formula(slo['query']['numerator'], queries)
    denominator = expression_formula(slo['query']['denominator'], queries)
    formula = '({}) / ({})'.format(numerator, denominator)
    return Request('SLO ' + name, slo['name'], queries, (formula,))


# --- what the tests refuse -------------------------------------------------------------------------------------------

ERRORS, REQUESTS = 'llm_inference.errors.rate', 'llm_inference.requests.rate'


def problems(request, points, reporting):
    """What `request` shows that is not what it says, over `points`: percentiles averaged, summed or min-ed across
    series (or max-ed under a title that does not say "worst"), and an error share whose requests include providers
    outside `reporting` (the providers that report errors)."""
    found = []
    evaluation = evaluate(request.queries, request.formulas, points)
    for fold in evaluation.folds:
        if fold.agg != 'max':
            found.append('{}: {}'.format(request.where, fold))
        elif 'worst' not in request.title.lower():
            found.append('{}: {}, under a title that does not say it is the worst'.format(request.where, fold))
    metrics = {q.metric for q in evaluation.queries.values()}
    if ERRORS in metrics and any('/' in f for f in request.formulas):
        for query in evaluation.queries.values():
            if query.metric == REQUESTS:
                outside = sorted({p.tag('provider') for p in query.selected(points)} - set(reporting))
                if outside:
                    found.append(
                        '{}: the error share divides by requests of {}, which report no errors ({})'.format(
                            request.where, outside, query.text
                        )
                    )
    return found
