"""Start-up: the entry class dispatches on `provider` and refuses a configuration it cannot run, naming the option."""

import pytest

from datadog_checks.base import ConfigurationError
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.check import PROVIDERS


@pytest.mark.parametrize('provider', [None, '', 'openai', 'Fireworks', 3])
def test_missing_or_unknown_provider_names_valid_values(provider):
    instance = {'api_key': 'k'} if provider is None else {'provider': provider, 'api_key': 'k'}
    with pytest.raises(ConfigurationError) as e:
        LlmInferenceCheck('llm_inference', {}, [instance])
    message = str(e.value)
    assert '`provider`' in message
    for name in PROVIDERS:
        assert name in message


@pytest.mark.parametrize(
    'instance, option',
    [
        ({'provider': 'fireworks', 'account_id': 'acme'}, 'api_key'),
        ({'provider': 'fireworks', 'api_key': 'sk-canary-1'}, 'account_id'),
        ({'provider': 'fireworks', 'api_key': 'sk-canary-1', 'account_id': '  '}, 'account_id'),
        ({'provider': 'wafer', 'endpoint': 'e'}, 'api_key'),
        ({'provider': 'wafer', 'api_key': 'sk-canary-1'}, 'endpoint'),
    ],
)
def test_missing_required_option_is_named(instance, option):
    with pytest.raises(ConfigurationError) as e:
        LlmInferenceCheck('llm_inference', {}, [instance])
    assert '`{}`'.format(option) in str(e.value)
    assert instance['provider'] in str(e.value)
    assert 'sk-canary-1' not in str(e.value)


@pytest.mark.parametrize(
    'extra, option',
    [
        ({'quantiles': [0.5, 1.5]}, '`quantiles`'),
        ({'quantiles': 'p99'}, '`quantiles`'),
        ({'requests_per_minute': -1}, '`requests_per_minute`'),
        ({'requests_per_minute': 'six'}, '`requests_per_minute`'),
        ({'tags': 'team:ml'}, '`tags`'),
        ({'exclude_labels': 'region'}, '`exclude_labels`'),
        ({'exclude_labels': ['region', '']}, '`exclude_labels`'),
        ({'max_label_values': -1}, '`max_label_values`'),
        ({'max_label_values': True}, '`max_label_values`'),
        ({'latency_unit': 'ms'}, '`latency_unit`'),
        # A whole number too large for a float (YAML reads 400 digits as an int): named, not an OverflowError.
        ({'timeout': 10**400}, '`timeout`'),
        ({'pricing': {'hour': 10**400}}, '`pricing.hour`'),
        ({'pricing': {'tokens': {'m': {'input': 10**400}}}}, '`pricing.tokens.m.input`'),
    ],
)
def test_invalid_option_values(extra, option):
    with pytest.raises(ConfigurationError) as e:
        LlmInferenceCheck(
            'llm_inference', {}, [dict({'provider': 'fireworks', 'api_key': 'k', 'account_id': 'a'}, **extra)]
        )
    assert option in str(e.value)


PROMQL = {'provider': 'promql', 'api_url': 'http://127.0.0.1:9/prom'}


@pytest.mark.parametrize(
    'queries, needles',
    [
        ('up', ['`queries` must be a list']),
        ([{'name': 'requests.rate'}], ['queries[0] (`requests.rate`)', '`query`']),
        ([{'query': 'up', 'name': 'Bad Name'}], ['queries[0] (`Bad Name`)', '`name`']),
        (
            [{'query': 'up', 'name': 'ok.one'}, {'query': 'up', 'name': 'two', 'type': 'histogram'}],
            ['queries[1] (`two`)', '`type`'],
        ),
        ([{'query': 'up', 'name': 'x', 'labels': 'model'}], ['queries[0] (`x`)', '`labels`']),
        ([{'query': 'up', 'name': 'x', 'rename_labels': {'instance': 'host'}}], ['queries[0] (`x`)', 'host']),
        ([{'query': 'up', 'name': 'x', 'interval': 5}], ['queries[0] (`x`)', 'interval']),
        (['up'], ['queries[0]', 'mapping']),
    ],
)
def test_invalid_queries_fail_at_start_up_naming_the_query(queries, needles):
    with pytest.raises(ConfigurationError) as e:
        LlmInferenceCheck('llm_inference', {}, [dict(PROMQL, queries=queries)])
    for needle in needles:
        assert needle in str(e.value)


def test_promql_needs_api_url_and_a_query():
    with pytest.raises(ConfigurationError, match='`api_url`'):
        LlmInferenceCheck('llm_inference', {}, [{'provider': 'promql', 'queries': [{'query': 'up', 'name': 'x'}]}])
    with pytest.raises(ConfigurationError, match='at least one entry in `queries`'):
        LlmInferenceCheck('llm_inference', {}, [PROMQL])


def test_query_method_must_be_get_or_post():
    with pytest.raises(ConfigurationError, match='`method`'):
        LlmInferenceCheck('llm_inference', {}, [dict(PROMQL, method='PUT', queries=[{'query': 'up', 'name': 'x'}])])
