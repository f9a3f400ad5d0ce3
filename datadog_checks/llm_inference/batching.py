# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Which queries of a run go out together, and what a query check remembers of refusals between runs.

The providers ration requests, so the queries of a run are combined (each part marked with `label_replace`, joined
with `or`). Nothing learnt from a refusal is kept forever: a transient one (a timeout) is forgotten at the next
run, one that says the engine cannot combine for COMBINE_RETRY, a refused user query for QUERY_RETRY.
"""

import re

from . import budget
from .promql_client import strip_comments

MARKER = 'llm_inference_query'
COMBINE_RETRY = 3600.0  # s: an engine that said it cannot combine is asked again after this
QUERY_RETRY = 900.0  # s: a refused user query is left out this long, then tried again
# Characters of one combined expression: VictoriaMetrics refuses queries over `-search.maxQueryLen` (16384 by
# default); longer sets of queries are split into several combined requests.
MAX_COMBINED = 16000
# What an engine says when the form itself is the problem (not a timeout, not one bad query).
CANNOT_COMBINE = re.compile(
    r'unsupported|not supported|not implemented|not allowed|unknown function[^"]*"label_replace"', re.IGNORECASE
)


def combined(indexed):
    """One expression for [(index, expr)]: each part's samples carry MARKER=index."""
    return ' or '.join(
        'label_replace(({}), "{}", "{}", "", "")'.format(strip_comments(expr), MARKER, i) for i, expr in indexed
    )


def split(indexed, limit=MAX_COMBINED):
    """[(index, expr)] in groups whose combined expression stays within `limit` characters (a longer query alone)."""
    groups, size = [], 0
    for item in indexed:
        length = len(combined([item])) + 4  # ' or '
        if not groups or size + length > limit:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += length
    return groups


def parts(samples, count):
    """The samples of a combined reply, by part (the marker label removed)."""
    out = [[] for _ in range(count)]
    for labels, value in samples:
        index = labels.pop(MARKER, None)
        if index is not None and index.isdigit() and int(index) < count:
            out[int(index)].append((labels, value))
    return out


class Refusals:
    """What the engine refused, until when (the budget's monotonic clock, which tests drive)."""

    def __init__(self):
        self.combine_until = None  # the engine said it cannot combine: one request per query until then
        self.queries = {}  # query index -> (until, message)

    def combining(self):
        if self.combine_until is not None and self.combine_until <= budget.monotonic():
            self.combine_until = None
        return self.combine_until is None

    def combine_refused(self, message):
        """Whether the refusal of a combined query says the engine cannot combine (then remembered)."""
        cannot = bool(CANNOT_COMBINE.search(message))
        if cannot:
            self.can_combine(False)
        return cannot

    def can_combine(self, yes):
        """Forget that the engine cannot combine, or remember it for COMBINE_RETRY."""
        self.combine_until = None if yes else budget.monotonic() + COMBINE_RETRY

    def refuse(self, index, message):
        self.queries[index] = (budget.monotonic() + QUERY_RETRY, message)

    def left_out(self):
        """{index: message} of the queries still left out; the others are forgotten (tried again)."""
        now = budget.monotonic()
        self.queries = {i: kept for i, kept in self.queries.items() if kept[0] > now}
        return {i: message for i, (_, message) in self.queries.items()}


class Gaps:
    """What a run's answers leave out (a refused user query, a partial reply): the run's WARNING says it, and the
    series of partial replies are counted in the drift telemetry."""

    def __init__(self):
        self.messages = []
        self.partial = 0  # series in partial replies, not submitted

    def left_out(self, label, message, minutes=None):
        again = ' (tried again in {:.0f} min)'.format(minutes) if minutes else ''
        self.messages.append(
            'query `{}` was refused and left out{}: {}. Fix or remove it in `queries`.'.format(label, again, message)
        )

    def partial_reply(self, error, labels):
        self.partial += error.series
        self.messages.append('{} ({})'.format(error, ', '.join('`{}`'.format(label) for label in labels)))

    def report_to(self, report):
        if self.partial:
            report.drop('partial_reply', self.partial)
        report.warnings.extend(self.messages)
