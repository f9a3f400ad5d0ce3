"""A new user's mistakes in option names and URLs are named at start with what to write instead: a misspelt option
(nested ones too) is a configuration error with the closest known option; an option the provider does not read, and an
`api_url` naming another account than the option, are warnings naming both; a URL that cannot work is refused."""

import logging

import pytest

from datadog_checks.base import ConfigurationError
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference.options import KNOWN_OPTIONS

from .common import API_KEY
from .test_cerebras import CEREBRAS
from .test_crusoe import CRUSOE
from .test_fireworks import FIREWORKS
from .test_groq import GROQ
from .test_promql_provider import PROMQL
from .test_wafer import WAFER

FW = {'provider': 'fireworks', 'api_key': 'sk-canary-1', 'account_id': 'acme'}


def start(instance, init_config=None):
    return LlmInferenceCheck('llm_inference', init_config or {}, [instance])


def refused(instance):
    with pytest.raises(ConfigurationError) as e:
        start(instance)
    message = str(e.value)
    assert 'sk-canary-1' not in message
    return message


@pytest.mark.parametrize(
    'extra, needles',
    [
        ({'princing': {'hour': 1}}, ['`princing`', 'did you mean `pricing`?']),
        ({'min_colection_interval': 60}, ['`min_colection_interval`', 'did you mean `min_collection_interval`?']),
        ({'acount_id': 'acme'}, ['`acount_id`', 'did you mean `account_id`?']),
        ({'tls_verfy': False}, ['`tls_verfy`', 'did you mean `tls_verify`?']),
        ({'qwerty': 1}, ['`qwerty`']),
        ({'proxy': {'htps': 'http://proxy:3128'}}, ['`proxy.htps`', 'did you mean `proxy.https`?']),
        ({'pricing': {'replica_hours': 2.9}}, ['replica_hours', 'did you mean `replica_hour`?']),
        ({'pricing': {'tokens': {'m': {'output': 1, 'imput': 1}}}}, ['imput', 'did you mean `input`?']),
    ],
)
def test_a_misspelt_option_is_named_with_the_closest_known_one(extra, needles):
    message = refused(dict(FW, **extra))
    for needle in needles:
        assert needle in message


def test_every_unknown_option_is_named_at_once():
    message = refused(dict(FW, princing={}, min_colection_interval=60))
    assert '`princing`' in message and '`min_colection_interval`' in message


def test_a_misspelt_query_key_is_named_with_the_closest_one():
    instance = PROMQL.instance(queries=[{'name': 'requests.rate', 'qurey': 'up'}], api_url='http://127.0.0.1:9/prom')
    message = refused(instance)
    assert 'queries[0]' in message and 'qurey' in message and 'did you mean `query`?' in message


@pytest.mark.parametrize(
    'option, value',
    [
        # the base's HTTP, TLS, proxy and auth options, the Agent's own and AgentCheck's
        ('tls_ca_cert', None),
        ('skip_proxy', True),
        ('no_proxy', True),
        ('headers', {'X-Org': 'a'}),
        ('auth_type', 'basic'),
        ('min_collection_interval', 60),
        ('empty_default_hostname', True),
        ('service', 'llm'),
        ('tags', ['team:ml']),
        ('metric_patterns', {'exclude': ['x']}),
        ('name', 'prod'),
        ('disable_generic_tags', True),
    ],
)
def test_options_the_base_or_the_agent_reads_are_known(option, value):
    assert option in KNOWN_OPTIONS
    start(dict(FW, **{option: value}))


def test_an_openmetrics_option_the_check_does_not_read_is_a_warning(caplog):
    caplog.set_level(logging.WARNING)
    check = start(dict(FW, share_labels={'deployment_replicas': True}))
    assert any('`share_labels`' in w and 'no effect' in w for w in check.warnings)


