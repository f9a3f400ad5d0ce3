# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What a provider needs of an instance once each option is valid on its own (config_models/validators.py): the
options its declaration requires (REQUIRED_OPTIONS), and `model` only where its series name no model (MODEL_OPTION).
And the option names: one that nothing reads (a misspelling) is refused with the closest known one; one this
provider does not read is named (which ones it reads is derived from its declaration: options_used).
Each provider check calls this with its own declaration when it is constructed, so the models need not look a
provider up by name (which made config_models and the providers import each other)."""

import typing

from pydantic import BaseModel

from datadog_checks.base import ConfigurationError
from datadog_checks.base.utils.http import DEFAULT_REMAPPED_FIELDS, STANDARD_FIELDS

from .config_models import validators
from .config_models.instance import InstanceConfig
from .suggest import unknown_names
from .urls import template_options


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


# --- option names: misspelt ones refused, ones this check or this provider does not read named -----------------------

# Read by the Agent itself (its common instance options), never passed on to a Python check in any way it reads.
AGENT_OPTIONS = frozenset(
    ('name', 'namespace', 'no_index', 'min_collection_interval', 'empty_default_hostname', 'tags', 'service')
)
# Read by AgentCheck for every check.
CHECK_OPTIONS = frozenset(
    ('disable_generic_tags', 'enable_legacy_tags_normalization', 'metric_patterns', 'max_returned_metrics')
)
# OpenMetricsScraper's own options (the base has no public list of them): the scrape providers are OpenMetrics checks,
# so these are known, but the check maps replies itself, so beyond the HTTP ones they change nothing (named in a
# warning). `extra_metrics` and `rename_labels` are read (spec.yaml), for the raw series beyond the catalog.
OPENMETRICS_OPTIONS = frozenset(
    (
        'openmetrics_endpoint', 'metrics', 'extra_metrics', 'exclude_metrics', 'exclude_metrics_by_labels',
        'include_labels', 'rename_labels', 'raw_metric_prefix', 'raw_line_filters', 'share_labels',
        'cache_shared_labels', 'ignore_tags', 'hostname_label', 'hostname_format', 'tag_by_endpoint', 'target_info',
        'enable_health_service_check', 'ignore_connection_errors', 'telemetry', 'use_latest_spec',
        'use_process_start_time', 'collect_histogram_buckets', 'non_cumulative_histogram_buckets',
        'histogram_buckets_as_distributions', 'collect_counters_with_distributions',
        'collect_histograms_as_distributions', 'cache_metric_wildcards', 'use_agent_proxy', 'debug_metrics',
        'process_isolation', 'profile_memory', 'type_overrides',
    )
)  # fmt: skip
# Options of the query providers' PromQL client (their OPTIONS).
QUERY_OPTIONS = ('queries', 'method', 'nocache')


def _nested_model(annotation):
    """The generated model a field holds (`proxy`, `pricing`, each of `queries`), or None."""
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        for inner in typing.get_args(arg):  # tuple[Query, ...]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _names(model):
    return frozenset(field.alias or name for name, field in model.model_fields.items())


# The generated model's options, the base's HTTP options (and their legacy names), and the Agent's and AgentCheck's.
# HTTP options of newer bases than the one installed (37.0.0 has no `tls_private_key_password`): known, so a
# configuration written for a newer Agent is not refused; the secret is still registered and masked (redact.py).
NEWER_HTTP_OPTIONS = frozenset(('tls_private_key_password',))
KNOWN_OPTIONS = (
    _names(InstanceConfig)
    | NEWER_HTTP_OPTIONS
    | frozenset(STANDARD_FIELDS)
    | frozenset(DEFAULT_REMAPPED_FIELDS)
    | AGENT_OPTIONS
    | CHECK_OPTIONS
    | OPENMETRICS_OPTIONS
)
# OpenMetrics options that are none of ours nor HTTP ones.
NO_EFFECT = OPENMETRICS_OPTIONS - _names(InstanceConfig) - frozenset(STANDARD_FIELDS)
NESTED = {
    field.alias or name: _nested_model(field.annotation)
    for name, field in InstanceConfig.model_fields.items()
    if _nested_model(field.annotation) is not None
}


def refuse_unknown_options(instance):
    """The ConfigurationError naming every option no part of the check or the Agent reads, each with the closest
    known one: a misspelt option would otherwise be ignored in silence. Nested keys too: those of `proxy`,
    `metric_patterns`, ... here; `pricing` and `queries` name theirs in their own hooks (config_models/validators.py),
    with what is wrong with their values."""
    unknown = [unknown_names(instance, KNOWN_OPTIONS, quote='`')]
    for option, model in NESTED.items():
        value = instance.get(option)
        if isinstance(value, dict) and not hasattr(validators, 'instance_' + option):
            unknown.append(unknown_names(value, _names(model), option + '.', quote='`'))
    unknown = ', '.join(u for u in unknown if u)
    if unknown:
        raise ConfigurationError(
            'unknown option {}: neither the check nor the Agent reads it (all options are in '
            'conf.yaml.example).'.format(unknown)
        )


def options_used(provider):
    """The options `provider` (a check class) reads of those not every provider reads (`project_id`, `queries`...),
    and the two every provider reads, from its declaration: what an instance sets beyond these is named."""
    used = {'api_key', 'api_url', *provider.REQUIRED_OPTIONS, *provider.IDENTITY_TAGS, *provider.OPTIONS}
    used.update(provider.URL_PARAMETERS.values(), template_options(provider.DEFAULT_URL))
    if provider.BUDGET_SCOPE:
        used.add(provider.BUDGET_SCOPE)
    if provider.MODEL_OPTION:
        used.add('model')
    if provider.API_PATH:
        used.update(QUERY_OPTIONS)
    return frozenset(used)


def declared_providers(root):
    """Every provider's check class (a subclass of `root` with a PROVIDER), by provider: found from the class, as the
    registry (providers/) imports the modules that call this."""
    found, todo = {}, [root]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.PROVIDER:
            found.setdefault(cls.PROVIDER, cls)
    return found


def unused_options(provider, instance, providers):
    """Messages naming the options set in `instance` that do nothing for `provider` (a check class): options of other
    providers (a `project_id` where the provider has none), and OpenMetrics options the check's own mapping replaces."""
    used_by = {name: options_used(p) for name, p in providers.items()}
    mine = options_used(provider)
    messages = []
    for option in sorted(str(o) for o in instance):
        users = sorted(name for name, options in used_by.items() if option in options)
        if users and option not in mine:
            messages.append(
                '`{}` is not an option of `provider: {}` (it is one of {}): it is ignored; remove it.'.format(
                    option, provider.PROVIDER, ', '.join(users)
                )
            )
        elif option in NO_EFFECT:
            messages.append(
                '`{}` is an OpenMetrics option the check does not read (it maps replies to its catalog itself): it '
                'has no effect; remove it.'.format(option)
            )
    return messages
