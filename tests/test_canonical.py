"""canonical_model: one name per model across providers, from rules, nicknames and the user's aliases."""

import inspect

import pytest

from datadog_checks.llm_inference import canonical
from datadog_checks.llm_inference.canonical import CanonicalNames, add_nicknames, rule_name
from datadog_checks.llm_inference.providers import PROVIDERS

from .common import CANONICAL, provider_test_modules


@pytest.mark.parametrize(
    'raw, expected',
    [
        # The examples: the same model on Fireworks, Crusoe (Hugging Face names) and Groq.
        ('accounts/fireworks/models/llama-v3p3-70b-instruct', 'llama-3.3-70b-instruct'),
        ('meta-llama/Llama-3.3-70B-Instruct', 'llama-3.3-70b-instruct'),
        ('llama-3.3-70b-versatile', 'llama-3.3-70b-instruct'),
        ('openai/gpt-oss-120b', 'gpt-oss-120b'),
        ('accounts/fireworks/models/gpt-oss-120b', 'gpt-oss-120b'),
        ('deepseek-ai/DeepSeek-R1-0528', 'deepseek-r1-0528'),
        ('accounts/fireworks/models/deepseek-r1-0528', 'deepseek-r1-0528'),
        ('llama-3.1-8b-instant', 'llama-3.1-8b-instruct'),
        # Fireworks' version spelling, against the Hugging Face name of the same model.
        ('accounts/fireworks/models/llama-v3p1-70b-instruct', 'llama-3.1-70b-instruct'),
        ('meta-llama/Meta-Llama-3.1-70B-Instruct', 'llama-3.1-70b-instruct'),
        ('accounts/fireworks/models/llama-v3-70b-instruct', 'llama-3-70b-instruct'),
        ('accounts/fireworks/models/deepseek-v3p1', 'deepseek-v3.1'),
        ('deepseek-ai/DeepSeek-V3.1', 'deepseek-v3.1'),
        ('accounts/fireworks/models/deepseek-v3', 'deepseek-v3'),
        ('accounts/fireworks/models/qwen2p5-72b-instruct', 'qwen2.5-72b-instruct'),
        ('Qwen/Qwen2.5-72B-Instruct', 'qwen2.5-72b-instruct'),
        ('accounts/fireworks/models/llama4-maverick-instruct-basic', 'llama-4-maverick-17b-128e-instruct'),
        ('meta-llama/llama-4-maverick-17b-128e-instruct', 'llama-4-maverick-17b-128e-instruct'),
        ('meta-llama/Llama-Guard-4-12B', 'llama-guard-4-12b'),
        ('accounts/fireworks/models/qwen3-8b', 'qwen3-8b'),
        ('  Qwen/Qwen3-8B ', 'qwen3-8b'),
    ],
)
def test_rule_names(raw, expected):
    assert rule_name(raw) == expected


def test_aliases_by_raw_or_canonical_name():
    names = CanonicalNames(
        {
            'accounts/acme/models/support-ft-v2': 'llama-3.1-8b-instruct',  # a fine-tune, by its raw name
            'my-llama': 'llama-3.3-70b-instruct',  # by the name the rules give
        }
    )
    assert names('accounts/acme/models/support-ft-v2') == 'llama-3.1-8b-instruct'
    assert names('accounts/other/models/My-Llama') == 'llama-3.3-70b-instruct'
    assert names('meta-llama/Llama-3.3-70B-Instruct') == 'llama-3.3-70b-instruct'  # rules untouched by aliases
    assert names('accounts/acme/models/support-ft-v3') == 'support-ft-v3'  # no alias: the rules' name


def test_nicknames_are_the_providers_own_declarations():
    declared = {nickname: cls.PROVIDER for cls in PROVIDERS.values() for nickname in cls.NICKNAMES}
    assert declared['llama-3.3-70b-versatile'] == 'groq'
    assert declared['llama4-maverick-instruct-basic'] == 'fireworks'
    source = inspect.getsource(canonical).lower()
    assert [name for name in PROVIDERS if name in source] == []


def test_one_nickname_for_two_models_is_refused():
    with pytest.raises(ValueError, match='llama3-70b-8192'):
        add_nicknames({'llama3-70b-8192': 'llama-3.1-70b-instruct'}, 'another provider')
    assert rule_name('llama3-70b-8192') == 'llama-3-70b-instruct'


def test_the_names_the_tests_expect_are_the_checks():
    """The canonical names the tests expect, written by hand (tests/common.py's made-up ones and each provider test
    module's `CANONICAL`), are the check's: so two providers' tables that share a name agree on it."""
    names = CanonicalNames()
    tables = [CANONICAL] + [getattr(module, 'CANONICAL', {}) for module in provider_test_modules()]
    for table in tables:
        for raw, expected in table.items():
            assert names(raw) == expected, raw
