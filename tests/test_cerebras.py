"""Cerebras: the reference's example reply and its variants into the catalog; per-minute counts / 60; the `percentile`
(reference) and `statistic` (guide) labels; `avg` as a mean of its own; the endpoint status as reported; the simulator's
keys, limit and demo instance. Expected values are computed here from the raw samples of each payload."""

import logging
import re

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.providers.cerebras import CerebrasCheck
from simulator import cerebras as sim
from simulator.scrape_server import ScrapeServer

from .common import (
    API_KEY,
    Provider,
    assert_gauge_close,
    assert_no_drift,
    assert_reply_identity,
    assert_simulated_limit,
    drift_values,
    fault_rows,
    fixture_text,
)
from .provider_server import Reply

# This provider's test instance (the shared tests find it as `SETUP`), and the model names its simulator sends, with
# their canonical names written out by hand (common.model_tags).
CEREBRAS_ORGANIZATION = 'org_abc123'  # the id in Cerebras' own example reply (tests/fixtures/cerebras.txt)
CEREBRAS = Provider(
    'cerebras',
    {'organization_id': CEREBRAS_ORGANIZATION},
    '/api/v1/metrics/organizations/' + CEREBRAS_ORGANIZATION,
    identity=('organization_id:' + CEREBRAS_ORGANIZATION,),
)
SETUP = CEREBRAS
CANONICAL = {'llama-3.3-70b': 'llama-3.3-70b', 'llama-3.1-8b': 'llama-3.1-8b'}
BASE = CEREBRAS.tags

# This provider's row of the fault matrix (test_faults.py): its instance, a good reply and a value it yields.
FAULTS = fault_rows(
    SETUP,
    lambda: Reply(body=fixture_text('cerebras.txt')),
    ('llm_inference.cerebras.endpoint.status', 1, CEREBRAS.tags + ['deployment:model']),
    nan=('requests_count_total{endpoint="model"} NaN\ninference_endpoint_status{endpoint="model"} -1\n', [-1.0]),
    duplicates=('inference_endpoint_status{endpoint="model"} 0\ninference_endpoint_status{endpoint="model"} 1\n', [0.0]),
    **{
        '403': (AgentCheck.CRITICAL, 'HTTP 403', '`organization_id`', 'own organization'),
        '404': (AgentCheck.CRITICAL, 'HTTP 404', '`organization_id`', '`org_abc123`'),
    },
)
MINUTE = 'window:1m'
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'(\w+)="([^"]*)"')
COUNTS = {
    'requests_count_total': 'requests.rate',
    'requests_success_total': 'cerebras.requests.success.rate',
    'input_tokens_total': 'tokens.input.rate',
    'output_tokens_total': 'tokens.output.rate',
}
LATENCIES = {
    'ttft_seconds': 'time_to_first_token',
    'e2e_latency_seconds': 'e2e_latency',
    'queue_time_seconds': 'queue_latency',
}
QUANTILES = {'p50': '0.5', 'p90': '0.9', 'p95': '0.95', 'p99': '0.99'}


def samples(text):
    """[(name, {label: value}, value)] of an exposition text (the test's own reading, not the check's)."""
    found = []
    for line in text.splitlines():
        if not line.strip() or line.startswith('#'):
            continue
        name, labels, value = SAMPLE.match(line.strip()).groups()
        found.append((name, dict(LABEL.findall(labels or '')), float(value)))
    return found


def expected(text, organization=CEREBRAS.identity[0].split(':', 1)[1]):
    """{(metric, tags): value} the check must submit for a payload of documented labels (+ `code`)."""
    points = {}
    for name, labels, value in samples(text):
        tags = ['deployment:' + labels['endpoint']]
        if labels.get('organization_id', organization) != organization:
            tags.append('label_organization_id:' + labels['organization_id'])
        if name == 'inference_endpoint_status':
            points['cerebras.endpoint.status', tuple(sorted(tags))] = value
        elif name in COUNTS:
            points[COUNTS[name], tuple(sorted(tags + [MINUTE]))] = value / 60
        elif name == 'requests_failure_total':
            code = labels.get('code')
            key = ('errors.rate', tuple(sorted(tags + [MINUTE] + (['status_code:' + code] if code else []))))
            points[key] = value / 60
        elif name in LATENCIES:
            stat = labels.get('percentile', labels.get('statistic'))
            family = LATENCIES[name]
            if stat == 'avg':
                points['cerebras.{}.avg.seconds'.format(family), tuple(sorted(tags + [MINUTE]))] = value
            else:
                points[family + '.seconds', tuple(sorted(tags + [MINUTE, 'quantile:' + QUANTILES[stat]]))] = value
    return points


