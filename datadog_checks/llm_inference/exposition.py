# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""A strict, fast parser of the Prometheus text exposition format (version 0.0.4).

The providers' replies are flat lists of samples; the check needs (name, labels, value) and nothing of the family
structure, so this reads line by line with precompiled expressions instead of prometheus_client's general parser,
and refuses a malformed line with an error that quotes it instead of skipping or guessing.
"""

import codecs
import re
from operator import itemgetter

_NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
_STAMP = r'-?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?'
# The label text between braces, quoted values read as strings (a value may hold `}` or `#`): an OpenMetrics
# exemplar after the value (`... 12 # {trace_id="abc"} 0.5`) has braces of its own, so "up to the last `}`" would
# take the exemplar's value for the sample's.
_QUOTED_LABELS = r'\{([^"{}\n]*(?:"[^"\\\n]*(?:\\.[^"\\\n]*)*"[^"{}\n]*)*)\}'
# "Up to the last `}`" costs a third of reading the labels as strings: right on a text without exemplars.
_LAST_BRACE_LABELS = r'\{(.*)\}'
# An exemplar is metadata of the sample (a trace id, one observation): read past, never taken as a value.
_EXEMPLAR = r'(?:[ \t]+#[ \t]*\{[^\n]*\}[ \t]*[^ \t\n{}#]+(?:[ \t]+' + _STAMP + r')?)?'
_HAS_EXEMPLAR = re.compile(r'#[ \t]*\{')


def _sample(labels):
    return (
        r'^[ \t]*(' + _NAME + r')(?:[ \t]*' + labels + r'[ \t]*|[ \t]+)([^ \t\n{}#]+)(?:[ \t]+(' + _STAMP + r'))?'
        + _EXEMPLAR + r'[ \t]*$'
    )


# (name, labels, value, timestamp) of each well-formed sample line; the timestamp is '' where there is none.
_SAMPLE_LINE = re.compile(_sample(_LAST_BRACE_LABELS), re.MULTILINE)
_EXEMPLARY_LINE = re.compile(_sample(_QUOTED_LABELS), re.MULTILINE)
_ONE_SAMPLE = re.compile(_sample(_QUOTED_LABELS))
_TIMESTAMP = re.compile(_STAMP + '$')
_SAMPLE_ONLY = itemgetter(0, 1, 2)  # a row without its timestamp, in C
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


def parse_lines(text, first_line=1, stamps=None):
    """Every sample line of `text` as a (name, labels, value) tuple of text, in order; the caller converts the
    values it uses with number() and parses the labels it uses with parse_labels();
    comments (`# EOF` too), `# HELP`/`# TYPE` and blank lines skipped; OpenMetrics exemplars read past (never their
    value). Raises ExpositionError, naming the line, on anything that is
    not a sample, a comment or a blank line.

    The label text is the span from the first `{` to the last `}`: a value or timestamp cannot hold a brace, so the
    last one closes the labels whatever the label values hold. parse_labels() checks the span itself.

    Fast path: one regular expression over the whole text (in C) when every line is a well-formed sample, a comment
    or blank, which is checked by counting lines; otherwise the line-by-line reading finds and names the bad line.
    Errors found later in labels or values quote the text, as the line number is not kept.

    A non-empty, well-formed text whose last line has no final newline raises CutOff. `stamps`
    (staleness.Staleness) leaves out the samples whose own timestamps are too old.
    """
    if text and text[-1] != '\n':
        # A malformed line (the last one included) is named as such; a well-formed text without its final newline
        # is what a cut-off reply looks like (`12.5` arriving as `12`), so it is refused whole.
        try:
            _parse_lines_slowly(text, first_line)
        except ExpositionError as e:
            raise ExpositionError(
                '{} (and the text ends without a final newline: it may have been cut off)'.format(e)
            ) from None
        raise CutOff(
            'line {}: the text ends without a final newline, in the middle of `{}`'.format(
                text.count('\n') + first_line, text[text.rfind('\n') + 1 :][-80:]
            )
        )
    rows = (_EXEMPLARY_LINE if _HAS_EXEMPLAR.search(text) else _SAMPLE_LINE).findall(text)
    lines = text.count('\n') + 1
    # Every line a sample (the usual reply: providers send no comments) needs no count of the skipped ones.
    if not (len(rows) + 1 == lines or len(rows) + _count_skipped(text) == lines):
        rows = _parse_lines_slowly(text, first_line, stamped=True)
    return list(map(_SAMPLE_ONLY, rows)) if stamps is None else stamps.keep(rows)


def parse_chunks(chunks, stamps=None):
    """The samples of a reply read as byte `chunks`, parsed as they arrive: for each run of complete lines, the
    list parse_lines() gives for them. Only a chunk's lines are held at a time, never the whole text.

    UTF-8 is decoded strictly (UnicodeDecodeError); errors name the line in the whole reply. A reply whose last
    line has no final newline raises CutOff after the earlier lines were given: a caller that wants all or nothing
    submits only once this generator is exhausted.
    """
    decoder = codecs.getincrementaldecoder('utf-8')()
    tail, first_line = '', 1
    for chunk in chunks:
        text = decoder.decode(chunk)
        end = text.rfind('\n') + 1
        if not end:
            tail += text
            continue
        whole = tail + text[:end] if tail else text[:end]
        tail = text[end:]
        samples = parse_lines(whole, first_line, stamps)
        first_line += whole.count('\n')
        yield samples
    tail += decoder.decode(b'', final=True)
    if tail:
        parse_lines(tail, first_line)  # raises: a malformed line, or CutOff


def _count_skipped(text):
    """A lower bound of the comment and blank lines, counted in C: lines starting with `#`, and empty lines (runs
    of several empty lines, and lines of spaces, are undercounted, which only sends the text to the slow path)."""
    return text.count('\n#') + text.startswith('#') + text.count('\n\n') + text.startswith('\n') + text.endswith('\n')


def _parse_lines_slowly(text, first_line=1, stamped=False):
    """parse_lines() a line at a time, naming the first line that is not a sample, a comment or blank; `stamped`:
    (name, labels, value, timestamp) rows, as the fast path's expression gives them."""
    rows = []
    for line_number, line in enumerate(text.split('\n'), first_line):
        line = line.strip()
        if not line or line[0] == '#':
            continue
        match = _ONE_SAMPLE.match(line)
        if match is None:
            raise ExpositionError('line {}: not a sample: {}'.format(line_number, line[:120]))
        name, labels, value, stamp = match.groups()
        _value(value, line_number)  # refuse a bad value here, where the line number is known
        rows.append((name, labels or '', value, stamp or '') if stamped else (name, labels or '', value))
    return rows


def number(text):
    """The float of a sample value (NaN, +Inf and -Inf included); ExpositionError quoting it otherwise."""
    try:
        return float(text)
    except ValueError:
        raise ExpositionError('`{}` is not a number'.format(text[:40])) from None
