# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The one bucket path of every provider, scrape and query: a bucket sample's `le`, its value, and the series it
belongs to (its labels without `le`), collected into the histograms the mapper turns into quantiles.

Buckets are rates: recording-rule outputs and a query API's `rate`/`irate` of `_bucket` are used as given;
cumulative histograms (raw `_bucket` counters, specs.CumulativeQuantiles) become rates here, by `increase()` of each
bound over the previous scrape divided by the seconds between them (cumulative.py keeps the previous rows), and
from then on take the same path to the quantiles.

What cannot be used is said, never skipped in silence: a `le` missing or not a number makes the series unmapped
(reported by name), a NaN value or bound is counted as not finite (the histogram is read without that bound).
"""

import re

NO_BOUND = object()  # a bucket's `le` missing or not a number (cached per `le` text like a bound)

_LE = re.compile(r'(^|,)[ \t]*le[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(,|$)')


def bound_of(text):
    """The float of a `le` text (`+Inf` and `NaN` included), or NO_BOUND for None or a text that is no number."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return NO_BOUND


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


def without_le(labels):
    """(`le` text or None, the series' identity: its labels but `le` and `__name__`, as a frozenset) of a label
    dict (a query reply's)."""
    return labels.get('le'), frozenset(item for item in labels.items() if item[0] != 'le' and item[0] != '__name__')


def pairs(rows):
    """[(bound, value)] of a flat row list [bound, value, bound, value, ...]."""
    return list(zip(rows[0::2], rows[1::2]))


def increase(rows, previous, seconds):
    """Per-second bucket rates [bound, rate, ...] of cumulative rows over the previous scrape's, as PromQL's
    `rate(x_bucket[...])` takes them bound by bound: a bound whose count went down was reset (its process
    restarted), and its increase is the new count (counted from 0, as Prometheus does). None when the bounds differ
    from the previous scrape's (the histogram's layout changed: no interval to compare)."""
    now, before = first_per_bound(rows), first_per_bound(previous)
    if now.keys() != before.keys():
        return None
    out = []
    for bound, value in now.items():
        old = before[bound]
        out += (bound, (value - old if value >= old else value) / seconds)
    return out


def first_per_bound(rows):
    """{bound: value} of flat rows, the first of a repeated bound counting (the same series sent twice)."""
    seen = {}
    for bound, value in zip(rows[0::2], rows[1::2]):
        if bound not in seen:
            seen[bound] = value
    return seen


class Buckets:
    """One reply's bucket samples grouped by series: {group key: [bound, value, bound, value, ...]}, in reply order.

    The rows are flat lists of floats, not a tuple per bucket: a reply holds hundreds of thousands of buckets, and
    tuples that live until the end of the run are what the garbage collector would walk again and again.

    The group key is the caller's: whatever names one histogram (a spec and the label text without `le` when
    scraping; a family, window and label set when querying). `unmapped` counts, per raw name, series without a
    usable `le`; `not_finite` the NaN samples and bounds. The caller hands both to its report once the reply is read.
    """

    __slots__ = ('groups', 'bounds', 'unmapped', 'not_finite')

    def __init__(self, unmapped=None):
        self.groups = {}
        self.bounds = {}  # `le` text -> float: a reply uses a few bounds thousands of times
        self.unmapped = {} if unmapped is None else unmapped  # raw name -> samples
        self.not_finite = 0

    def add(self, key, le, value, name):
        """One bucket sample: `le` its text (None when absent), `value` a float, `name` the raw name to report."""
        bound = self.bounds.get(le)
        if bound is None:
            bound = self.bounds[le] = bound_of(le)
        if bound is NO_BOUND:
            self.unmapped[name] = self.unmapped.get(name, 0) + 1
            return False
        if value - value or bound != bound:
            self.not_finite += 1  # NaN value or bound: the histogram is read without that bound
            return False
        rows = self.groups.get(key)
        if rows is None:
            self.groups[key] = [bound, value]
        else:
            rows += (bound, value)
        return True

    def add_text(self, spec, labels, value, name):
        """A bucket sample of the text format: its label text, `le` among it, keyed by (spec, the other labels'
        text) so each distinct series is parsed once, later."""
        # Inline fast path of split_le() for the usual `...,le="0.5"` ending.
        at = labels.rfind(',le="')
        if at != -1 and labels[-1] == '"' and '"' not in labels[at + 5 : -1]:
            return self.add((spec, labels[:at]), labels[at + 5 : -1], value, name)
        le, rest = split_le(labels)
        return self.add((spec, rest), le, value, name)

    def report_to(self, report, mapper):
        """What could not be used, into the run's report (unmapped names) and the mapper (not finite)."""
        if self.unmapped is not report.unmapped_names:
            for name, count in self.unmapped.items():
                report.unmapped_name(name, count)
            self.unmapped.clear()
        if self.not_finite:
            mapper.not_finite(self.not_finite)
            self.not_finite = 0
