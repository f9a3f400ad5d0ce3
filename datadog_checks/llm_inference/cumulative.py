# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Cumulative counters and histograms: what the previous scrape read, so that a value is made of two scrapes.

A counter's rate is (value - previous value) / seconds between the two scrapes; a histogram's bucket rates are the
same per bound (buckets.increase), then take the one bucket path to the quantiles. Time is the monotonic clock
(budget.monotonic: tests control it), read once per scrape, as the request is sent.

- The first scrape of a series (after a start, or a series new since) gives no value for it: never a zero, which
  would read as "idle". Its group is then the sum of the series that have a rate, as PromQL's `sum(rate(...))`.
- A counter that went down was reset (the provider's process restarted): its increase is its new value, counted from
  0, as Prometheus's `rate` takes it; never a negative rate.
- State is bounded: a series not read in the last KEEP_SCRAPES successful scrapes is forgotten (it comes back as a
  first scrape). Only a reply read and mapped whole updates it (all or nothing, as the submissions).
"""

from . import budget
from .buckets import increase

KEEP_SCRAPES = 5


def series_key(spec, context):
    """A series' identity across scrapes: its spec (a module constant) and its label names and values."""
    return spec, context.names, context.values


class CumulativeState:
    """The previous samples of one check instance's cumulative series: key -> (value or bucket rows, time, scrape)."""

    def __init__(self, clock=None):
        self.clock = clock or (lambda: budget.monotonic())
        self.previous = {}
        self.scrapes = 0
        self.at = None  # when the last committed scrape was sent

    def interval(self):
        """The values of one scrape, timed now; its `commit()` makes them the previous ones."""
        return Interval(self, self.clock())


class Interval:
    def __init__(self, state, at):
        self.state = state
        self.at = at
        self.scrape = state.scrapes + 1
        self.seen = {}
        self.first = 0  # series read for the first time: no value this scrape
        # Seconds since the previous scrape (None after a start): what a bucket rate x gives back the increase.
        self.seconds = at - state.at if state.at is not None and at > state.at else None

    def _previous(self, key, value):
        self.seen[key] = (value, self.at, self.scrape)
        previous = self.state.previous.get(key)
        if previous is None or self.at <= previous[1]:
            self.first += 1
            return None, 0.0
        return previous[0], self.at - previous[1]

    def rate(self, spec, context, value):
        """The per-second rate of a counter since the previous scrape, or None (first scrape, value not finite)."""
        before, seconds = self._previous(series_key(spec, context), value)
        if before is None or value - value or before - before:
            return None
        return (value - before if value >= before else value) / seconds

    def bucket_rates(self, spec, context, rows):
        """Per-second bucket rates [bound, rate, ...] since the previous scrape, or None."""
        before, seconds = self._previous(series_key(spec, context), rows)
        if before is None:
            return None
        return increase(rows, before, seconds)

    def commit(self):
        """This scrape's values become the previous ones; series unread for KEEP_SCRAPES scrapes are forgotten."""
        state = self.state
        kept = {k: v for k, v in state.previous.items() if k not in self.seen and self.scrape - v[2] < KEEP_SCRAPES}
        kept.update(self.seen)
        state.previous = kept
        state.scrapes = self.scrape
        state.at = self.at