def assert_points(aggregator, points, base=BASE):
    for (name, tags), value in points.items():
        assert_gauge_close(aggregator, 'llm_inference.' + name, value, base + list(tags))


def run(dd_run_check, provider_server, body, **options):
    provider_server.reply(CEREBRAS.path, Reply(body=body))
    check = CEREBRAS.check(provider_server, **options)
    dd_run_check(check)
    return check


def test_documented_payload(dd_run_check, aggregator, provider_server):
    text = fixture_text('cerebras.txt')
    check = run(dd_run_check, provider_server, text)
    assert isinstance(check, CerebrasCheck)
    points = expected(text)
    # The reference's example: the status, 5 per-minute counts, 3 families x (4 quantiles + the mean).
    assert len(points) == 1 + 5 + 3 * 5
    assert_points(aggregator, points)
    # Spelled out once: 123456 input tokens in the last complete minute are 2057.6 a second; p95 is quantile 0.95.
    assert_gauge_close(aggregator, 'llm_inference.tokens.input.rate', 2057.6, BASE + ['deployment:model', MINUTE])
    assert_gauge_close(
        aggregator,
        'llm_inference.time_to_first_token.seconds',
        0.5,
        BASE + ['deployment:model', MINUTE, 'quantile:0.95'],
    )
    aggregator.assert_metric('llm_inference.integration.requests', 1, tags=BASE + ['outcome:ok'], count=1)
    aggregator.assert_metric('llm_inference.integration.series', len(points), tags=BASE, count=1)
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=BASE, count=1)
    # The organization label equal to the instance's is not sent twice; no `endpoint:` tag (the base's URL tag).
    for name in aggregator.metric_names:
        for m in aggregator.metrics(name):
            assert m.tags.count('organization_id:org_abc123') == 1, (name, m.tags)
            assert not [t for t in m.tags if t.startswith(('endpoint:', 'percentile:', 'statistic:'))], (name, m.tags)
    assert_no_drift(aggregator, BASE)
    aggregator.assert_all_metrics_covered()
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)

    seen = provider_server.requests[-1]
    assert seen.headers['Authorization'] == 'Bearer ' + API_KEY
    assert seen.path == CEREBRAS.path


def test_the_guides_statistic_label_reads_as_the_references_percentile(dd_run_check, aggregator, provider_server):
    text = fixture_text('cerebras.txt')
    variant = text.replace('percentile="', 'statistic="')
    run(dd_run_check, provider_server, variant)
    assert_points(aggregator, expected(text))
    assert_no_drift(aggregator, BASE)
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_both_spellings_in_one_reply(dd_run_check, aggregator, provider_server):
    """One family per spelling, one endpoint each: every series read, nothing mixed up."""
    body = (
        'ttft_seconds{endpoint="a",percentile="p99"} 0.9\n'
        'ttft_seconds{endpoint="a",percentile="avg"} 0.3\n'
        'ttft_seconds{endpoint="b",statistic="p99"} 1.9\n'
        'ttft_seconds{endpoint="b",statistic="AVG"} 0.7\n'
    )
    run(dd_run_check, provider_server, body)
    for endpoint, p99, avg in (('a', 0.9, 0.3), ('b', 1.9, 0.7)):
        tags = BASE + ['deployment:' + endpoint, MINUTE]
        assert_gauge_close(aggregator, 'llm_inference.time_to_first_token.seconds', p99, tags + ['quantile:0.99'])
        assert_gauge_close(aggregator, 'llm_inference.cerebras.time_to_first_token.avg.seconds', avg, tags)
    assert_no_drift(aggregator, BASE)


def test_failures_by_code_and_several_endpoints(dd_run_check, aggregator, provider_server):
    body = (
        'requests_count_total{endpoint="a",organization_id="org_abc123"} 600\n'
        'requests_failure_total{endpoint="a",organization_id="org_abc123",code="429"} 30\n'
        'requests_failure_total{endpoint="a",organization_id="org_abc123",code="500"} 6\n'
        'requests_count_total{endpoint="b",organization_id="org_abc123"} 120\n'
        'requests_failure_total{endpoint="b",organization_id="org_abc123",http_code="503"} 12\n'
        'inference_endpoint_status{endpoint="a",organization_id="org_abc123"} 1\n'
        'inference_endpoint_status{endpoint="b",organization_id="org_abc123"} 0\n'
        'inference_endpoint_status{endpoint="c",organization_id="org_abc123"} -1\n'
    )
    run(dd_run_check, provider_server, body)
    assert_points(aggregator, expected(body.replace('http_code=', 'code=')))
    # down (0) and "error calculating status" (-1) are submitted as they are, never as missing or as each other
    assert_gauge_close(aggregator, 'llm_inference.cerebras.endpoint.status', 0, BASE + ['deployment:b'])
    assert_gauge_close(aggregator, 'llm_inference.cerebras.endpoint.status', -1, BASE + ['deployment:c'])
    assert_no_drift(aggregator, BASE)
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_a_label_added_stays_a_tag_and_is_reported(dd_run_check, aggregator, provider_server):
    text = fixture_text('cerebras.txt')
    variant = text.replace('organization_id="org_abc123"', 'organization_id="org_abc123",region="us-east"')
    run(dd_run_check, provider_server, variant)
    points = {(name, tuple(sorted(tags + ('region:us-east',)))): v for (name, tags), v in expected(text).items()}
    assert_points(aggregator, points)
    assert drift_values(aggregator, 'unmapped_labels').get('label:region')


