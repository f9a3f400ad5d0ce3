"""Property-based tests (hypothesis): the quantile computation, the PromQL decoder and the exposition parser."""

import json
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from datadog_checks.llm_inference.errors import CollectionError
from datadog_checks.llm_inference.exposition import ExpositionError, number, parse_labels, parse_lines
from datadog_checks.llm_inference.histogram import bucket_quantile
from datadog_checks.llm_inference.promql_client import decode


def parse_samples(text):
    """Every sample of `text` as (name, labels, value), labels and value parsed, as the check reads the ones it maps."""
    return [(name, parse_labels(labels) if labels else {}, number(value)) for name, labels, value in parse_lines(text)]


FINITE = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
COUNTS = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def bucket_sets(draw):
    """2 to 20 buckets with distinct finite bounds plus +Inf, cumulative counts (sometimes not monotonic)."""
    bounds = sorted(draw(st.sets(FINITE, min_size=1, max_size=19)))
    counts = draw(st.lists(COUNTS, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    if draw(st.booleans()):
        counts = sorted(counts)  # proper cumulative counts; otherwise exercise the monotonic fix-up
    buckets = list(zip(bounds + [math.inf], counts))
    return draw(st.permutations(buckets))


@settings(max_examples=300, deadline=None)
@given(bucket_sets(), st.floats(0, 1), st.floats(0, 1))
def test_quantile_monotone_and_inside_the_buckets(buckets, q1, q2):
    low, high = sorted((q1, q2))
    v_low, v_high = bucket_quantile(low, buckets), bucket_quantile(high, buckets)
    if v_low is None and low * max(count for _, count in buckets) > 0:
        assert v_high is None  # no observations: no value at any quantile (a rank of 0 may be 0/0 alone)
    if v_low is None or v_high is None:
        return
    assert v_low <= v_high * (1 + 1e-12) + 1e-12
    finite = sorted(b for b, _ in buckets if not math.isinf(b))
    for v in (v_low, v_high):
        assert min(0.0, finite[0]) <= v <= finite[-1]


def _vector_literal(buckets):
    return ' or '.join(
        'label_replace(vector({!r}), "le", "{}", "", "")'.format(count, '+Inf' if math.isinf(bound) else repr(bound))
        for bound, count in buckets
    )


@pytest.mark.integration
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bucket_sets(), st.floats(0, 1))
def test_quantile_equals_a_real_prometheus(crusoe_engine, buckets, q):
    """The same buckets given to a real Prometheus's histogram_quantile (as literal vectors) give the same value."""
    engine, _ = crusoe_engine
    reply = engine.query('histogram_quantile({!r}, {})'.format(q, _vector_literal(buckets)))
    assert reply['status'] == 'success', reply
    result = reply['data']['result']
    ours = bucket_quantile(q, buckets)
    if not result or result[0]['value'][1] == 'NaN':
        assert ours is None
    else:
        assert ours == pytest.approx(float(result[0]['value'][1]), rel=1e-9, abs=1e-12)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
ENVELOPES = st.fixed_dictionaries(
    {
        'status': st.sampled_from(['success', 'error', 'x']),
        'data': st.fixed_dictionaries(
            {'resultType': st.sampled_from(['vector', 'matrix', 'scalar', 'string', 'other']), 'result': JSON_VALUES}
        ),
    },
    optional={'errorType': JSON_VALUES, 'error': JSON_VALUES, 'warnings': JSON_VALUES},
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(JSON_VALUES, ENVELOPES))
def test_decoder_raises_only_its_own_errors(payload):
    for form in (payload, json.dumps(payload), json.dumps(payload).encode()):
        try:
            samples, warnings = decode(form)
        except CollectionError:
            continue
        for labels, value in samples:
            assert isinstance(labels, dict) and math.isfinite(value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_decoder_on_arbitrary_bytes(raw):
    try:
        decode(raw)
    except CollectionError:
        pass


# --- the exposition parser against prometheus_client ------------------------------------------------------------

METRIC_NAMES = st.from_regex(r'\A[a-zA-Z_:][a-zA-Z0-9_:]{0,20}\Z')
LABEL_NAMES = st.from_regex(r'\A[a-zA-Z][a-zA-Z0-9_]{0,10}\Z')
LABEL_VALUES = st.text(alphabet=st.characters(blacklist_categories=['Cs'], blacklist_characters='\r'), max_size=12)
VALUES = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**12), 10**12)


