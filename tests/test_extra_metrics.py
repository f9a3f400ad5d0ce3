"""`extra_metrics` and `rename_labels`, the OpenMetrics base's options, keep the base's meaning on the scrape
providers: raw series beyond the catalog are collected beside it, under `llm_inference.`, all or nothing with the
rest of the reply."""

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics

from .common import assert_no_drift, drift_values, fixture_text
from .provider_server import Reply
from .test_fireworks import FIREWORKS

NEW_SERIES = 'fireworks_new_series'  # a series Fireworks might add, which the catalog does not map
USER_METRIC = 'llm_inference.fireworks.new_series'  # the name the user gives it
LINES = (
    NEW_SERIES + '{deployment_id="llama70b-prod",region="us-east"} 7\n'
    + NEW_SERIES + '{deployment_id="dsv3-batch",region="eu-west"} 0.5\n'
)
IDENTITY = ['provider:fireworks', 'account:acme']


@pytest.mark.user_named_metrics(USER_METRIC)
def test_extra_metrics_collects_a_raw_series_beside_the_catalog(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt') + LINES))
    check = FIREWORKS.check(
        provider_server,
        extra_metrics=[{NEW_SERIES: 'fireworks.new_series'}],
        rename_labels={'deployment_id': 'deployment'},
    )
    dd_run_check(check)

    aggregator.assert_metric(
        USER_METRIC, 7, tags=IDENTITY + ['deployment:llama70b-prod', 'region:us-east'], count=1, metric_type=aggregator.GAUGE
    )
    aggregator.assert_metric(
        USER_METRIC, 0.5, tags=IDENTITY + ['deployment:dsv3-batch', 'region:eu-west'], count=1, metric_type=aggregator.GAUGE
    )
    # The catalog is there as without the option, and the collected series is not reported as unmapped.
    assert sorted(m.value for m in aggregator.metrics('llm_inference.requests.rate')) == [0.0, 3.25, 12.5]
    assert_no_drift(aggregator, IDENTITY)
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK, tags=IDENTITY, count=1)
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True, exclude=[USER_METRIC])


def test_without_extra_metrics_the_series_is_reported_not_collected(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt') + LINES))
    dd_run_check(FIREWORKS.check(provider_server))
    assert not aggregator.metrics(USER_METRIC)
    assert drift_values(aggregator, 'unmapped_series') == {'raw_name:' + NEW_SERIES: 2}


@pytest.mark.user_named_metrics(USER_METRIC)
def test_extra_metrics_all_or_nothing(dd_run_check, aggregator, provider_server):
    """A reply cut off after the extra series submits neither them nor the catalog."""
    body = LINES + fixture_text('fireworks_untyped.txt').rstrip('\n')
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    with pytest.raises(Exception, match='final newline'):
        dd_run_check(FIREWORKS.check(provider_server, extra_metrics=[{NEW_SERIES: 'fireworks.new_series'}]))
    assert not [name for name in aggregator.metric_names if not name.startswith('llm_inference.integration.')]
    aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.CRITICAL, tags=IDENTITY, count=1)
