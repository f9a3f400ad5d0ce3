"""What the Agent does with the entry class before the first collection, on every base of scripts/legs: its two
constructor calls, and the generated config models it loads at the first run with options that name files."""

import importlib.util
import types

import pytest

from datadog_checks.base import ConfigurationError
from datadog_checks.base.stubs import datadog_agent
from datadog_checks.base.utils.models import validation
from datadog_checks.llm_inference import LlmInferenceCheck, config_compat
from datadog_checks.llm_inference.config_models import instance as generated
from datadog_checks.llm_inference.providers.fireworks import FireworksCheck
from datadog_checks.llm_inference.providers.groq import GroqCheck

FIREWORKS = {'provider': 'fireworks', 'api_key': 'fw-key-canary', 'account_id': 'acme'}
TLS = {'tls_verify': True, 'tls_ca_cert': '/srv/ca.pem', 'tls_cert': '/srv/client.pem', 'tls_private_key': '/srv/k.pem'}
# datadog-checks-base 37.33.0+ ships the security validation the generated models call.
BASE_HAS_SECURITY = importlib.util.find_spec('datadog_checks.base.utils.models.validation.security') is not None


def agent_calls(instance):
    """The Agent's constructor calls (rtloader getCheck): keywords, the instance in a 1-tuple; when that raises, the
    loader calls again with `agentConfig` (the Agent's whole configuration) as well."""
    kwargs = {'name': 'llm_inference', 'init_config': {}, 'instances': (instance,)}
    return [lambda: LlmInferenceCheck(**kwargs), lambda: LlmInferenceCheck(agentConfig={'hostname': 'h'}, **kwargs)]


@pytest.mark.parametrize('call', [0, 1], ids=['new-api', 'with-agentConfig'])
def test_agent_constructions_give_the_provider_check(call):
    check = agent_calls(dict(FIREWORKS))[call]()
    assert type(check) is FireworksCheck
    assert check.name == 'llm_inference'
    assert check.instance['account_id'] == 'acme'


@pytest.mark.parametrize(
    'construct',
    [
        lambda i: LlmInferenceCheck('llm_inference', {}, [i]),
        lambda i: LlmInferenceCheck('llm_inference', {}, {'hostname': 'h'}, [i]),  # the oldest signature
        lambda i: LlmInferenceCheck('llm_inference', {}, instances=[i]),
        lambda i: LlmInferenceCheck('llm_inference', init_config={}, instances=[i], agentConfig={}),
    ],
    ids=['positional', 'agentConfig-positional', 'instances-keyword', 'all-keywords'],
)
def test_other_constructions_give_the_provider_check(construct):
    check = construct({'provider': 'groq', 'api_key': 'gsk-canary'})
    assert type(check) is GroqCheck
    assert check.instance['api_key'] == 'gsk-canary'


@pytest.mark.parametrize(
    'instance, named',
    [
        ({'api_key': 'k'}, '`provider`'),
        ({'provider': 'openai', 'api_key': 'k'}, '`provider`'),
        ({'provider': 'fireworks', 'api_key': 'fw-key-canary'}, '`account_id`'),
        ({'provider': 'wafer', 'api_key': 'fw-key-canary'}, '`endpoint`'),
        (['provider', 'fireworks'], 'mapping of options'),
        ('provider: fireworks', 'mapping of options'),
    ],
)
def test_a_bad_instance_is_the_configuration_error_in_both_agent_calls(instance, named):
    for call in agent_calls(instance):
        with pytest.raises(ConfigurationError) as e:  # never a TypeError about the constructor's arguments
            call()
        assert named in str(e.value)
        assert 'fw-key-canary' not in str(e.value)


def test_instances_that_are_not_a_list_are_named():
    with pytest.raises(ConfigurationError) as e:
        LlmInferenceCheck(name='llm_inference', init_config={}, instances=dict(FIREWORKS))
    assert '`instances`' in str(e.value)


def load_models(instance):
    check = LlmInferenceCheck(name='llm_inference', init_config={}, instances=(instance,))
    check.load_configuration_models()  # what the first run does (AgentCheck.check_initializations)
    return check


def test_file_options_load_through_the_generated_models():
    model = load_models(dict(FIREWORKS, **TLS))._config_model_instance
    assert (model.tls_verify, model.tls_ca_cert, model.tls_cert, model.tls_private_key) == (
        True,
        '/srv/ca.pem',
        '/srv/client.pem',
        '/srv/k.pem',
    )
    assert model.provider == 'fireworks'


@pytest.mark.skipif(not BASE_HAS_SECURITY, reason='this base has no trusted-provider validation')
def test_newer_bases_keep_their_trusted_provider_validation(monkeypatch):
    assert isinstance(validation.security, types.ModuleType)  # the base's own module, not the stand-in
    monkeypatch.setitem(datadog_agent._config, 'integration_ignore_untrusted_file_params', True)
    monkeypatch.setitem(datadog_agent._config, 'integration_trusted_providers', ['file'])
    check = LlmInferenceCheck(name='llm_inference', init_config={}, instances=(dict(FIREWORKS, **TLS),))
    check.provider = 'kubernetes-annotations'  # an instance from an untrusted source may not name files
    with pytest.raises(ConfigurationError) as e:
        check.run_check_initializations()  # what the Agent runs before the first run, once it set `provider`
    assert 'tls_ca_cert' in str(e.value)
    check = LlmInferenceCheck(name='llm_inference', init_config={}, instances=(dict(FIREWORKS, **TLS),))
    check.provider = 'file'
    check.run_check_initializations()
    assert check.config.tls_ca_cert == '/srv/ca.pem'


@pytest.mark.skipif(BASE_HAS_SECURITY, reason='this base has its own trusted-provider validation')
def test_older_bases_get_a_stand_in_that_refuses_what_it_cannot_check():
    check = load_models(dict(FIREWORKS, **TLS))  # as the real validation without a security configuration: allowed
    assert check.config.tls_ca_cert == '/srv/ca.pem'
    assert not hasattr(validation, 'security')  # the stand-in is the check's own model, not a patch of the base
    with pytest.raises(ConfigurationError) as e:
        check._read_instance(security_config=object())
    assert 'tls_ca_cert' in str(e.value)


def test_the_stand_in_reads_an_instance_as_the_generated_model():
    """The old-base stand-in replaces one validator of the generated model: what both can read, they read alike."""
    instance = dict(
        FIREWORKS, api_key=' fw-key-canary ', timeout=5, tags=['team:ml'], **(TLS if BASE_HAS_SECURITY else {})
    )
    context = {'configured_fields': frozenset(instance), 'security_config': None}
    models = [generated.InstanceConfig, config_compat.InstanceConfig]
    assert len({model.model_validate(instance, context=context).model_dump_json() for model in models}) == 1
