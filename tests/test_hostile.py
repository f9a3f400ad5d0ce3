"""Hostile clocks, budgets, redirects and configurations: nothing overruns a budget, nothing sticks, every mistake is
named. Real HTTP servers on 127.0.0.1; the budget's clocks are the simulated ones of common.Clock."""

import logging
import threading
import urllib.parse

import pytest

from datadog_checks.base import AgentCheck, ConfigurationError
from datadog_checks.base.stubs import datadog_agent
from datadog_checks.llm_inference import LlmInferenceCheck, budget
from simulator.local_server import send

from .common import JSON, START, catalog_values, fixture_text, query_error, vector
from .provider_server import ProviderServer, Reply
from .test_fireworks import FIREWORKS
from .test_promql_provider import PROMQL

OK, WARNING, CRITICAL = AgentCheck.OK, AgentCheck.WARNING, AgentCheck.CRITICAL


def statuses(aggregator):
    return [(sc.status, sc.message) for sc in aggregator.service_checks('llm_inference.can_connect')]


def refuse_combined(delay=0.0):
    """A query API that refuses the combined (`label_replace ... or ...`) form and answers each query alone."""

    def write(handler):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(handler.path).query).get('query', [''])[0]
        if 'label_replace' in query:
            send(handler, 422, query_error('unsupported').encode(), JSON)
            return
        threading.Event().wait(delay)
        send(handler, 200, vector(({'model': 'm1'}, '1.5')).encode(), JSON)

    return write


def promql(server, queries, **extra):
    """A `promql` instance of that many queries: sum(x0), sum(x1), ..."""
    queries = [{'name': 'requests.rate', 'query': 'sum(x{})'.format(i)} for i in range(queries)]
    return PROMQL.check(server, queries=queries, **extra)


# --- the budget counts HTTP requests --------------------------------------------------------------------------------


def test_per_query_fallback_draws_each_request_from_the_budget(dd_run_check, aggregator, clock):
    """7 queries, an engine that refuses the combined form, a budget of 2: never more than 2 requests a minute."""
    with ProviderServer() as server:
        server.reply(PROMQL.path, Reply(raw=refuse_combined()))
        check = promql(server, 7, requests_per_minute=2)
        dd_run_check(check)  # the combined query, refused; the first single query; the budget is spent
        assert len(server.requests) == 2
        ((status, message),) = statuses(aggregator)
        assert status == WARNING and 'budget of 2 a minute' in message
        assert catalog_values(aggregator) == []  # nothing partial
        aggregator.assert_metric('llm_inference.integration.runs_skipped', 1)

        # From now on each run needs 7 requests: no run can complete within 2 a minute, which is said, not retried.
        for _ in range(3):
            clock.t += 60
            aggregator.reset()
            with pytest.raises(Exception, match='needs 7 requests'):
                dd_run_check(check)
            ((status, message),) = statuses(aggregator)
            assert status == CRITICAL and '`requests_per_minute` is 2' in message
        assert len(server.requests) == 2

        # Raised to 7, every run completes with 7 requests.
        check = promql(server, 7, requests_per_minute=7)
        check.batching = False
        clock.t += 60
        aggregator.reset()
        dd_run_check(check)
        assert len(server.requests) == 9
        assert statuses(aggregator) == [(OK, '')]


def test_each_redirect_hop_draws_from_the_budget(dd_run_check, aggregator, clock):
    with ProviderServer() as server:
        hop = Reply(302, '', {'Location': FIREWORKS.path})
        server.reply(FIREWORKS.path, hop, hop, hop, Reply(body=fixture_text('fireworks_untyped.txt')))
        check = FIREWORKS.check(server, requests_per_minute=2)
        dd_run_check(check)
        assert len(server.requests) == 2
        ((status, message),) = statuses(aggregator)
        assert status == WARNING and 'budget of 2 a minute' in message
        assert catalog_values(aggregator) == []
        aggregator.assert_metric(
            'llm_inference.integration.requests', 2, tags=['provider:fireworks', 'account:acme', 'outcome:redirect']
        )


