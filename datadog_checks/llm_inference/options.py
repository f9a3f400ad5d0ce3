# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What a provider needs of an instance once each option is valid on its own (config_models/validators.py): the
options its declaration requires (REQUIRED_OPTIONS), and `model` only where its series name no model (MODEL_OPTION).
Each provider check calls this with its own declaration when it is constructed, so the models need not look a
provider up by name (which made config_models and the providers import each other)."""

from datadog_checks.base import ConfigurationError


def require_options(provider, config):
    """Raise the ConfigurationError naming what `config` (the instance's model) lacks for `provider` (a check)."""
    name = provider.PROVIDER
    if config.model is not None and not provider.MODEL_OPTION:
        raise ConfigurationError(
            '`model` is for providers whose series carry no model label; `provider: {}` series name their own model '
            '(use `model_aliases` to name it differently).'.format(name)
        )
    for option in provider.REQUIRED_OPTIONS:
        value = getattr(config, option, None)
        if isinstance(value, str):
            value = value.strip()
        if value is None or (isinstance(value, str | tuple) and not value):
            listed = 'tuple' in str(type(config).model_fields[option].annotation)  # a list option, such as queries
            need = 'at least one entry in `{}`' if listed else 'the `{}` option'
            raise ConfigurationError('`provider: {}` needs {}.'.format(name, need.format(option)))
