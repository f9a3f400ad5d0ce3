"""Real-world feeds (issue 19, points 1-4): OpenMetrics text, negative values, stale samples, contexts folded by
Datadog's tag normalization."""

import pytest

from datadog_checks.llm_inference.exposition import ExpositionError, parse_labels, parse_lines

from .common import drift_values, model_tags
from .provider_server import Reply
from .test_fireworks import FIREWORKS

FW_BASE = ['provider:fireworks', 'account:acme']
ONE_MINUTE = 'window:1m'
RATE = 'request_counter_total:sum_by_deployment'
TTFT = 'latency_to_first_token_ms_bucket:sum_by_deployment'


def d1(*more):
    return FW_BASE + [*model_tags('m'), 'deployment:d1', *more]


# --- 2. OpenMetrics text ------------------------------------------------------------------------------------------


def test_exemplars_are_read_past_never_taken_as_the_value():
    text = (
        '# TYPE x histogram\n'
        'x_bucket{le="1",note="a } # { b"} 12 # {trace_id="abc"} 0.5\n'
        'x_bucket{le="+Inf"} 20 1700000000.5 # {trace_id="d"} 7 1700000000.25\n'
        'y 3 # {} 1\n'
        'x_created{le="1"} 1.7e9\n'
        '# EOF\n'
    )
    assert parse_lines(text) == [
        ('x_bucket', 'le="1",note="a } # { b"', '12'),
        ('x_bucket', 'le="+Inf"', '20'),
        ('y', '', '3'),
        ('x_created', 'le="1"', '1.7e9'),
    ]


@pytest.mark.parametrize(
    'line',
    [
        'x{le="1"} 12 # trace_id="abc" 0.5',  # an exemplar without its braces
        'x{le="1"} 12 # {trace_id="abc"}',  # without its value
        'x{le="1"} 12 13 14',
    ],
)
def test_a_line_not_read_right_is_refused_quoted(line):
    with pytest.raises(ExpositionError) as e:
        parse_lines('ok 1\n' + line + '\n')
    assert str(e.value) == 'line 2: not a sample: ' + line


def test_a_brace_after_the_value_is_refused_with_the_labels_quoted():
    # The fast path leaves the label text to parse_labels(), which refuses it quoting what it read.
    (_, labels, _), = parse_lines('x{le="1"} 12 } 13\n')
    with pytest.raises(ExpositionError, match=r'malformed labels \{le="1"\} 12 \}'):
        parse_labels(labels)


def _quantiles(aggregator):
    return {
        next(t for t in m.tags if t.startswith('quantile:')): m.value
        for m in aggregator.metrics('llm_inference.time_to_first_token.seconds')
    }


def test_exemplar_bucket_counts_and_created_is_not_drift(dd_run_check, aggregator, provider_server):
    plain = (
        '{}{{deployment_id="d1",base_model="m",le="100"}} 1\n'
        '{}{{deployment_id="d1",base_model="m",le="500"}} 3\n'
        '{}{{deployment_id="d1",base_model="m",le="+Inf"}} 4\n'
    ).format(TTFT, TTFT, TTFT)
    provider_server.reply(FIREWORKS.path, Reply(body=plain))
    dd_run_check(FIREWORKS.check(provider_server))
    expected = _quantiles(aggregator)
    assert expected
    aggregator.reset()

    lines = plain.splitlines()
    body = (
        lines[0] + ' # {trace_id="abc"} 0.5\n'
        + lines[1] + ' # {trace_id="def"} 3000 1700000000.5\n'
        + lines[2] + '\n'
        + 'request_counter_created{deployment_id="d1",base_model="m"} 1.7e9\n'
        + '# EOF\n'
    )
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server))
    assert _quantiles(aggregator) == expected
    assert drift_values(aggregator, 'unmapped_series') == {'': 0}


# --- 3. values that cannot be negative ----------------------------------------------------------------------------

NEGATIVE = (
    RATE + '{deployment_id="d1",base_model="m",region="a"} -2\n'
    + RATE + '{deployment_id="d1",base_model="m",region="b"} 5\n'
    + RATE + '{deployment_id="d2",base_model="m",region="a"} 3\n'
    + TTFT + '{deployment_id="d1",base_model="m",le="100"} -1\n'
    + TTFT + '{deployment_id="d1",base_model="m",le="+Inf"} 4\n'
    + 'tokens_prompt_total:sum_by_deployment{deployment_id="d2",base_model="m",region="a"} -0.5\n'
)


