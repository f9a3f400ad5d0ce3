"""Request budgets per credential, Retry-After, cooldowns that survive a restart, and a 30-minute simulated run."""

import email.utils

import pytest

from datadog_checks.base import AgentCheck
from datadog_checks.llm_inference import LlmInferenceCheck, budget
from datadog_checks.llm_inference.errors import BudgetSpent
from simulator import fireworks
from simulator.scrape_server import ScrapeServer

from .common import JSON, START, vector
from .provider_server import Reply
from .test_fireworks import FIREWORKS
from .test_groq import GROQ


@pytest.mark.parametrize(
    'header, expected',
    [
        ('120', 120.0),
        ('0', 0.0),
        (email.utils.formatdate(START + 300, usegmt=True), 300.0),
        (email.utils.formatdate(START - 300, usegmt=True), 0.0),  # a date in the past: no wait
        ('soon', None),
        ('', None),
        (None, None),
        # Hostile and odd values: never an exception; ASCII delta-seconds or an HTTP date, else the default.
        ('\u00b2', None),  # str.isdigit() says True
        ('\u0661\u0662', None),  # Arabic-Indic digits
        ('-5', None),
        ('12.5', None),
        ('1e3', None),
        (' 120 ', 120.0),
        ('9' * 5000, float('9' * 5000)),  # beyond int()'s digit limit: a large float, capped by cool_down()
        # Repeated headers, joined by requests with ', ': the longest wins; an HTTP date holds a comma itself.
        ('120, 30', 120.0),
        ('30, 120', 120.0),
        ('soon, 45', 45.0),
        (email.utils.formatdate(START + 300, usegmt=True) + ', 120', 300.0),
        ('10, ' + email.utils.formatdate(START + 30, usegmt=True), 30.0),
        ('Sunday, 06-Nov-94 08:49:37 GMT', 0.0),  # RFC 850 form, in the past
        ('Wed, 21 Oct 2015 07:28:00 -0000', 0.0),
        ('Wed, 99 Foo 2015 99:99:99 GMT', None),
        ('Wed, 21 Oct 99999 07:28:00 GMT', None),
    ],
)
def test_parse_retry_after(header, expected):
    assert budget.parse_retry_after(header, START) == expected


def test_cooldown_capped_with_jitter_and_default(clock):
    b = budget.RequestBudget('cred', 6, 'test key')
    assert budget.MAX_COOLDOWN <= b.cool_down('86400') <= budget.MAX_COOLDOWN * (1 + budget.JITTER)
    assert budget.MAX_COOLDOWN <= b.cool_down('9' * 5000) <= budget.MAX_COOLDOWN * (1 + budget.JITTER)
    assert budget.DEFAULT_COOLDOWN <= b.cool_down('\u00b2') <= budget.DEFAULT_COOLDOWN * (1 + budget.JITTER)
    lengths = {round(b.cool_down('100'), 6) for _ in range(20)}
    assert all(100 <= s <= 110 for s in lengths) and len(lengths) > 1  # jittered, within 10%
    assert budget.DEFAULT_COOLDOWN <= b.cool_down(None) <= budget.DEFAULT_COOLDOWN * (1 + budget.JITTER)


def test_budget_window_and_unlimited(clock):
    limited = budget.RequestBudget('a', 2, 'test key')
    first = limited.acquire()
    limited.release(first)
    clock.t += 5
    second = limited.acquire()  # still in flight
    with pytest.raises(BudgetSpent, match='budget of 2 a minute'):
        limited.acquire()
    clock.t += 56  # the first left the window; the second, in flight, still counts
    limited.release(limited.acquire())
    with pytest.raises(BudgetSpent):
        limited.acquire()
    clock.t += 120
    third = limited.acquire()
    with pytest.raises(BudgetSpent):
        limited.acquire()  # the second, in flight for two minutes, still counts
    limited.release(second)
    limited.release(third)
    with pytest.raises(BudgetSpent):
        limited.acquire()  # both completed just now: they may have reached the provider just now
    clock.t += 60.001
    limited.release(limited.acquire())
    unlimited = budget.RequestBudget('b', 0, 'test key')
    for _ in range(100):
        unlimited.release(unlimited.acquire())


def wafer(key, endpoint, **extra):
    return LlmInferenceCheck('llm_inference', {}, [dict(provider='wafer', api_key=key, endpoint=endpoint, **extra)])