def _escape(value):
    return value.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _format(value):
    if isinstance(value, float) and math.isnan(value):
        return 'NaN'
    if isinstance(value, float) and math.isinf(value):
        return '+Inf' if value > 0 else '-Inf'
    return repr(value)


@st.composite
def expositions(draw):
    names = draw(st.lists(METRIC_NAMES, min_size=1, max_size=5, unique=True))
    lines, expected = [], []
    for name in names:
        if name.endswith(('_total', '_created', '_bucket', '_count', '_sum', '_info')):
            name += '_x'  # suffixes prometheus_client treats specially in typed families
        if draw(st.booleans()):
            lines.append('# HELP {} {}'.format(name, _escape(draw(LABEL_VALUES))))
        if draw(st.booleans()):
            lines.append('# TYPE {} {}'.format(name, draw(st.sampled_from(['gauge', 'untyped']))))
        for _ in range(draw(st.integers(1, 3))):
            labels = draw(st.dictionaries(LABEL_NAMES, LABEL_VALUES, max_size=3))
            value = draw(VALUES)
            inner = ','.join('{}="{}"'.format(k, _escape(v)) for k, v in labels.items())
            line = name + ('{' + inner + '}' if labels or draw(st.booleans()) else '')
            line += ' ' + _format(value)
            if draw(st.booleans()):
                line += ' ' + str(draw(st.integers(0, 2**40)))
            lines.append(line)
            expected.append((name, labels, float(value)))
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(['', '# a comment', '#', '   '])))
    return '\n'.join(lines) + '\n', expected


def _same(a, b):
    return len(a) == len(b) and all(
        x[0] == y[0] and x[1] == y[1] and (x[2] == y[2] or (math.isnan(x[2]) and math.isnan(y[2])))
        for x, y in zip(a, b)
    )


def _reference(text):
    return [(s.name, dict(s.labels), s.value) for f in text_string_to_metric_families(text) for s in f.samples]


@settings(max_examples=400, deadline=None)
@given(expositions())
def test_parser_matches_prometheus_client(exposition):
    text, expected = exposition
    ours = parse_samples(text)
    assert _same(ours, expected)
    assert _same(ours, _reference(text))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab_:{}="\\, \t\n#0123456789.eE+-NaInf')), max_size=60))
def test_parser_on_malformed_text(text):
    """Whatever we accept, prometheus_client accepts with the same samples; the rest is a clear error."""
    try:
        ours = parse_samples(text)
    except ExpositionError as e:
        assert str(e).startswith(('line ', 'malformed labels', 'label `')) or 'is not a number' in str(e), str(e)
        return
    try:
        reference = _reference(text)
    except Exception:
        assume(False)  # prometheus_client refuses where we accept: reported below if it ever happens
        return
    assert _same(ours, reference)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab #\n\t{}="1')), max_size=80))
def test_fast_path_never_overcounts_skipped_lines(text):
    """The fast path trusts a count of comment and blank lines: it must never exceed the real count."""
    from datadog_checks.llm_inference.exposition import _count_skipped, _parse_lines_slowly, parse_lines

    real = sum(1 for line in text.split('\n') if not line.strip() or line.strip()[0] == '#')
    assert _count_skipped(text) <= real
    if text and not text.endswith('\n'):
        # Every line of the format ends with a newline: without the last one the text is refused (cut off or
        # malformed), whatever the fast path would say; with it, the comparison below holds.
        with pytest.raises(ExpositionError):
            parse_lines(text)
        text += '\n'
    try:
        slow = _parse_lines_slowly(text)
    except ExpositionError:
        with pytest.raises(ExpositionError):
            parse_samples(text)  # the fast path leaves values to number(), which refuses the same ones
        return
    assert parse_lines(text) == slow


# --- labels: no two series become one context ------------------------------------------------------------------

