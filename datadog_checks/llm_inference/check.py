# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The entry class the Agent instantiates: it returns the check of the instance's `provider`."""

from datadog_checks.base import AgentCheck, ConfigurationError

from .crusoe import CrusoeCheck
from .fireworks import FireworksCheck
from .groq import GroqCheck
from .query import PromQLCheck
from .wafer import WaferCheck

PROVIDERS = {
    'fireworks': FireworksCheck,
    'wafer': WaferCheck,
    'groq': GroqCheck,
    'crusoe': CrusoeCheck,
    'promql': PromQLCheck,
}


class LlmInferenceCheck(AgentCheck):
    """Dispatches on the required `provider` option; the Agent loads one class per check package."""

    __NAMESPACE__ = 'llm_inference'

    def __new__(cls, name, init_config, instances):
        instance = instances[0] if instances else {}
        provider = instance.get('provider')
        check_class = PROVIDERS.get(provider) if isinstance(provider, str) else None
        if check_class is None:
            raise ConfigurationError(
                '`provider` must be one of: {} (got {!r}).'.format(', '.join(sorted(PROVIDERS)), provider)
            )
        return check_class(name, init_config, instances)