@pytest.mark.parametrize(
    'provider, option, value, users',
    [
        (GROQ, 'project_id', 'p-1', 'crusoe'),
        (GROQ, 'account_id', 'acme', 'fireworks'),
        (FIREWORKS, 'queries', [{'name': 'x', 'query': 'up'}], 'crusoe, groq, promql'),
        (FIREWORKS, 'latency_unit', 'seconds', 'crusoe'),
        (WAFER, 'nocache', False, 'crusoe, groq, promql'),
    ],
)
def test_an_option_the_provider_does_not_read_is_named(provider, option, value, users):
    check = provider.check(**{option: value})
    found = [w for w in check.warnings if '`{}`'.format(option) in w]
    assert len(found) == 1, check.warnings
    assert 'provider: {}'.format(provider.name) in found[0] and users in found[0]


def test_options_a_provider_reads_are_not_named():
    for provider in (FIREWORKS, WAFER, GROQ, CRUSOE):
        assert provider.check().warnings == []
    assert CRUSOE.check(latency_unit='seconds', queries=[{'name': 'x', 'query': 'up'}]).warnings == []


@pytest.mark.parametrize(
    'provider, api_url, option, value, named',
    [
        (FIREWORKS, 'https://api.fireworks.ai/v1/accounts/acme/metrics', 'account_id', 'acmee', 'account:acmee'),
        (CRUSOE, 'https://proxy.example.com/v1alpha5/projects/p-2/metrics/timeseries', 'project_id', 'p-1', 'p-2'),
        (WAFER, 'https://api.wafer.ai/v1/endpoints/metrics/prometheus?endpoint=b.wafer.ai', 'endpoint', 'a', 'b'),
        (
            CEREBRAS,
            'https://cloud.cerebras.ai/api/v1/metrics/organizations/org_b',
            'organization_id',
            'org_a',
            'organization_id:org_a',
        ),
    ],
)
def test_an_api_url_that_names_another_account_is_a_warning_naming_both(provider, api_url, option, value, named):
    check = provider.check(api_url=api_url, **{option: value})
    found = [w for w in check.warnings if '`api_url`' in w]
    assert len(found) == 1, check.warnings
    assert '`{}`'.format(value) in found[0] and named in found[0] and '`{}`'.format(option) in found[0]
    # The identity tag keeps the option's value (README: what dashboards and monitors were set up by).
    assert any(tag.endswith(':' + value) for tag in check.identity_tags)


def test_an_api_url_that_agrees_is_not_named():
    assert FIREWORKS.check(api_url='https://api.fireworks.ai/v1/accounts/acme/metrics').warnings == []
    assert FIREWORKS.check(api_url='https://proxy.example.com/fireworks').warnings == []


@pytest.mark.parametrize(
    'provider, api_url, needles',
    [
        (FIREWORKS, 'api.fireworks.ai/v1/accounts/acme/metrics', ['no scheme', 'https://api.fireworks.ai/v1/acc']),
        (GROQ, 'ftp://api.groq.com/v1/metrics/prometheus', ['https://']),
        (FIREWORKS, 'http://api.fireworks.ai/v1/accounts/acme/metrics', ['http://', 'https://', 'api.fireworks.ai']),
        (
            GROQ,
            'https://api.groq.com/v1/metrics/prometheus/api/v1/query',
            ['ends in `/api/v1/query`', 'https://api.groq.com/v1/metrics/prometheus '],
        ),
        (PROMQL, 'http://127.0.0.1:9090/api/v1/', ['ends in `/api/v1`', 'http://127.0.0.1:9090 ']),
    ],
)
def test_a_url_mistake_says_what_to_change(provider, api_url, needles):
    message = refused(provider.instance(api_url=api_url))
    assert '`api_url`' in message
    for needle in needles:
        assert needle in message
    assert API_KEY not in message


@pytest.mark.parametrize(
    'api_url',
    ['https://u:hunter2@prom.example.com/api/v1/query?token=s3cret', 'u:hunter2@prom.example.com/x?token=s3cret'],
)
def test_a_url_credential_is_not_in_the_message(api_url):
    message = refused(PROMQL.instance(api_url=api_url))
    assert 'hunter2' not in message and 's3cret' not in message
