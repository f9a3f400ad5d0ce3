# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""A strict, fast parser of the Prometheus text exposition format (version 0.0.4).

The providers' replies are flat lists of samples; the check needs (name, labels, value) and nothing of the family
structure, so this reads line by line with precompiled expressions instead of prometheus_client's general parser,
and refuses a malformed line with an error that quotes it instead of skipping or guessing.
"""
import math
import re
from typing import NamedTuple

_NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
# name, then optional {labels}, then value and optional timestamp. Label values may hold escaped \\, \" and \n.
_LINE = re.compile(
    r'^(?P<name>' + _NAME + r')[ \t]*(?:\{(?P<labels>(?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?[ \t]*'
    r'(?P<value>[^ \t{]+)(?:[ \t]+(?P<ts>-?[0-9]+))?[ \t]*$'
)
_LABEL = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(,|$)')
_ESCAPE = re.compile(r'\\(.)')
_UNESCAPE = {'\\': '\\', '"': '"', 'n': '\n'}
_SPECIAL = {'NaN': math.nan, '+Inf': math.inf, 'Inf': math.inf, '-Inf': -math.inf}


class Sample(NamedTuple):
    name: str
    labels: dict
    value: float


class ExpositionError(ValueError):
    pass


def _unescape(match):
    char = match.group(1)
    return _UNESCAPE.get(char, '\\' + char)


def _labels(text, line_number):
    labels = {}
    position = 0
    while position < len(text):
        match = _LABEL.match(text, position)
        if match is None or match.end() == position:
            raise ExpositionError('line {}: malformed labels {{{}}}'.format(line_number, text[:120]))
        name, value, comma = match.groups()
        if name in labels:
            raise ExpositionError('line {}: label `{}` appears twice'.format(line_number, name))
        labels[name] = _ESCAPE.sub(_unescape, value) if '\\' in value else value
        position = match.end()
        if not comma and position < len(text):
            raise ExpositionError('line {}: malformed labels {{{}}}'.format(line_number, text[:120]))
    return labels


def _value(text, line_number):
    special = _SPECIAL.get(text)
    if special is not None:
        return special
    try:
        return float(text)
    except ValueError:
        raise ExpositionError('line {}: `{}` is not a number'.format(line_number, text[:40])) from None


def parse_samples(text):
    """Every sample of `text`, in order; comments, `# HELP`/`# TYPE` and blank lines skipped.

    Raises ExpositionError, naming the line, on anything that is not a sample, a comment or a blank line.
    """
    samples = []
    for number, line in enumerate(text.split('\n'), 1):
        stripped = line.strip()
        if not stripped or stripped[0] == '#':
            continue
        match = _LINE.match(stripped)
        if match is None:
            raise ExpositionError('line {}: not a sample: {}'.format(number, stripped[:120]))
        labels_text = match.group('labels')
        labels = _labels(labels_text, number) if labels_text else {}
        samples.append(Sample(match.group('name'), labels, _value(match.group('value'), number)))
    return samples