def test_a_redirect_not_followed_names_allow_redirects(dd_run_check, aggregator, clock):
    with ProviderServer() as server:
        server.reply(FIREWORKS.path, Reply(301, 'moved', {'Location': '/elsewhere'}))
        with pytest.raises(Exception, match='allow_redirects'):
            dd_run_check(FIREWORKS.check(server, allow_redirects=False))
        assert len(server.requests) == 1
    ((status, message),) = statuses(aggregator)
    assert status == CRITICAL and 'HTTP 301' in message and 'set `api_url` to the URL it redirects to' in message


def test_one_deadline_for_every_request_of_a_run(dd_run_check, aggregator, clock):
    """Three single queries of 0.4 s each, each within the 1 s `timeout`, but not the run: it ends at 1 s."""
    with ProviderServer() as server:
        server.reply(PROMQL.path, Reply(raw=refuse_combined(delay=0.4)))
        check = promql(server, 3, timeout=1)
        with pytest.raises(Exception, match='timeout'):
            dd_run_check(check)
        assert 2 <= len(server.requests) <= 4
    ((status, message),) = statuses(aggregator)
    assert status == CRITICAL and 'no complete reply within the 1 s `timeout`' in message
    assert catalog_values(aggregator) == []


# --- clocks and persisted cooldowns ---------------------------------------------------------------------------------


def test_the_wall_clock_stepping_back_an_hour_does_not_stop_collection(dd_run_check, aggregator, clock):
    with ProviderServer() as server:
        server.reply(
            FIREWORKS.path, Reply(429, 'slow', {'Retry-After': '60'}), Reply(body=fixture_text('fireworks_untyped.txt'))
        )
        check = FIREWORKS.check(server)
        dd_run_check(check)
        assert statuses(aggregator)[0][0] == WARNING
        clock.wall_step = -3600  # NTP steps the host clock back an hour during the cooldown
        clock.t += 30
        aggregator.reset()
        dd_run_check(check)
        assert 'cooling down' in statuses(aggregator)[0][1]
        clock.t += 40  # the cooldown (60 s, at most 66 with jitter) is over, whatever the wall clock says
        aggregator.reset()
        dd_run_check(check)
        assert statuses(aggregator) == [(OK, '')]
        assert len(server.requests) == 2


def test_the_wall_clock_stepping_forward_does_not_empty_the_window(dd_run_check, aggregator, clock):
    with ProviderServer() as server:
        server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
        check = FIREWORKS.check(server, min_collection_interval=5)
        for _ in range(6):
            dd_run_check(check)
            clock.t += 5
        clock.wall_step = 3600  # an hour forward: the last minute's 6 requests still count
        aggregator.reset()
        dd_run_check(check)
        assert len(server.requests) == 6
        assert 'budget of 6 a minute' in statuses(aggregator)[0][1]
        clock.t += 35  # 60 s after the first request of the six
        aggregator.reset()
        dd_run_check(check)
        assert len(server.requests) == 7 and statuses(aggregator) == [(OK, '')]


@pytest.mark.parametrize('stored', ['garbage', 'nan', 'inf', '-inf', '1e400', '', '[]', str(START - 10)])
def test_an_unreadable_or_past_persisted_cooldown_is_ignored(dd_run_check, aggregator, clock, stored):
    with ProviderServer() as server:
        server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
        check = FIREWORKS.check(server)
        datadog_agent.write_persistent_cache(budget.PERSISTENT_KEY.format(check.budget.credential), stored)
        dd_run_check(check)
        assert statuses(aggregator) == [(OK, '')] and len(server.requests) == 1


def test_a_far_future_persisted_cooldown_is_capped(dd_run_check, aggregator, clock):
    with ProviderServer() as server:
        server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
        check = FIREWORKS.check(server)
        ten_years = START + 10 * 365 * 86400
        datadog_agent.write_persistent_cache(budget.PERSISTENT_KEY.format(check.budget.credential), repr(ten_years))
        dd_run_check(check)
        ((status, message),) = statuses(aggregator)
        assert status == WARNING and 'no request for 900 s more' in message
        clock.t += budget.MAX_COOLDOWN + 1
        aggregator.reset()
        dd_run_check(check)
        assert statuses(aggregator) == [(OK, '')] and len(server.requests) == 1