def test_a_renamed_endpoint_label_is_kept_and_reported(dd_run_check, aggregator, provider_server):
    """`endpoint` spelled otherwise: the series are not merged into one context, the label stays, drift says so."""
    body = (
        'requests_count_total{endpoint_name="a"} 60\n'
        'requests_count_total{endpoint_name="b"} 120\n'
    )
    run(dd_run_check, provider_server, body)
    for endpoint, count in (('a', 60), ('b', 120)):
        tags = BASE + ['endpoint_name:' + endpoint, MINUTE]
        assert_gauge_close(aggregator, 'llm_inference.requests.rate', count / 60, tags)
    assert drift_values(aggregator, 'unmapped_labels').get('label:endpoint_name')


ANOTHER_ORGANIZATION = (
    "cerebras: `organization_id` is `org_abc123`, but the reply's series are of organization_id `org_other` (their "
    "`organization_id` label): fix `organization_id` (or `api_url`, which chose this reply). Collected as configured: "
    "every point is tagged `organization_id:org_abc123`, the reply's id kept as `label_organization_id`."
)


@pytest.mark.parametrize('organization, message', [(CEREBRAS_ORGANIZATION, None), ('org_other', ANOTHER_ORGANIZATION)])
def test_another_organizations_series_are_told_apart_and_said(
    dd_run_check, aggregator, provider_server, caplog, organization, message
):
    """A reply of another organization than `organization_id` (a key or `api_url` of another one) is collected under
    the configured id, its own kept apart as `label_organization_id`, and the run is a WARNING naming both."""
    body = (
        'requests_count_total{{endpoint="a",organization_id="{0}"}} 60\n'
        'inference_endpoint_status{{endpoint="a",organization_id="{0}"}} 1\n'.format(organization)
    )
    with caplog.at_level(logging.WARNING):
        run(dd_run_check, provider_server, body)
    points = expected(body)
    kept = ['label_organization_id:org_other'] if message else []
    assert points == {
        ('requests.rate', tuple(sorted(['deployment:a', MINUTE, *kept]))): 1.0,
        ('cerebras.endpoint.status', tuple(sorted(['deployment:a', *kept]))): 1.0,
    }
    assert_points(aggregator, points)
    assert_reply_identity(aggregator, caplog, BASE, BASE[1], 2, message)


def test_a_missing_series_or_percentile_leaves_only_it_out(dd_run_check, aggregator, provider_server):
    text = fixture_text('cerebras.txt')
    variant = ''.join(
        line + '\n'
        for line in text.splitlines()
        if not line.startswith('ttft_seconds') and 'percentile="p99"' not in line and 'output_tokens' not in line
    )
    run(dd_run_check, provider_server, variant)
    points = expected(variant)
    assert_points(aggregator, points)
    assert not aggregator.metrics('llm_inference.tokens.output.rate')
    assert not aggregator.metrics('llm_inference.cerebras.time_to_first_token.avg.seconds')
    assert not [m for m in aggregator.metrics('llm_inference.e2e_latency.seconds') if 'quantile:0.99' in m.tags]
    assert len(aggregator.metrics('llm_inference.e2e_latency.seconds')) == 3
    assert_no_drift(aggregator, BASE)


def test_milliseconds_are_never_read_as_seconds(dd_run_check, aggregator, provider_server):
    """Both pages give every latency in seconds (the guide: 0.5 is "within 500ms"). A millisecond series, which no
    page names, is reported as unmapped: never submitted as seconds, nor divided on a guess."""
    body = (
        'ttft_seconds{endpoint="a",percentile="p50"} 0.18\n'
        'ttft_milliseconds{endpoint="a",percentile="p50"} 180\n'
        'ttft_ms{endpoint="a",statistic="p50"} 180\n'
    )
    run(dd_run_check, provider_server, body)
    (point,) = aggregator.metrics('llm_inference.time_to_first_token.seconds')
    assert point.value == 0.18
    unmapped = drift_values(aggregator, 'unmapped_series')
    assert unmapped.get('raw_name:ttft_milliseconds') == 1 and unmapped.get('raw_name:ttft_ms') == 1, unmapped


