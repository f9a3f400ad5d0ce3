# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Request budgets and 429 cooldowns, shared by every instance in the Agent process that uses one credential.

Fireworks allows 6 metric requests a minute per account and Wafer 6 per key (provider docs); the base HTTP
wrapper neither retries nor reads ``Retry-After``. So the check counts its own requests per credential and
skips a run, without a request, rather than let the provider answer 429.
"""

import hashlib
import random
import threading
import time
from collections import deque
from email.utils import parsedate_to_datetime

from .errors import RateLimited

WINDOW = 60.0  # the providers state their budgets per minute
DEFAULT_COOLDOWN = 60.0  # a 429 without Retry-After: wait out one budget window
MAX_COOLDOWN = 900.0  # cap a mistaken or hostile Retry-After at 15 minutes
JITTER = 0.1  # up to +10%, so instances sharing a credential do not return in lockstep

# Swapped by tests for a fake clock; everything here reads time through it.
now = time.time


def credential_id(*parts):
    """A stable, non-reversible id for a credential: the clear key is never stored or logged."""
    digest = hashlib.sha256('\x00'.join(str(p) for p in parts).encode('utf-8')).hexdigest()
    return digest[:16]


def parse_retry_after(value, at):
    """Seconds to wait from ``Retry-After`` (delta-seconds or HTTP-date), or None when absent or unreadable."""
    if value is None:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - at)


class _Ledger:
    """Process-wide state: request times and cooldown deadlines by credential id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}
        self.cooldown_until = {}

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.cooldown_until.clear()


LEDGER = _Ledger()


class RequestBudget:
    """At most ``per_minute`` requests in any 60 s for one credential (0 = unlimited), and 429 cooldowns."""

    def __init__(self, credential, per_minute, what, load=None, save=None):
        self.credential = credential
        self.per_minute = per_minute
        self.what = what  # e.g. "account acme" or "API key": says in messages which budget ran out
        self._save = save or (lambda value: None)
        # Read on first use: the Agent's persistent cache is keyed by a check id set after construction.
        self._load = load

    def _restore(self):
        """A cooldown written before an Agent restart still holds."""
        load, self._load = self._load, None
        try:
            persisted = float(load() or 0)
        except (TypeError, ValueError):
            return
        with LEDGER.lock:
            if persisted > LEDGER.cooldown_until.get(self.credential, 0.0):
                LEDGER.cooldown_until[self.credential] = persisted

    def acquire(self):
        """Take one request from the budget, or raise RateLimited without making one."""
        if self._load is not None:
            self._restore()
        at = now()
        with LEDGER.lock:
            until = LEDGER.cooldown_until.get(self.credential, 0.0)
            if until > at:
                raise RateLimited(
                    'cooling down after HTTP 429 for the {}: no request for {:.0f} s more. If this repeats, other '
                    'clients share this budget: lower their rate or raise `min_collection_interval`.'.format(
                        self.what, until - at
                    )
                )
            if not self.per_minute:
                return
            window = LEDGER.requests.setdefault(self.credential, deque())
            while window and window[0] <= at - WINDOW:
                window.popleft()
            if len(window) >= self.per_minute:
                raise RateLimited(
                    'request budget of {} a minute for the {} is spent by the instances that share it; this run '
                    'is skipped without a request. Raise `min_collection_interval` or run fewer instances on this '
                    'credential.'.format(self.per_minute, self.what)
                )
            window.append(at)

    def cool_down(self, retry_after):
        """Record a 429; return the cooldown in seconds."""
        at = now()
        seconds = parse_retry_after(retry_after, at)
        if seconds is None:
            seconds = DEFAULT_COOLDOWN
        seconds = min(seconds, MAX_COOLDOWN)
        seconds += random.uniform(0, seconds * JITTER)
        until = at + seconds
        with LEDGER.lock:
            LEDGER.cooldown_until[self.credential] = max(until, LEDGER.cooldown_until.get(self.credential, 0.0))
        self._save(str(until))
        return seconds
