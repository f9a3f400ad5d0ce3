"""The shape of simulated traffic, shared by every provider: a daily cycle, bursts, error spikes, and latency
distributions. Each provider module turns these into its own series; every value is a pure function of time, so a test
can compute what the check must report from the same functions."""

import math

DAY = 86400.0
BURST_EVERY, BURST_FOR = 17 * 60, 2 * 60  # a burst of 1.8x traffic for 2 minutes every 17 minutes
SPIKE_EVERY, SPIKE_FOR = 45 * 60, 3 * 60  # an error spike (5xx) for 3 minutes every 45 minutes


def daily_shape(t, peak_hour=15.0):
    """0.25 at night to 1.0 at the daily peak."""
    hour = (t % DAY) / 3600.0
    return 0.625 + 0.375 * math.cos(2 * math.pi * (hour - peak_hour) / 24.0)


def in_burst(t):
    return (t % BURST_EVERY) < BURST_FOR


def in_error_spike(t):
    return (t % SPIKE_EVERY) < SPIKE_FOR


def load(peak_rps, t, peak_hour=15.0):
    return peak_rps * daily_shape(t, peak_hour) * (1.8 if in_burst(t) else 1.0)


def cdf_log(bound, median, spread):
    """Share of observations at or below `bound` for a log-logistic distribution around `median` (`spread` sets
    the tail: p99 / p50 = 99 ** spread)."""
    return 1.0 / (1.0 + (median / bound) ** (1.0 / spread))
