"""Several instances on one Fireworks account, run from threads at once and repeatedly, against a real server that
records when each request arrives: never more than the account's 6 requests in any 60 s at the server.

Time is a logical clock shared by the checks' budget and the server: every reading advances it, under a lock, so
readings are ordered as the events they stamp (a request is sent before it arrives, and arrives before its reply
completes) while threads interleave freely. The run takes seconds and asserts no timing."""

import threading

from datadog_checks.base import AgentCheck
from datadog_checks.llm_inference import budget

from .common import START, fixture_text
from .provider_server import ProviderServer, Reply
from .test_fireworks import FIREWORKS

INSTANCES = 4
RUNS = 100
LIMIT = 6  # Fireworks' docs: "Maximum of 6 requests per minute per account"


class LogicalClock:
    def __init__(self, step=0.5):
        self.t = 0.0
        self.step = step
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.t += self.step
            return self.t


def most_in_any_minute(times):
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t - start < 60) for i, start in enumerate(times)), default=0)


def test_instances_on_one_account_never_exceed_its_limit(aggregator, monkeypatch):
    clock = LogicalClock()
    monkeypatch.setattr(budget, 'monotonic', clock)
    monkeypatch.setattr(budget, 'now', lambda: START + clock())
    with ProviderServer(clock=clock) as server:
        server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
        checks = [FIREWORKS.check(server, tags=['instance:{}'.format(i)]) for i in range(INSTANCES)]
        start = threading.Barrier(INSTANCES)
        errors = []

        def run(check):
            start.wait()
            for _ in range(RUNS):
                errors.append(check.run())

        threads = [threading.Thread(target=run, args=(check,)) for check in checks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        arrivals = [seen.at for seen in server.requests]

    assert errors == [''] * (INSTANCES * RUNS)  # skipped runs are WARNINGs, not errors
    assert most_in_any_minute(arrivals) <= LIMIT, sorted(arrivals)
    # The budget was the limit, not an obstacle: the minutes that passed were used, and by every instance.
    assert len(arrivals) >= 2 * LIMIT, (len(arrivals), clock.t)
    statuses = [sc.status for sc in aggregator.service_checks('llm_inference.can_connect')]
    assert statuses.count(AgentCheck.OK) == len(arrivals)
    assert statuses.count(AgentCheck.WARNING) == INSTANCES * RUNS - len(arrivals)
    collected = {
        tag for m in aggregator.metrics('llm_inference.requests.rate') for tag in m.tags if tag.startswith('instance:')
    }
    assert collected == {'instance:{}'.format(i) for i in range(INSTANCES)}
