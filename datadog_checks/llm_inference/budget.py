# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Request budgets and 429 cooldowns, shared by every instance in the Agent process that uses one credential.

Providers allow a few metric requests a minute per account, organization or key (each declares its own
DEFAULT_REQUESTS_PER_MINUTE and BUDGET_SCOPE from its docs); the base HTTP
wrapper neither retries nor reads ``Retry-After``. So the check counts every HTTP request it sends per credential
(redirect hops and per-query fallbacks included: transport.py draws each from here) and makes none rather than let
the provider answer 429.

Time: windows and cooldowns run on a monotonic clock, so the wall clock stepping (NTP) changes nothing. Only the
cooldown written to the Agent's persistent cache, to hold after a restart, is wall time; a restored one is capped
at MAX_COOLDOWN from now, and an unreadable one is ignored. Tests drive the two seams, ``now`` (wall) and
``monotonic``; ``LEDGER.reset()`` forgets process state as an Agent restart does.
"""

import hashlib
import math
import random
import re
import threading
import time
from datetime import timezone
from email.utils import parsedate_to_datetime

from datadog_checks.base.agent import datadog_agent

from .errors import BudgetSpent, CollectionError

WINDOW = 60.0  # the providers state their budgets per minute
DEFAULT_COOLDOWN = 60.0  # a 429 without a readable Retry-After: wait out one budget window
MAX_COOLDOWN = 900.0  # cap a mistaken or hostile Retry-After (or persisted cooldown) at 15 minutes
JITTER = 0.1  # up to +10%, so instances sharing a credential do not return in lockstep
PERSISTENT_KEY = 'llm_inference:cooldown_until:{}'  # by credential, not by check instance: see _load

# The only clocks read here; tests swap them.
now = time.time
monotonic = time.monotonic

_DELTA_SECONDS = re.compile(r'[0-9]+', re.ASCII)  # str.isdigit() would accept '²' and other Unicode digits
_DAY_NAME = re.compile(r'(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*', re.ASCII | re.IGNORECASE)


def credential_id(*parts):
    """A stable, non-reversible id for a credential: the clear key is never stored or logged."""
    digest = hashlib.sha256('\x00'.join(str(p) for p in parts).encode('utf-8')).hexdigest()
    return digest[:16]


def _retry_after_values(value):
    """The comma-separated values of a (possibly repeated, so joined) header; an HTTP date has a comma itself."""
    parts = [part.strip() for part in value.split(',')]
    values = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if _DAY_NAME.fullmatch(part) and i + 1 < len(parts):
            part = '{}, {}'.format(part, parts[i + 1])  # "Wed, 21 Oct 2015 07:28:00 GMT"
            i += 1
        values.append(part)
        i += 1
    return values


def _seconds(value, at):
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)  # float(): no digit limit, a huge value becomes a large float (then capped)
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)  # "-0000": UTC, not the host's zone
        seconds = when.timestamp() - at
    except Exception:  # the parser raises several types on garbage; none may escape
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def parse_retry_after(value, at):
    """Seconds to wait from ``Retry-After`` (ASCII delta-seconds or an HTTP date; of several values the longest),
    or None when absent or unreadable. Never raises."""
    if not isinstance(value, str) or not value.strip():
        return None
    found = [s for s in (_seconds(v, at) for v in _retry_after_values(value)) if s is not None]
    return max(found) if found else None


class _Ledger:
    """Process-wide state by credential id: the send times of recent requests and cooldown deadlines (monotonic)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}  # credential -> [slot]; a slot is [time], math.inf while the request is in flight
        self.cooldown_until = {}
        self.restored = set()  # credentials whose persisted cooldown was read since the (simulated) start

    def reset(self):
        with self.lock:
            self.sent.clear()
            self.cooldown_until.clear()
            self.restored.clear()


LEDGER = _Ledger()