def test_wafer_budget_is_per_key_and_fireworks_per_account():
    assert wafer('k1', 'a').budget.credential == wafer('k1', 'b').budget.credential
    assert wafer('k1', 'a').budget.credential != wafer('k2', 'a').budget.credential
    fw = LlmInferenceCheck('llm_inference', {}, [{'provider': 'fireworks', 'api_key': 'k1', 'account_id': 'x'}])
    assert fw.budget.credential != wafer('k1', 'a').budget.credential
    for check in (wafer('k1', 'a'), fw):
        assert 'k1' not in check.budget.credential and 'k1' not in check.budget.what


def test_configurable_budget(dd_run_check, aggregator, clock, provider_server):
    """`requests_per_minute: 2` on a query provider: the third run in a minute makes no request and is a WARNING."""
    reply = vector(({'__name__': 'requests:rate1m', 'model': 'm1', 'status_code': '200'}, '4.5'))
    provider_server.reply(GROQ.path, Reply(body=reply, headers=JSON))
    check = GROQ.check(provider_server, requests_per_minute=2)
    for _ in range(3):
        dd_run_check(check)
        clock.t += 10
    assert len(provider_server.requests) == 2
    statuses = [sc.status for sc in aggregator.service_checks('llm_inference.can_connect')]
    assert statuses == [AgentCheck.OK, AgentCheck.OK, AgentCheck.WARNING]
    assert 'budget of 2 a minute' in aggregator.service_checks('llm_inference.can_connect')[-1].message


def test_cooldown_survives_an_agent_restart(dd_run_check, aggregator, clock):
    sim = ScrapeServer([fireworks.PROVIDER], clock).start()
    try:
        # Another client already spent the account's budget at the provider.
        sim._windows[('fireworks', 'acme')].extend([clock.t - 5] * 6)
        instance = FIREWORKS.instance(sim, api_key=fireworks.KEY)
        first = LlmInferenceCheck('llm_inference', {}, [instance])
        first.check_id = 'llm_inference:restart-test'
        dd_run_check(first)
        (sc,) = aggregator.service_checks('llm_inference.can_connect')
        assert sc.status == AgentCheck.WARNING and 'HTTP 429' in sc.message
        assert sim.requests == [('fireworks', 429)]

        # The Agent restarts: process-wide state is gone, the persistent cache is not.
        budget.LEDGER.reset()
        clock.t += 10
        aggregator.reset()
        second = LlmInferenceCheck('llm_inference', {}, [instance])
        second.check_id = 'llm_inference:restart-test'
        dd_run_check(second)
        (sc,) = aggregator.service_checks('llm_inference.can_connect')
        assert sc.status == AgentCheck.WARNING and 'cooling down' in sc.message
        assert sim.requests == [('fireworks', 429)]  # no request during the cooldown

        clock.t += 120
        aggregator.reset()
        dd_run_check(second)
        aggregator.assert_service_check('llm_inference.can_connect', AgentCheck.OK)
        assert sim.requests[-1] == ('fireworks', 200)
    finally:
        sim.stop()


def test_thirty_minutes_three_instances_one_account(aggregator, clock):
    """Three instances share one Fireworks account against a server that answers 429 above 6 requests a minute,
    run every 15 s (a misconfigured interval): after the first cooldown no more 429s, and every instance collects."""
    sim = ScrapeServer([fireworks.PROVIDER], clock).start()
    try:
        # The provider's window is already full (an Agent restarted, or another client): the first request gets 429.
        sim._windows[('fireworks', 'acme')].extend([clock.t - 1] * 6)
        instance = FIREWORKS.instance(sim, api_key=fireworks.KEY, min_collection_interval=15)
        checks = [
            LlmInferenceCheck('llm_inference', {}, [dict(instance, tags=['instance:{}'.format(i)])]) for i in range(3)
        ]
        collected = {i: [] for i in range(3)}
        first_ok = None
        end = clock.t + 30 * 60
        while clock.t < end:
            for i, check in enumerate(checks):
                aggregator.reset()
                check.run()
                (sc,) = aggregator.service_checks('llm_inference.can_connect')
                if sc.status == AgentCheck.OK:
                    collected[i].append(clock.t)
                    first_ok = first_ok or clock.t
            clock.t += 15
        statuses = [status for _, status in sim.requests]
        first_429s = statuses.index(200)
        assert statuses[:first_429s] == [429]  # one 429, then a cooldown
        assert 429 not in statuses[first_429s:]
        # (The server answers 429 above 6 requests in 60 s, so no 429 means the budget held.)
        # Every instance keeps collecting: at least once every two minutes after the cooldown.
        for i in range(3):
            gaps = [b - a for a, b in zip(collected[i], collected[i][1:])]
            assert len(collected[i]) >= 25 and max(gaps) <= 120, (i, len(collected[i]), max(gaps))
        assert first_ok - START <= budget.DEFAULT_COOLDOWN * (1 + budget.JITTER) + 15
    finally:
        sim.stop()