def test_a_statistic_that_is_neither_a_percentile_nor_the_mean_is_reported(dd_run_check, aggregator, provider_server):
    body = (
        'e2e_latency_seconds{endpoint="a",percentile="p50"} 1.1\n'
        'e2e_latency_seconds{endpoint="a",percentile="max_recent"} 9.9\n'
    )
    run(dd_run_check, provider_server, body)
    assert [m.value for m in aggregator.metrics('llm_inference.e2e_latency.seconds')] == [1.1]
    assert not aggregator.metrics('llm_inference.cerebras.e2e_latency.avg.seconds')
    assert drift_values(aggregator, 'series_dropped').get('reason:not_a_quantile')


def test_not_a_number_is_no_value(dd_run_check, aggregator, provider_server):
    body = (
        'requests_failure_total{endpoint="a",code="500"} NaN\n'
        'requests_failure_total{endpoint="a",code="429"} 6\n'
        'inference_endpoint_status{endpoint="a"} NaN\n'
    )
    run(dd_run_check, provider_server, body)
    assert [m.value for m in aggregator.metrics('llm_inference.errors.rate')] == [0.1]
    assert not aggregator.metrics('llm_inference.cerebras.endpoint.status')


@pytest.mark.parametrize(
    'status, needles',
    [
        (404, ('HTTP 404', '`organization_id`', 'org_abc123')),
        (403, ('HTTP 403', '`organization_id`', 'own organization')),
    ],
)
def test_a_wrong_organization_id_says_what_to_fix(dd_run_check, aggregator, provider_server, status, needles):
    provider_server.reply(CEREBRAS.path, Reply(status, 'no'))
    check = CEREBRAS.check(provider_server)
    assert check.run()
    (sc,) = aggregator.service_checks('llm_inference.can_connect')
    assert sc.status == AgentCheck.CRITICAL
    for needle in needles:
        assert needle in sc.message, sc.message


def test_default_url_budget_per_organization_and_required_options():
    check = LlmInferenceCheck(
        'llm_inference', {}, [{'provider': 'cerebras', 'api_key': 'k', 'organization_id': 'org_abc123'}]
    )
    assert check.url == 'https://cloud.cerebras.ai/api/v1/metrics/organizations/org_abc123'
    other_key = LlmInferenceCheck(
        'llm_inference', {}, [{'provider': 'cerebras', 'api_key': 'k2', 'organization_id': 'org_abc123'}]
    )
    # The guide: "Maximum 6 requests per minute per organization": two keys of one organization share it.
    assert check.budget.credential == other_key.budget.credential
    assert check.budget.per_minute == 6
    with pytest.raises(Exception, match='organization_id'):
        LlmInferenceCheck('llm_inference', {}, [{'provider': 'cerebras', 'api_key': 'k'}])


# --- the simulator --------------------------------------------------------------------------------------------------


def test_simulator_keys_organizations_and_limit():
    now = [1_800_000_000.0]
    server = ScrapeServer([sim.PROVIDER], clock=lambda: now[0])
    path = sim.PATH + sim.ORGANIZATION
    assert server.answer(path, 'Bearer wrong-key').status == 401
    assert server.answer(path, '').status == 401
    assert server.answer(sim.PATH + 'acme', 'Bearer ' + sim.KEY).status == 404
    assert server.answer(sim.PATH + sim.OTHER_ORGANIZATION, 'Bearer ' + sim.KEY).status == 403
    assert_simulated_limit(server, path, 'Bearer ' + sim.KEY, now)


def test_simulator_demo_instance_reads_back(dd_run_check, aggregator):
    t = 1_800_000_000.0
    with ScrapeServer([sim.PROVIDER], clock=lambda: t) as server:
        (healthy,) = sim.PROVIDER.demo_instances(server.url + sim.PATH)
        check = LlmInferenceCheck('llm_inference', {}, [healthy])
        dd_run_check(check)
        text = sim.exposition(sim.ORGANIZATION, t)
        base = ['provider:cerebras', 'organization_id:' + sim.ORGANIZATION]
        assert_points(aggregator, expected(text, sim.ORGANIZATION), base)
        aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=base, count=1)
        assert_no_drift(aggregator, base)
        aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)

        # The mistake users make most: the organization's name where its id (`org_...`) belongs.
        aggregator.reset()
        failing = dict(healthy, organization_id='acme', api_url=server.url + sim.PATH + 'acme')
        assert LlmInferenceCheck('llm_inference', {}, [failing]).run()
        (sc,) = aggregator.service_checks('llm_inference.can_connect')
        assert sc.status == AgentCheck.CRITICAL and 'org_abc123' in sc.message
