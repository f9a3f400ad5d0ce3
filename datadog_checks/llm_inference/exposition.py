# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""A strict, fast parser of the Prometheus text exposition format (version 0.0.4).

The providers' replies are flat lists of samples; the check needs (name, labels, value) and nothing of the family
structure, so this reads line by line with precompiled expressions instead of prometheus_client's general parser,
and refuses a malformed line with an error that quotes it instead of skipping or guessing.
"""

import re

_NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
_NAME_ONLY = re.compile(_NAME + r'$')
_SAMPLE_LINE = re.compile(
    r'^[ \t]*(' + _NAME + r')(?:[ \t]*\{(.*)\}[ \t]*|[ \t]+)([^ \t\n{}]+)(?:[ \t]+-?[0-9]+)?[ \t]*$', re.MULTILINE
)
_TIMESTAMP = re.compile(r'-?[0-9]+$')
_LABEL = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(,|$)')
_ESCAPE = re.compile(r'\\(.)')
_UNESCAPE = {'\\': '\\', '"': '"', 'n': '\n'}


class ExpositionError(ValueError):
    pass


class CutOff(ExpositionError):
    """The text ends in the middle of a line: the format ends every line with `\\n`, so the reply was cut off (a
    close-delimited reply has no length to say so) and its last value may be a shorter number."""


def _unescape(match):
    char = match.group(1)
    return _UNESCAPE.get(char, '\\' + char)


def _where(line_number):
    return 'line {}: '.format(line_number) if line_number else ''


def parse_labels(text, line_number=0):
    """The label dict of the text between `{` and `}`; ExpositionError, naming the line, if it is malformed."""
    labels = {}
    position = 0
    while position < len(text):
        match = _LABEL.match(text, position)
        if match is None or match.end() == position:
            raise ExpositionError('{}malformed labels {{{}}}'.format(_where(line_number), text[:120]))
        name, value, comma = match.groups()
        if name in labels:
            raise ExpositionError('{}label `{}` appears twice in {{{}}}'.format(_where(line_number), name, text[:120]))
        labels[name] = _ESCAPE.sub(_unescape, value) if '\\' in value else value
        position = match.end()
        if not comma and position < len(text):
            raise ExpositionError('{}malformed labels {{{}}}'.format(_where(line_number), text[:120]))
    return labels


def _value(text, line_number):
    try:
        return float(text)
    except ValueError:
        raise ExpositionError('line {}: `{}` is not a number'.format(line_number, text[:40])) from None


def parse_lines(text):
    """Every sample line of `text` as a (name, labels, value) tuple of text, in order; the caller converts the
    values it uses with number() and parses the labels it uses with parse_labels();
    comments, `# HELP`/`# TYPE` and blank lines skipped. Raises ExpositionError, naming the line, on anything that is
    not a sample, a comment or a blank line.

    The label text is the span from the first `{` to the last `}`: a value or timestamp cannot hold a brace, so the
    last one closes the labels whatever the label values hold. parse_labels() checks the span itself.

    Fast path: one regular expression over the whole text (in C) when every line is a well-formed sample, a comment
    or blank, which is checked by counting lines; otherwise the line-by-line reading finds and names the bad line.
    Errors found later in labels or values quote the text, as the line number is not kept.

    A non-empty, well-formed text whose last line has no final newline raises CutOff.
    """
    if text and text[-1] != '\n':
        # A malformed line (the last one included) is named as such; a well-formed text without its final newline
        # is what a cut-off reply looks like (`12.5` arriving as `12`), so it is refused whole.
        try:
            _parse_lines_slowly(text)
        except ExpositionError as e:
            raise ExpositionError(
                '{} (and the text ends without a final newline: it may have been cut off)'.format(e)
            ) from None
        raise CutOff(
            'line {}: the text ends without a final newline, in the middle of `{}`'.format(
                text.count('\n') + 1, text[text.rfind('\n') + 1 :][-80:]
            )
        )
    samples = _SAMPLE_LINE.findall(text)
    if len(samples) + _count_skipped(text) == text.count('\n') + 1:
        return samples
    return _parse_lines_slowly(text)


def _count_skipped(text):
    """A lower bound of the comment and blank lines, counted in C: lines starting with `#`, and empty lines (runs
    of several empty lines, and lines of spaces, are undercounted, which only sends the text to the slow path)."""
    return text.count('\n#') + text.startswith('#') + text.count('\n\n') + text.startswith('\n') + text.endswith('\n')


def _parse_lines_slowly(text):
    lines = []
    names = set()  # names already checked: a reply repeats a few names thousands of times
    for line_number, line in enumerate(text.split('\n'), 1):
        line = line.strip()
        if not line or line[0] == '#':
            continue
        brace = line.find('{')
        if brace == -1:
            parts = line.split()
            name, labels, rest = parts[0], '', parts[1:]
        else:
            close = line.rfind('}')
            if close < brace:
                raise ExpositionError('line {}: not a sample: {}'.format(line_number, line[:120]))
            name, labels, rest = line[:brace].rstrip(), line[brace + 1 : close], line[close + 1 :].split()
        if name not in names:
            if _NAME_ONLY.match(name) is None:
                raise ExpositionError('line {}: not a sample: {}'.format(line_number, line[:120]))
            names.add(name)
        if len(rest) != 1 and (len(rest) != 2 or not _TIMESTAMP.match(rest[1])):
            raise ExpositionError('line {}: not a sample: {}'.format(line_number, line[:120]))
        _value(rest[0], line_number)  # refuse a bad value here, where the line number is known
        lines.append((name, labels, rest[0]))
    return lines


def number(text):
    """The float of a sample value (NaN, +Inf and -Inf included); ExpositionError quoting it otherwise."""
    try:
        return float(text)
    except ValueError:
        raise ExpositionError('`{}` is not a number'.format(text[:40])) from None


_LE = re.compile(r'(^|,)[ \t]*le[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(,|$)')


def split_le(labels):
    """(`le` value, the other labels' text) of a bucket series' label text; (None, labels) without `le`."""
    # Fast path for the usual `...,le="0.5"` ending.
    at = labels.rfind(',le="')
    if at != -1 and labels[-1] == '"':
        value = labels[at + 5 : -1]
        if '"' not in value and '\\' not in value:
            return value, labels[:at]
    match = _LE.search(labels)
    if match is None:
        return None, labels
    before, after = labels[: match.start()], labels[match.end() :]
    joiner = ',' if match.group(1) and match.group(3) else ''
    return match.group(2), before + joiner + after
