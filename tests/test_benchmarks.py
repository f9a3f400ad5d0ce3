"""The benchmark harness runs, and the series a user is billed for stay under a third of the generic check's.
(Speed is measured by `python -m benchmarks.run` and written to BENCHMARKS.md, not asserted here.)"""

import pytest

from benchmarks.payloads import fireworks_payload
from benchmarks.run import PayloadServer, generic, legacy_parser, measure, ours


@pytest.fixture(scope='module')
def payloads():
    server = PayloadServer({'d3.txt': fireworks_payload(3)})
    yield server.url + 'd3.txt'
    server.stop()


def test_series_per_deployment(payloads):
    _, _, generic_series = measure(generic, payloads)
    _, _, our_series = measure(ours, payloads)
    restore = legacy_parser()
    try:
        _, _, legacy_series = measure(ours, payloads)
    finally:
        restore()
    # Per deployment: 8 gauges + 3 error codes + 8 families x 20 buckets + replicas = 172 raw series, against
    # 8 + 3 + 8 x 4 quantiles + 1 = 44 catalog series, + 8 x 4 model-level quantiles (each deployment serves its own
    # model here) + 2 objectives x (good, total) SLO rates = 80.
    assert generic_series == 3 * 172
    assert our_series == legacy_series == 3 * (44 + 32 + 4)
    assert our_series * 2 <= generic_series


def test_query_memory_harness(monkeypatch):
    """The query-mode memory benchmark runs both query paths over the same reply (figures: BENCHMARKS.md)."""
    import benchmarks.run as run

    monkeypatch.setattr(run, 'QUERY_SERIES', 2000)
    size, rows = run.query_memory_benchmark()
    assert size > 2000 * 250
    assert [label for label, *_ in rows] == [
        'before (a parsed tree, then samples)',
        'now (samples built while parsing)',
    ]
    for _, decode_peak, _, run_peak, _, stub_peak in rows:
        assert decode_peak > size and run_peak > size and stub_peak > size  # the whole reply was read each time
