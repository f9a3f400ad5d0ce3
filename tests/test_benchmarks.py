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
    # 8 + 3 + 8 x 4 quantiles + 1 = 44 catalog series.
    assert generic_series == 3 * 172
    assert our_series == legacy_series == 3 * 44
    assert our_series * 3 <= generic_series
