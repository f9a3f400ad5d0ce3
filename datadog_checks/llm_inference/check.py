# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The entry class the Agent instantiates: it returns the check of the instance's `provider`."""

from datadog_checks.base import AgentCheck, ConfigurationError

from .providers import PROVIDERS


class LlmInferenceCheck(AgentCheck):
    """Dispatches on the required `provider` option; the Agent loads one class per check package."""

    __NAMESPACE__ = 'llm_inference'

    def __new__(cls, *args, **kwargs):
        name, init_config, instances = constructor_arguments(args, kwargs)
        if instances and not isinstance(instances, (list, tuple)):
            raise ConfigurationError(
                '`instances` must be a list of instances (got {}).'.format(type(instances).__name__)
            )
        instance = instances[0] if instances else {}
        if not isinstance(instance, dict):
            kind = type(instance).__name__
            raise ConfigurationError(
                'Each instance must be a mapping of options such as `provider:` (got {}).'.format(kind)
            )
        provider = instance.get('provider')
        check_class = PROVIDERS.get(provider) if isinstance(provider, str) else None
        if check_class is None:
            raise ConfigurationError(
                '`provider` must be one of: {} (got {!r}).'.format(', '.join(sorted(PROVIDERS)), provider)
            )
        return check_class(name, init_config, instances)


def constructor_arguments(args, kwargs):
    """`(name, init_config, instances)` from any of the constructor calls AgentCheck accepts.

    The Agent calls `cls(name=..., init_config=..., instances=(instance,))` and, when that raises, calls it again with
    `agentConfig=...` too; tests call `cls(name, init_config, [instance])`; the oldest checks took
    `(name, init_config, agentConfig, instances)`. `agentConfig` is not passed on: what the check reads of the
    Agent's configuration it reads through `datadog_agent.get_config`, as AgentCheck does when it is absent.
    """
    name = kwargs.get('name', '')
    init_config = kwargs.get('init_config', {})
    instances = kwargs.get('instances', [])
    if len(args) > 0:
        name = args[0]
    if len(args) > 1:
        init_config = args[1]
    if len(args) > 2:
        # as AgentCheck.__init__ reads it: a third argument that is not a list, or is followed by a fourth, is the
        # old `agentConfig`
        if len(args) > 3 or not isinstance(args[2], (list, tuple)) or 'instances' in kwargs:
            if len(args) > 3:
                instances = args[3]
        else:
            instances = args[2]
    return name, init_config, instances
