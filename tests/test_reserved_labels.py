"""A provider label named like a tag the Agent reserves (the base's GENERIC_TAGS, and the check's own additions)
never passes as that tag: it is kept as `label_<name>`."""

import pytest

from datadog_checks.base.utils.tagging import GENERIC_TAGS
from datadog_checks.llm_inference.specs import RESERVED_TAGS

from .common import model_tags
from .provider_server import Reply
from .test_fireworks import FIREWORKS

ONE_MINUTE = 'window:1m'


def test_reserved_tags_hold_the_bases_generic_tags_and_ours():
    assert set(GENERIC_TAGS) <= RESERVED_TAGS
    assert {'device', 'source'} <= RESERVED_TAGS  # ours: set by the Agent, not in GENERIC_TAGS


@pytest.mark.parametrize('label', sorted(set(GENERIC_TAGS) | {'hostname', 'host_name', 'cluster_id', 'clustername'}))
def test_a_label_named_like_a_generic_tag_becomes_label_name(dd_run_check, aggregator, provider_server, label):
    body = 'request_counter_total:sum_by_deployment{{deployment_id="d1",base_model="m",{}="x-1"}} 2\n'.format(label)
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server))
    tags = FIREWORKS.tags + [*model_tags('m'), 'deployment:d1', ONE_MINUTE, 'label_{}:x-1'.format(label)]
    aggregator.assert_metric('llm_inference.requests.rate', 2, tags=tags, count=1)