@pytest.mark.parametrize('aggregate', [False, True])
def test_negative_rates_tokens_and_bucket_rates_are_not_submitted(
    dd_run_check, aggregator, provider_server, caplog, aggregate
):
    provider_server.reply(FIREWORKS.path, Reply(body=NEGATIVE))
    dd_run_check(FIREWORKS.check(provider_server, **({'aggregate_labels': ['region']} if aggregate else {})))
    rates = {tuple(sorted(m.tags)): m.value for m in aggregator.metrics('llm_inference.requests.rate')}
    d2 = FW_BASE + [*model_tags('m'), 'deployment:d2', ONE_MINUTE]
    if aggregate:
        # d1's sum has a negative member: no value, rather than 3 req/s.
        assert rates == {tuple(sorted(d2)): 3.0}
    else:
        assert rates == {
            tuple(sorted(d1(ONE_MINUTE, 'region:b'))): 5.0,
            tuple(sorted(d2 + ['region:a'])): 3.0,
        }
    assert not aggregator.metrics('llm_inference.tokens.input.rate')
    assert not aggregator.metrics('llm_inference.time_to_first_token.seconds')
    # The rate's series (or its sum), the token series and the TTFT histogram.
    assert drift_values(aggregator, 'series_dropped') == {'reason:negative': 3}
    assert 'negative' in caplog.text and 'llm_inference.requests.rate' in caplog.text


def test_cached_input_above_input_never_makes_a_negative_cost(dd_run_check, aggregator, provider_server, caplog):
    body = (
        'tokens_prompt_total:sum_by_deployment{deployment_id="d1",base_model="m"} 100\n'
        'tokens_cached_prompt_total:sum_by_deployment{deployment_id="d1",base_model="m"} 400\n'
    )
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    pricing = {'tokens': {'m': {'input': 3.0, 'cached_input': 0.3}}}
    dd_run_check(FIREWORKS.check(provider_server, pricing=pricing))
    assert not aggregator.metrics('llm_inference.cost.hourly')
    assert 'more cached input tokens than input tokens' in caplog.text


# --- 4. stale samples ---------------------------------------------------------------------------------------------


def _service_check(aggregator):
    (check,) = aggregator.service_checks('llm_inference.can_connect')
    return check


@pytest.mark.parametrize('unit', ['ms', 's'])
def test_samples_older_than_max_sample_age_are_not_submitted_as_current(
    dd_run_check, aggregator, provider_server, clock, unit
):
    from datadog_checks.base import AgentCheck

    def stamp(seconds_ago):
        at = clock.wall() - seconds_ago
        return str(int(at * 1000)) if unit == 'ms' else '{:.3f}'.format(at)

    body = (
        RATE + '{deployment_id="d1",base_model="m"} 5 ' + stamp(3720) + '\n'
        + RATE + '{deployment_id="d2",base_model="m"} 3 ' + stamp(10) + '\n'
        + RATE + '{deployment_id="d3",base_model="m"} 1\n'
    )
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server))
    rates = {tuple(sorted(m.tags)): m.value for m in aggregator.metrics('llm_inference.requests.rate')}
    assert rates == {
        tuple(sorted(FW_BASE + [*model_tags('m'), 'deployment:d2', ONE_MINUTE])): 3.0,
        tuple(sorted(FW_BASE + [*model_tags('m'), 'deployment:d3', ONE_MINUTE])): 1.0,
    }
    assert drift_values(aggregator, 'series_dropped') == {'reason:stale': 1}
    check = _service_check(aggregator)
    assert check.status == AgentCheck.WARNING
    assert '1 samples carry timestamps up to 1 h 2 min old, over `max_sample_age` (300 s)' in check.message


def test_a_reply_all_stale_submits_nothing_and_says_how_old(dd_run_check, aggregator, provider_server, clock):
    from datadog_checks.base import AgentCheck

    old = str(int((clock.wall() - 400) * 1000))
    body = RATE + '{deployment_id="d1",base_model="m"} 5 ' + old + '\n'
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server, max_sample_age=600))
    assert len(aggregator.metrics('llm_inference.requests.rate')) == 1  # within a limit of 10 minutes
    aggregator.reset()
    dd_run_check(FIREWORKS.check(provider_server))
    assert not aggregator.metrics('llm_inference.requests.rate')
    check = _service_check(aggregator)
    assert check.status == AgentCheck.WARNING
    assert 'timestamps up to 6 min 40 s old' in check.message, check.message


# --- 1. contexts as Datadog stores them ---------------------------------------------------------------------------


def _folded(aggregator):
    return {
        next(t for t in m.tags if t.startswith('action:')): m.value
        for m in aggregator.metrics('llm_inference.integration.series_folded')
    }


LONG = 'x' * 230


