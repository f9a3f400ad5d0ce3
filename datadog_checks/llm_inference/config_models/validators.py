# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Hooks of the generated models (ddev writes this file once and never regenerates it): what the option types in
spec.yaml cannot say. The models call `instance_<option>(value, field=...)` with the value as configured, before
its type is checked. A ValueError here is the configuration error the check reports; each message names its option.

(What the generated models need on an older datadog-checks-base is in config_compat.py; what an instance needs
for its provider, each provider checks itself: options.py.)
"""

import dataclasses
import math
import re

from ..labels import LabelMap
from ..pricing import Pricing
from ..suggest import unknown_names

METRIC_NAME = re.compile(r'^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$')
QUERY_TYPES = ('gauge', 'count', 'rate')
AGGREGATES = ('sum', 'avg')
LATENCY_UNITS = ('auto', 'seconds', 'milliseconds')
QUERY_KEYS = ('query', 'name', 'type', 'labels', 'rename_labels', 'tags', 'aggregate')


def _whole(value, option, minimum, meaning=''):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            '`{}` must be a whole number, {} or more{} (got {!r}).'.format(option, minimum, meaning, value)
        )
    return value


def _strings(value, option, what):
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) and x for x in value):
        raise ValueError('`{}` must be a list of {}.'.format(option, what))
    return value


def instance_api_key(value, **kwargs):
    """The key as sent: surrounding whitespace (a secret file's final newline) stripped (the check says so once)."""
    if not isinstance(value, str):
        raise ValueError('`api_key` must be a string.')
    key = value.strip()
    if not key.isprintable():
        raise ValueError(
            '`api_key` contains a line break or another control character: check the secret it comes from.'
        )
    return key


def instance_tags(value, **kwargs):
    """A list of `key:value` strings; YAML turns `- team: ml` (a space after the colon) into a mapping."""

    def pairs(mapping):
        return ', '.join('{}:{}'.format(k, v) for k, v in list(mapping.items())[:3])

    if value is None:
        return value
    if isinstance(value, dict):
        raise ValueError(
            '`tags` must be a list of `key:value` strings, not a mapping: write `tags: [{}]`.'.format(pairs(value))
        )
    if not isinstance(value, list | tuple):
        raise ValueError('`tags` must be a list of `key:value` strings, e.g. `tags: [team:ml]`.')
    for tag in value:
        if isinstance(tag, dict):
            raise ValueError(
                '`tags` must be a list of `key:value` strings: `- {}` is read by YAML as a mapping (a space after the '
                'colon); write `- {}` instead.'.format(
                    ', '.join('{}: {}'.format(k, v) for k, v in tag.items()), pairs(tag)
                )
            )
        if not isinstance(tag, str):
            raise ValueError('`tags` must be a list of `key:value` strings (got {!r}).'.format(tag))
    return value


def _seconds(value, option):
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        seconds = math.nan
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError('`{}` must be a number of seconds above 0 (got {!r}).'.format(option, value)[:300])
    return value


def instance_timeout(value, **kwargs):
    """The run's deadline: every request and reply of a run ends by it."""
    return _seconds(value, 'timeout')


def instance_connect_timeout(value, **kwargs):
    return _seconds(value, 'connect_timeout')


def instance_read_timeout(value, **kwargs):
    return _seconds(value, 'read_timeout')


def instance_requests_per_minute(value, **kwargs):
    return _whole(value, 'requests_per_minute', 0, ' (0 = no budget)')


def instance_max_response_bytes(value, **kwargs):
    return _whole(value, 'max_response_bytes', 1, ' bytes')


def instance_max_sample_age(value, **kwargs):
    return _whole(value, 'max_sample_age', 0, ' seconds (0 = samples\' own timestamps are not checked)')


def instance_max_label_values(value, **kwargs):
    return _whole(value, 'max_label_values', 0, ' (0 = no limit)')


def instance_aggregate_labels(value, **kwargs):
    return _strings(value, 'aggregate_labels', 'label names, e.g. [region, backend_id]')


def instance_exclude_labels(value, **kwargs):
    # The deprecated spelling of `aggregate_labels` (provider.py warns).
    return _strings(value, 'exclude_labels', 'label names, e.g. [region, backend_id]')


def instance_quantiles(value, **kwargs):
    if not isinstance(value, list | tuple) or not all(
        isinstance(q, int | float) and not isinstance(q, bool) and 0 <= q <= 1 for q in value
    ):
        raise ValueError('`quantiles` must be a list of numbers between 0 and 1, e.g. [0.5, 0.9, 0.99].')
    return value


def instance_method(value, **kwargs):
    if not isinstance(value, str) or value.upper() not in ('GET', 'POST'):
        raise ValueError('`method` must be GET or POST.')
    return value.upper()


def instance_latency_unit(value, **kwargs):
    if value not in LATENCY_UNITS:
        raise ValueError('`latency_unit` must be one of: {} (got {!r}).'.format(', '.join(LATENCY_UNITS), value))
    return value


def instance_queries(value, **kwargs):
    """Each entry: `query` and `name`, and optional `type`, `labels`, `rename_labels`, `tags`, `aggregate`; an
    invalid one is named (`queries[2] (`requests.rate`)`) with what is wrong with it."""
    if not isinstance(value, list | tuple):
        raise ValueError('`queries` must be a list of mappings with `query`, `name` and optional `type`.')
    for i, entry in enumerate(value):
        where = 'queries[{}]'.format(i)
        if isinstance(entry, dict) and isinstance(entry.get('name'), str):
            where += ' (`{}`)'.format(entry['name'])

        def fail(problem, where=where):
            raise ValueError('{}: {}'.format(where, problem))

        if not isinstance(entry, dict):
            fail('must be a mapping with `query`, `name` and optional `type`, `labels`, `rename_labels`, `tags`.')
        unknown = unknown_names(entry, QUERY_KEYS)
        if unknown:
            fail('unknown keys {}; allowed: {}.'.format(unknown, ', '.join(QUERY_KEYS)))
        expr, name = entry.get('query'), entry.get('name')
        if not isinstance(expr, str) or not expr.strip():
            fail('`query` must be a non-empty PromQL expression.')
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            fail(
                '`name` must be a metric name such as `requests.rate` (lower case, dots); it is submitted under '
                '`llm_inference.`.'
            )
        if entry.get('type', 'gauge') not in QUERY_TYPES:
            fail('`type` must be one of {}.'.format(', '.join(QUERY_TYPES)))
        labels = entry.get('labels', [])
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            fail('`labels` must be a list of label names to keep.')
        rename = entry.get('rename_labels', {})
        if not isinstance(rename, dict) or not all(isinstance(v, str) for v in rename.values()):
            fail('`rename_labels` must map label names to tag names.')
        try:
            LabelMap(rename)  # the rule of every label map, met here: no tag the Agent reserves
        except ValueError as e:
            fail('`rename_labels`: {}.'.format(e))
        tags = entry.get('tags', [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            fail('`tags` must be a list of `key:value` strings.')
        if entry.get('aggregate') and entry['aggregate'] not in AGGREGATES:
            fail('`aggregate` must be `sum` (rates, counts) or `avg` (averaged gauges).')
    return value


def instance_model(value, **kwargs):
    """The model an endpoint serves, for a provider whose series name none (MODEL_OPTION): every series is tagged
    with it (as `model` and, canonical, `canonical_model`); left empty (`model:`), it is not set."""
    if value is None:
        return value
    if not isinstance(value, str) or not value.strip():
        example = 'meta-llama/Llama-3.3-70B-Instruct'
        raise ValueError('`model` must name the model the endpoint serves, e.g. {} (got {!r}).'.format(example, value))
    return value.strip()


def instance_model_aliases(value, **kwargs):
    if not hasattr(value, 'items') or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise ValueError(
            '`model_aliases` must map model names to canonical model names, e.g. {my-ft: llama-3.1-8b-instruct}.'
        )
    return value


def instance_pricing(value, **kwargs):
    """Parsed here, once (a ValueError names the bad key): the model keeps what parse made of it (prices as floats,
    model names stripped), which the check takes as it is (Pricing.of)."""
    if value is None:
        return value
    return dataclasses.asdict(Pricing.parse(value))