class RequestBudget:
    """At most ``per_minute`` requests in any 60 s for one credential (0 = unlimited), and 429 cooldowns."""

    def __init__(self, credential, per_minute, what):
        self.credential = credential
        self.per_minute = per_minute
        self.what = what  # e.g. "<provider> account acme": says in messages which budget ran out
        self._key = PERSISTENT_KEY.format(credential)

    # --- the cooldown that survives a restart ----------------------------------------------------------------

    def _restore(self):
        """A cooldown written before an Agent restart holds for every instance of the credential.

        The key is the credential's, not the check's: AgentCheck.read_persistent_cache prefixes the check id,
        which would hide one instance's cooldown from the others on the same account.
        """
        if self.credential in LEDGER.restored:
            return
        LEDGER.restored.add(self.credential)
        try:
            remaining = float(datadog_agent.read_persistent_cache(self._key) or 0) - now()
        except Exception:  # unreadable or garbage: ignored, the provider's next 429 says the truth
            return
        if not math.isfinite(remaining) or remaining <= 0:
            return
        until = monotonic() + min(remaining, MAX_COOLDOWN)
        if until > LEDGER.cooldown_until.get(self.credential, -math.inf):
            LEDGER.cooldown_until[self.credential] = until

    def _cooling(self, at):
        until = LEDGER.cooldown_until.get(self.credential)
        if until is not None and until > at:
            raise BudgetSpent(
                'cooling down after HTTP 429 for the {}: no request for {:.0f} s more. If this repeats, other '
                'clients share this budget: lower their rate or raise `min_collection_interval`.'.format(
                    self.what, until - at
                )
            )

    def _window(self, at):
        """The live slots of this credential (pruned of those older than the window)."""
        slots = LEDGER.sent.get(self.credential)
        if slots is None:
            slots = LEDGER.sent[self.credential] = []
        slots[:] = [slot for slot in slots if slot[0] > at - WINDOW]
        return slots

    def _spent(self):
        return BudgetSpent(
            'request budget of {} a minute for the {} is spent by the instances that share it; this run makes no '
            'further request. Raise `min_collection_interval` or run fewer instances on this credential.'.format(
                self.per_minute, self.what
            )
        )

    # --- a run, a request --------------------------------------------------------------------------------------

    def check_run(self, requests=1):
        """Before a run that needs ``requests`` requests: raise BudgetSpent (no request made) if they don't fit."""
        with LEDGER.lock:
            self._restore()
            at = monotonic()
            self._cooling(at)
            if not self.per_minute:
                return
            if requests > self.per_minute:
                raise CollectionError(
                    'each run needs {} requests but `requests_per_minute` is {} for the {}: no run can complete. '
                    'Raise `requests_per_minute` if the provider allows it, or use fewer `queries`.'.format(
                        requests, self.per_minute, self.what
                    )
                )
            if len(self._window(at)) + requests > self.per_minute:
                raise self._spent()

    def acquire(self):
        """Take one request from the budget before sending it; raise BudgetSpent without sending.

        Returns the request's slot, to pass to ``release`` when the request completes (or fails). A slot counts as
        in flight until then: the provider counts the request when it arrives, somewhere between send and reply.
        """
        with LEDGER.lock:
            self._restore()
            at = monotonic()
            self._cooling(at)
            if not self.per_minute:
                return None
            slots = self._window(at)
            if len(slots) >= self.per_minute:
                raise self._spent()
            slot = [math.inf]
            slots.append(slot)
            return slot

    def release(self, slot):
        """The request completed (or failed): it reached the provider no later than now."""
        if slot is not None:
            with LEDGER.lock:
                slot[0] = monotonic()

    def cool_down(self, retry_after):
        """Record a 429; return the cooldown in seconds."""
        seconds = parse_retry_after(retry_after, now())
        if seconds is None:
            seconds = DEFAULT_COOLDOWN
        seconds = min(seconds, MAX_COOLDOWN)
        seconds += random.uniform(0, seconds * JITTER)
        with LEDGER.lock:
            at = monotonic()
            until = LEDGER.cooldown_until[self.credential] = max(
                at + seconds, LEDGER.cooldown_until.get(self.credential, -math.inf)
            )
        try:
            # Persisted as wall time (a monotonic clock restarts with the host); the longest cooldown wins.
            datadog_agent.write_persistent_cache(self._key, repr(now() + (until - at)))
        except Exception:  # the cooldown still holds in this process
            pass
        return seconds