@pytest.mark.parametrize(
    'first, second, stored',
    [
        ('us east', 'us_east', 'us_east'),
        ('US-East', 'us-east', 'us-east'),
        (LONG + 'a', LONG + 'b', LONG[: 200 - len('region:')]),
    ],
)
def test_series_datadog_stores_as_one_context_are_summed(
    dd_run_check, aggregator, provider_server, caplog, first, second, stored
):
    body = (
        RATE + '{deployment_id="d1",base_model="m",region="' + first + '"} 2\n'
        + RATE + '{deployment_id="d1",base_model="m",region="' + second + '"} 5\n'
        + RATE + '{deployment_id="d2",base_model="m",region="' + first + '"} 1\n'
    )
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server))
    rates = {tuple(sorted(m.tags)): m.value for m in aggregator.metrics('llm_inference.requests.rate')}
    assert rates == {
        tuple(sorted(d1(ONE_MINUTE, 'region:' + stored))): 7.0,
        tuple(sorted(FW_BASE + [*model_tags('m'), 'deployment:d2', ONE_MINUTE, 'region:' + first])): 1.0,
    }
    assert _folded(aggregator) == {'action:sum': 1}
    aggregator.assert_metric('llm_inference.integration.series_folded', 1, tags=FW_BASE + ['action:sum'], count=1)
    warnings = [r.getMessage() for r in caplog.records if 'Datadog stores them as one context' in r.getMessage()]
    assert len(warnings) == 1 and 'llm_inference.requests.rate' in warnings[0]


def test_a_model_name_in_two_cases_is_averaged_where_the_metric_averages(dd_run_check, aggregator, provider_server):
    avg = 'generator_kv_blocks_fraction:avg_by_deployment'
    body = (
        avg + '{deployment_id="d1",base_model="Llama-3"} 0.2\n'
        + avg + '{deployment_id="d1",base_model="llama-3"} 0.6\n'
    )
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server))
    (point,) = aggregator.metrics('llm_inference.kv_cache.usage')
    assert point.value == pytest.approx(0.4)
    assert 'model:llama-3' in point.tags
    assert _folded(aggregator) == {'action:avg': 1}


def test_series_that_cannot_be_combined_are_kept_apart_by_a_tag_that_survives():
    from datadog_checks.llm_inference.datadog_tags import stored_tags
    from datadog_checks.llm_inference.drift import RunReport
    from datadog_checks.llm_inference.labels import LabelMap, LabelReader
    from datadog_checks.llm_inference.mapping import Mapper
    from datadog_checks.llm_inference.specs import KEEP, Gauge

    class Options:
        max_label_values = 0
        aggregate_option = 'aggregate_labels'
        own_prefix = 'acme.'  # a provider's own names (mapping.MappingOptions)

    class Log:
        said = []

        def once(self, key, *args):
            self.said.append(args)

        warning_once = once

    report = RunReport()
    mapper = Mapper(Options(), report, Log())
    reader = LabelReader(LabelMap({'model': 'model'}))
    spec = Gauge('ratio', combine=KEEP)
    for model, value in (('Llama-3', 0.5), ('llama-3', 0.25), ('LLAMA-3', 0.125)):
        mapper.add(spec, reader.context({'model': model}), value)
    points = mapper.points()
    # Three contexts in Datadog, the value of each kept; the first keeps the plain tags.
    stored = {stored_tags(tags): value for _, value, tags in points}
    assert len(stored) == 3 and sorted(stored.values()) == [0.125, 0.25, 0.5]
    assert stored[('model:llama-3',)] == 0.5
    assert sum(1 for tags in stored if any(t.startswith('series_variant:') for t in tags)) == 2
    assert report.folded == {'kept_apart': 2}
    assert not report.dropped


def test_a_documented_series_replaces_a_variant_that_datadog_stores_with_its_tags():
    """A variant spelling (rank 1) read first, then the documented series (rank 0) whose tags differ only in case:
    the documented one is submitted, under the tags Datadog stores (it once went under its own tags, beside the
    group, and the run failed with a KeyError)."""
    from datadog_checks.llm_inference.drift import RunReport
    from datadog_checks.llm_inference.labels import LabelMap, LabelReader
    from datadog_checks.llm_inference.mapping import Mapper
    from datadog_checks.llm_inference.specs import SUM, Gauge

    class Options:
        max_label_values = 0
        aggregate_option = 'aggregate_labels'
        own_prefix = 'acme.'

    class Log:
        def once(self, key, *args):
            pass

        warning_once = once

    report = RunReport()
    mapper = Mapper(Options(), report, Log())
    reader = LabelReader(LabelMap({'model': 'model'}))
    spec = Gauge('requests.rate', combine=SUM)
    mapper.add(spec, reader.context({'model': 'llama-3'}), 4.0, rank=1)
    mapper.add(spec, reader.context({'model': 'Llama-3'}), 3.0)
    assert mapper.points() == [('requests.rate', 3.0, ('model:llama-3',))]
    assert report.folded == {'sum': 1}