EXTRA_LABELS = ['region', 'host', 'env', 'window', 'model', 'backend_id', 'replica', 'zone', 'service', 'pod']
# Fireworks' mapped labels and the tag each becomes (an exclusion may name either).
FIREWORKS_KEYS = {
    'base_model': 'model',
    'deployment_id': 'deployment',
    'http_code': 'status_code',
    'code': 'status_code',
}
SCRAPED = {
    # raw name -> (provider, catalog metric, how its series combine)
    'request_counter_total:sum_by_deployment': ('fireworks', 'requests.rate', 'sum'),
    'requests_error_total:sum_by_deployment': ('fireworks', 'errors.rate', 'sum'),
    'generator_kv_blocks_fraction:avg_by_deployment': ('fireworks', 'kv_cache.usage', 'avg'),
    'wafer_ttft_seconds': ('wafer', 'time_to_first_token.seconds', 'keep'),
}


@st.composite
def labelled_payloads(draw):
    """Distinct series of one metric with extra labels, written with their labels in any order, one spelling of
    the status label per reply; and a random `exclude_labels`."""
    raw = draw(st.sampled_from(sorted(SCRAPED)))
    provider = SCRAPED[raw][0]
    extra = draw(st.lists(st.sampled_from(EXTRA_LABELS), unique=True, max_size=3))
    status = draw(st.sampled_from(['http_code', 'code']))
    series = {}
    for _ in range(draw(st.integers(1, 12))):
        if provider == 'fireworks':
            labels = {'deployment_id': draw(st.sampled_from(['d1', 'd2'])), 'base_model': draw(st.sampled_from('mn'))}
            if raw.startswith('requests_error'):
                labels[status] = draw(st.sampled_from(['400', '429', '500']))
        else:
            labels = {'endpoint': 'e1.wafer.ai', 'quantile': draw(st.sampled_from(['0.5', '0.9', 'p99']))}
        for name in extra:
            if draw(st.booleans()):
                labels[name] = draw(st.sampled_from(['a', 'b', 'c']))
        series[frozenset(labels.items())] = draw(st.floats(0.001, 1000))
    lines = []
    for labels, value in series.items():
        items = draw(st.permutations(sorted(labels)))
        lines.append('{}{{{}}} {!r}'.format(raw, ','.join('{}="{}"'.format(k, v) for k, v in items), value))
    exclude = draw(st.lists(st.sampled_from(EXTRA_LABELS), unique=True, max_size=3))
    return raw, series, '\n'.join(lines) + '\n', exclude


@settings(max_examples=300, deadline=None)
@given(labelled_payloads())
def test_labels_never_merge_series_unless_declared(payload):
    """Renaming (code/http_code), adding or reordering labels never gives fewer contexts than distinct input series;
    with `exclude_labels`, series combine only as their metric declares: sums keep the total, averages give the
    mean of each group, quantile gauges keep their labels."""
    from datadog_checks.llm_inference import LlmInferenceCheck
    from datadog_checks.llm_inference.exposition import parse_lines

    raw, series, text, exclude = payload
    provider, metric, combine = SCRAPED[raw]
    options = {'fireworks': {'account_id': 'acme'}, 'wafer': {'endpoint': 'e1.wafer.ai'}}[provider]
    check = LlmInferenceCheck(
        'llm_inference', {}, [dict(options, provider=provider, api_key='k', api_url='http://x', exclude_labels=exclude)]
    )
    points = [p for p in check.map_samples(parse_lines(text)) if p[0] == metric]
    contexts = {frozenset(tags) for _, _, tags in points}
    assert len(contexts) == len(points)  # one point per context

    if combine == 'keep':
        assert len(points) == len(series)  # labels of quantile gauges always stay
        return
    removed = {name for name in EXTRA_LABELS if name in exclude}
    removed |= {raw_label for raw_label, key in FIREWORKS_KEYS.items() if key in exclude}
    groups = {}
    for labels, value in series.items():
        key = frozenset((k, v) for k, v in labels if k not in removed)
        groups.setdefault(key, []).append(value)
    assert len(points) == len(groups)
    if not exclude:
        assert len(points) == len(series)
    values = sorted(v for _, v, _ in points)
    if combine == 'sum':
        assert values == pytest.approx(sorted(sum(vs) for vs in groups.values()))
        assert sum(values) == pytest.approx(sum(series.values()))
    else:
        assert values == pytest.approx(sorted(sum(vs) / len(vs) for vs in groups.values()))
