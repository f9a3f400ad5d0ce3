# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Samples whose own timestamps are too old (a stuck exporter that repeats its last values): not submitted as
current. The parser gives each row's timestamp text; this keeps the rows that are fresh enough, per distinct
timestamp (a reply carries one or a few), so a reply costs one set of its timestamps, not a float per sample."""

from operator import itemgetter

from datadog_checks.base import AgentCheck

from . import budget
from .errors import CollectionError

_SAMPLE_ONLY = itemgetter(0, 1, 2)
_STAMP_OF = itemgetter(3)
# The text format's timestamps are milliseconds, OpenMetrics' seconds: 1e11 is 1973 in milliseconds and the year
# 5138 in seconds, so a larger value is read as milliseconds.
_MILLISECONDS_ABOVE = 1e11


def age_text(seconds):
    """3 h 12 min, 4 min 5 s, 42 s: how old data is, for a message."""
    seconds = int(seconds)
    if seconds >= 3600:
        return '{} h {} min'.format(seconds // 3600, seconds % 3600 // 60)
    if seconds >= 60:
        return '{} min {} s'.format(seconds // 60, seconds % 60)
    return '{} s'.format(seconds)


class Staleness:
    """One run's reading of the samples' timestamps against `max_age` seconds (0: not checked)."""

    def __init__(self, max_age):
        self.max_age = max_age
        self.now = budget.now()  # the wall clock (tests set it through budget's seam)
        self.stale = 0  # samples left out
        self.oldest = 0.0  # the age of the oldest of them, in seconds
        self._old = {}  # timestamp text -> whether it is too old

    def keep(self, rows):
        """The (name, labels, value) of the (name, labels, value, timestamp) rows that are not too old."""
        stamps = set(map(_STAMP_OF, rows))
        stamps.discard('')
        if not stamps or not self.max_age:
            return list(map(_SAMPLE_ONLY, rows))
        old = {stamp for stamp in stamps if self._too_old(stamp)}
        if not old:
            return list(map(_SAMPLE_ONLY, rows))
        kept = [row[:3] for row in rows if row[3] not in old]
        self.stale += len(rows) - len(kept)
        return kept

    def _too_old(self, stamp):
        known = self._old.get(stamp)
        if known is None:
            at = float(stamp)
            if abs(at) > _MILLISECONDS_ABOVE:
                at /= 1000.0
            age = self.now - at
            known = self._old[stamp] = age > self.max_age
            if known:
                self.oldest = max(self.oldest, age)
        return known

    def message(self):
        """What the WARNING says of the samples left out, or None."""
        if not self.stale:
            return None
        return (
            '{} samples carry timestamps up to {} old, over `max_sample_age` ({} s): not submitted as current '
            '(is the provider\'s exporter stuck?).'.format(self.stale, age_text(self.oldest), self.max_age)
        )


class StaleData(CollectionError):
    """A run that submitted its fresh samples and left out stale ones: a WARNING saying how old they are."""

    status = AgentCheck.WARNING
    outcome = 'ok'
