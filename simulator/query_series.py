"""What the query providers' series share: a sample a minute over the last MINUTES minutes (and AHEAD minutes past
"now", gauges holding their latest value and counters growing on, so a query made any time in the next AHEAD minutes
sees the same latest values and full rate windows), and a small deterministic wobble."""

STEP = 60  # seconds between samples: the providers' recording rules and minimum resolution are per minute
MINUTES = 15
AHEAD = 20
LATENCY_BOUNDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def drift(minute):
    """A small deterministic wobble, so the latest sample differs from the earlier ones."""
    return 1.0 + 0.02 * ((minute * 7) % 5)


def timeline(now):
    """(minute, unix seconds) of every sample; the one of minute MINUTES - 1 is `now - 5`."""
    for minute in range(MINUTES + AHEAD):
        yield minute, now - 5 - (MINUTES - 1 - minute) * STEP