def test_a_persisted_cooldown_holds_for_every_instance_of_the_account(dd_run_check, aggregator, clock):
    """After a restart, an instance that never got the 429 (another check id, the same account) waits too."""
    with ProviderServer() as server:
        server.reply(
            FIREWORKS.path,
            Reply(429, 'slow', {'Retry-After': '120'}),
            Reply(body=fixture_text('fireworks_untyped.txt')),
        )
        first = FIREWORKS.check(server, tags=['team:a'])
        first.check_id = 'llm_inference:aaaa1111'
        dd_run_check(first)
        assert statuses(aggregator)[0][0] == WARNING

        budget.LEDGER.reset()  # the Agent restarts: process state is gone, the persistent cache is not
        clock.t += 10
        aggregator.reset()
        second = FIREWORKS.check(server, tags=['team:b'])
        second.check_id = 'llm_inference:bbbb2222'
        dd_run_check(second)
        ((status, message),) = statuses(aggregator)
        assert status == WARNING and 'cooling down' in message
        assert len(server.requests) == 1

        clock.t += 130
        aggregator.reset()
        dd_run_check(second)
        assert statuses(aggregator) == [(OK, '')] and len(server.requests) == 2


# --- configuration mistakes, named ----------------------------------------------------------------------------------


def make(**options):
    return LlmInferenceCheck(
        'llm_inference', {}, [dict({'provider': 'fireworks', 'api_key': 'k', 'account_id': 'a'}, **options)]
    )


@pytest.mark.parametrize(
    'tags, needles',
    [
        ([{'team': 'ml'}], ['`tags`', '`- team: ml`', '`- team:ml`']),  # `tags: [team: ml]` in YAML
        ({'team': 'ml'}, ['`tags`', 'not a mapping', '`tags: [team:ml]`']),
        (['team:ml', 3], ['`tags`', '3']),
        ('team:ml', ['`tags`', '`tags: [team:ml]`']),
    ],
)
def test_tags_that_are_not_a_list_of_strings(tags, needles):
    with pytest.raises(ConfigurationError) as e:
        make(tags=tags)
    for needle in needles:
        assert needle in str(e.value)


@pytest.mark.parametrize(
    'option, value',
    [
        ('timeout', 0),
        ('timeout', -1),
        ('timeout', 'ten'),
        ('timeout', True),
        ('timeout', float('nan')),
        ('timeout', float('inf')),
        ('timeout', [5]),
        ('connect_timeout', 0),
        ('read_timeout', -2.5),
    ],
)
def test_timeouts_must_be_positive_numbers(option, value):
    with pytest.raises(ConfigurationError, match='`{}` must be a number of seconds above 0'.format(option)):
        make(**{option: value})


def test_timeout_from_init_config_is_checked_and_used():
    with pytest.raises(ConfigurationError, match='`timeout`'):
        LlmInferenceCheck(
            'llm_inference', {'timeout': 0}, [{'provider': 'fireworks', 'api_key': 'k', 'account_id': 'a'}]
        )
    check = LlmInferenceCheck(
        'llm_inference', {'timeout': 3}, [{'provider': 'fireworks', 'api_key': 'k', 'account_id': 'a'}]
    )
    assert check.timeout == 3
    assert make(timeout='2.5').timeout == 2.5
    assert make().timeout == 10


def test_api_key_whitespace_is_stripped_and_said_once(dd_run_check, aggregator, caplog):
    caplog.set_level(logging.DEBUG)
    key = 'fw-key-with-newline-77'
    with ProviderServer(api_key=key) as server:
        server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
        check = FIREWORKS.check(server, api_key='  ' + key + '\n')
        dd_run_check(check)
        dd_run_check(check)
        assert [r.headers['Authorization'] for r in server.requests] == ['Bearer ' + key] * 2
    said = [r.getMessage() for r in caplog.records if 'whitespace' in r.getMessage()]
    assert said == [
        'fireworks: `api_key` had leading or trailing whitespace (a secret file ending in a newline?); it was stripped.'
    ]
    assert all(key not in r.getMessage() for r in caplog.records)
    assert [status for status, _ in statuses(aggregator)] == [OK, OK]


@pytest.mark.parametrize('key', ['ab\ncd-efgh', 'abcd\r\nX-Injected: 1', 'key\x00'])
def test_api_key_with_a_control_character_is_refused(key):
    with pytest.raises(ConfigurationError) as e:
        make(api_key=key)
    assert '`api_key`' in str(e.value) and key.strip() not in str(e.value)
