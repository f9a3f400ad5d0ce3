"""Spend through the check: each pricing basis on the payloads of the providers that report what it needs, canonical
model names and aliases, and bad pricing named. Expected costs are worked out here from the fixtures' own numbers
(the simulator's are checked in test_e2e_simulator.py)."""

import json
import logging

import pytest

from datadog_checks.base import ConfigurationError
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck
from datadog_checks.llm_inference import list_prices
from datadog_checks.llm_inference.pricing import Pricing
from simulator.groq import GROQ_PROJECT, groq_token_rate
from simulator.query_series import MINUTES

from .common import assert_gauge_close, fixture_text, model_tags
from .provider_server import Reply
from .test_crusoe import CRUSOE, CRUSOE_KEY
from .test_fireworks import FIREWORKS
from .test_groq import GROQ, GROQ_KEY
from .test_wafer import WAFER

# tests/fixtures/fireworks_untyped.txt, llama70b-prod: prompt and cached prompt tokens a second over the last minute.
LLAMA_31 = 'accounts/fireworks/models/llama-v3p1-70b-instruct'
PROMPT, CACHED = 10500.0, 4200.0
DEPLOYMENT = ['deployment:llama70b-prod', *model_tags(LLAMA_31)]
# tests/fixtures/wafer.txt: tokens billed in the last 24 hours.
WAFER_INPUT, WAFER_OUTPUT, WAFER_CACHE = 2.4e8, 3.6e7, 9.6e7


def costs(aggregator):
    return {
        name: sorted((m.value, sorted(m.tags)) for m in aggregator.metrics(name))
        for name in ('llm_inference.cost.hourly', 'llm_inference.cost.per_million_tokens')
    }


def test_fireworks_token_prices_with_cached_prompt_tokens(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
    # Priced by canonical name; deepseek-v3 and qwen3-8b have no price: no cost for them, not a zero.
    pricing = {'tokens': {'llama-3.1-70b-instruct': {'input': 0.9, 'cached_input': 0.45}}}
    dd_run_check(FIREWORKS.check(provider_server, pricing=pricing))
    hourly = ((PROMPT - CACHED) * 0.9 + CACHED * 0.45) * 3600 / 1e6  # $25.20 an hour
    tags = FIREWORKS.tags + DEPLOYMENT + ['window:1m', 'basis:tokens', 'price_source:user']
    assert_gauge_close(aggregator, 'llm_inference.cost.hourly', hourly, tags)
    assert_gauge_close(
        aggregator,
        'llm_inference.cost.per_million_tokens',
        hourly / (PROMPT * 3600 / 1e6),
        tags + ['tokens_counted:input'],
    )
    assert len(aggregator.metrics('llm_inference.cost.hourly')) == 1
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)


def test_a_priced_kind_the_provider_does_not_report_gives_no_cost(dd_run_check, aggregator, provider_server, caplog):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
    pricing = {'tokens': {'llama-3.1-70b-instruct': {'input': 0.9, 'output': 0.9}}}
    caplog.set_level(logging.INFO)
    check = FIREWORKS.check(provider_server, pricing=pricing)
    dd_run_check(check)
    dd_run_check(check)
    # Fireworks reports no output tokens: an input-only cost would be a sum with a missing member.
    assert costs(aggregator) == {'llm_inference.cost.hourly': [], 'llm_inference.cost.per_million_tokens': []}
    said = [r.getMessage() for r in caplog.records if 'no token cost' in r.getMessage()]
    assert said == [
        'fireworks: no token cost for {}: it has a price for output tokens, which are not reported (see '
        '`pricing`)'.format(LLAMA_31)
    ]  # once, not every run


def test_fireworks_replica_hours_and_aliases(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
    check = FIREWORKS.check(
        provider_server,
        pricing={'replica_hour': 3.5},
        model_aliases={'accounts/fireworks/models/qwen3-8b': 'our-qwen-chat'},
    )
    dd_run_check(check)
    # fireworks_untyped.txt: deployment_replicas 4, 2 and 1 (qwen-idle served nothing this minute).
    expected = {
        'llama70b-prod': (4 * 3.5, model_tags(LLAMA_31), PROMPT),
        'dsv3-batch': (2 * 3.5, model_tags('accounts/fireworks/models/deepseek-v3'), 2600.0),
        'qwen-idle': (1 * 3.5, ['model:accounts/fireworks/models/qwen3-8b', 'canonical_model:our-qwen-chat'], 0.0),
    }
    for deployment, (hourly, model, prompt) in expected.items():
        tags = FIREWORKS.tags + ['deployment:' + deployment, *model, 'basis:replicas', 'price_source:user']
        assert_gauge_close(aggregator, 'llm_inference.cost.hourly', hourly, tags)
        per_million = [
            m
            for m in aggregator.metrics('llm_inference.cost.per_million_tokens')
            if 'deployment:' + deployment in m.tags
        ]
        if prompt:
            assert_gauge_close(
                aggregator,
                'llm_inference.cost.per_million_tokens',
                hourly / (prompt * 3600 / 1e6),
                tags + ['window:1m', 'tokens_counted:input'],
            )
        else:
            assert per_million == []  # an idle deployment: its $/h, and no price per token (not an infinity)
    # The alias names qwen3-8b everywhere, not only on costs.
    aggregator.assert_metric_has_tag('llm_inference.kv_cache.usage', 'canonical_model:our-qwen-chat', count=1)


def test_wafer_model_option_flat_and_token_prices(dd_run_check, aggregator, provider_server):
    provider_server.reply(WAFER.path, Reply(body=fixture_text('wafer.txt')))
    model = model_tags('meta-llama/Llama-3.3-70B-Instruct')
    check = WAFER.check(
        provider_server,
        model='meta-llama/Llama-3.3-70B-Instruct',
        pricing={'tokens': {'llama-3.3-70b-instruct': {'input': 0.6, 'output': 1.8, 'cached_input': 0.3}}},
    )
    dd_run_check(check)
    # Every metric of the endpoint carries the model it serves.
    for name in ('llm_inference.requests.rate', 'llm_inference.time_to_first_token.seconds'):
        assert all(set(model) <= set(m.tags) for m in aggregator.metrics(name)) and aggregator.metrics(name)
    # The last 24 hours' billed tokens, priced, averaged per hour (cache reads are a part of input).
    hourly = ((WAFER_INPUT - WAFER_CACHE) * 0.6 + WAFER_CACHE * 0.3 + WAFER_OUTPUT * 1.8) / 24 / 1e6
    tags = WAFER.tags + model + ['window:24h', 'basis:tokens', 'price_source:user']
    assert_gauge_close(aggregator, 'llm_inference.cost.hourly', hourly, tags)
    served = (WAFER_INPUT + WAFER_OUTPUT) / 24 / 1e6
    assert_gauge_close(
        aggregator, 'llm_inference.cost.per_million_tokens', hourly / served, tags + ['tokens_counted:input_output']
    )

    aggregator.reset()
    dd_run_check(WAFER.check(provider_server, model='meta-llama/Llama-3.3-70B-Instruct', pricing={'hour': 9.5}))
    flat = WAFER.tags + model + ['basis:flat', 'price_source:user']
    assert_gauge_close(aggregator, 'llm_inference.cost.hourly', 9.5, flat)
    assert_gauge_close(
        aggregator,
        'llm_inference.cost.per_million_tokens',
        9.5 / served,
        flat + ['window:24h', 'tokens_counted:input_output'],
    )


def test_token_prices_for_series_without_a_model_say_so(dd_run_check, aggregator, provider_server, caplog):
    provider_server.reply(WAFER.path, Reply(body=fixture_text('wafer.txt')))
    dd_run_check(WAFER.check(provider_server, pricing={'tokens': {'llama-3.3-70b-instruct': {'input': 0.6}}}))
    assert costs(aggregator) == {'llm_inference.cost.hourly': [], 'llm_inference.cost.per_million_tokens': []}
    assert 'wafer: no token cost for this instance: its series carry no model: set the `model` option' in caplog.text


def test_fireworks_series_without_a_model_name_the_label_not_an_option(
    dd_run_check, aggregator, provider_server, caplog
):
    # `model` excluded by the user: Fireworks has no `model` option to set, the advice is about the label.
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
    pricing = {'tokens': {'llama-3.1-70b-instruct': {'input': 0.9}}}
    dd_run_check(FIREWORKS.check(provider_server, pricing=pricing, exclude_labels=['base_model']))
    assert costs(aggregator) == {'llm_inference.cost.hourly': [], 'llm_inference.cost.per_million_tokens': []}
    assert (
        'fireworks: no token cost for this instance: its series carry no model: keep the provider\'s model label '
        '(is it in `exclude_labels`?)' in caplog.text
    )
    assert 'set the `model` option' not in caplog.text


def test_a_price_for_a_name_no_series_carries_is_said_once(dd_run_check, aggregator, provider_server, caplog):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_untyped.txt')))
    # The first key is the Hugging Face spelling (canonical names are lowercase), the second prices a real model.
    pricing = {'tokens': {'Llama-3.1-70B-Instruct': {'input': 0.9}, 'llama-3.1-70b-instruct': {'input': 0.8}}}
    caplog.set_level(logging.INFO)
    check = FIREWORKS.check(provider_server, pricing=pricing)
    dd_run_check(check)
    dd_run_check(check)
    said = [r.getMessage() for r in caplog.records if 'pricing.tokens` has a price' in r.getMessage()]
    assert len(said) == 1, said  # once, not every run
    assert said[0].startswith(
        "fireworks: `pricing.tokens` has a price for `Llama-3.1-70B-Instruct`, a name none of this run's token "
        'series carry (as `model` or `canonical_model`, which must match exactly): '
    )
    assert LLAMA_31 in said[0] and 'llama-3.1-70b-instruct' in said[0]
    # The key that matches prices its model as before.
    hourly = PROMPT * 3600 / 1e6 * 0.8
    tags = ['deployment:llama70b-prod', *model_tags(LLAMA_31), 'window:1m', 'basis:tokens', 'price_source:user']
    own = set(FIREWORKS.tags + tags)
    values = [m.value for m in aggregator.metrics('llm_inference.cost.hourly') if set(m.tags) == own]
    assert values == [pytest.approx(hourly)] * 2


# A deployment whose replicas and tokens Fireworks splits by region (a label the catalog does not map, kept as a tag).
BY_REGION = (
    'tokens_prompt_total:sum_by_deployment{deployment_id="d1",base_model="m",region="a"} 1000\n'
    'tokens_prompt_total:sum_by_deployment{deployment_id="d1",base_model="m",region="b"} 3000\n'
    'deployment_replicas{deployment_id="d1",region="a"} 1\n'
    'deployment_replicas{deployment_id="d1",region="b"} 3\n'
)


def test_replica_cost_per_token_is_over_the_tokens_of_those_replicas(dd_run_check, aggregator, provider_server):
    provider_server.reply(FIREWORKS.path, Reply(body=BY_REGION))
    dd_run_check(FIREWORKS.check(provider_server, pricing={'replica_hour': 2.0}))
    for region, replicas, prompt in (('a', 1, 1000.0), ('b', 3, 3000.0)):
        tags = FIREWORKS.tags + [
            'deployment:d1',
            *model_tags('m'),
            'region:' + region,
            'basis:replicas',
            'price_source:user',
        ]
        assert_gauge_close(aggregator, 'llm_inference.cost.hourly', replicas * 2.0, tags)
        # The region's replicas over the region's tokens, not over the whole deployment's: $0.56, not $0.14.
        assert_gauge_close(
            aggregator,
            'llm_inference.cost.per_million_tokens',
            replicas * 2.0 / (prompt * 3600 / 1e6),
            tags + ['window:1m', 'tokens_counted:input'],
        )


WAFER_BACKENDS = (
    'wafer_input_tokens_last_24h{endpoint="acme-llama.wafer.ai",backend_id="a"} NaN\n'
    'wafer_input_tokens_last_24h{endpoint="acme-llama.wafer.ai",backend_id="b"} 1e6\n'
    'wafer_output_tokens_last_24h{endpoint="acme-llama.wafer.ai",backend_id="a"} 2e6\n'
    'wafer_output_tokens_last_24h{endpoint="acme-llama.wafer.ai",backend_id="b"} 1e6\n'
)
NAN_REGION = (
    'tokens_prompt_total:sum_by_deployment{deployment_id="d1",base_model="m",region="a"} NaN\n'
    'tokens_prompt_total:sum_by_deployment{deployment_id="d1",base_model="m",region="b"} 3000\n'
    'tokens_prompt_total:sum_by_deployment{deployment_id="d2",base_model="m"} 500\n'
    'deployment_replicas{deployment_id="d1"} 2\n'
    'deployment_replicas{deployment_id="d2"} 1\n'
)


def test_a_cost_per_token_over_tokens_with_a_missing_member_is_not_submitted(
    dd_run_check, aggregator, provider_server
):
    # Wafer, a flat price: one backend's input count is NaN, so the endpoint's tokens are not known.
    provider_server.reply(WAFER.path, Reply(body=WAFER_BACKENDS))
    dd_run_check(WAFER.check(provider_server, pricing={'hour': 2.0}))
    assert costs(aggregator) == {
        'llm_inference.cost.hourly': [(2.0, sorted(WAFER.tags + ['basis:flat', 'price_source:user']))],
        'llm_inference.cost.per_million_tokens': [],
    }

    # Fireworks, per replica-hour: d1's tokens in region a are NaN; d2's are whole.
    aggregator.reset()
    provider_server.reply(FIREWORKS.path, Reply(body=NAN_REGION))
    dd_run_check(FIREWORKS.check(provider_server, pricing={'replica_hour': 2.0}))
    d1 = FIREWORKS.tags + ['deployment:d1', *model_tags('m'), 'basis:replicas', 'price_source:user']
    d2 = FIREWORKS.tags + ['deployment:d2', *model_tags('m'), 'basis:replicas', 'price_source:user']
    assert costs(aggregator) == {
        'llm_inference.cost.hourly': sorted([(4.0, sorted(d1)), (2.0, sorted(d2))]),
        'llm_inference.cost.per_million_tokens': [
            (2.0 / (500 * 3600 / 1e6), sorted(d2 + ['window:1m', 'tokens_counted:input']))
        ],
    }


def test_a_provider_label_named_like_a_cost_tag_is_kept_apart(dd_run_check, aggregator, provider_server):
    body = 'tokens_prompt_total:sum_by_deployment{deployment_id="d1",base_model="m",tokens_counted="all"} 1000\n'
    provider_server.reply(FIREWORKS.path, Reply(body=body))
    dd_run_check(FIREWORKS.check(provider_server, pricing={'tokens': {'m': {'input': 1.0}}}))
    tags = FIREWORKS.tags + ['deployment:d1', *model_tags('m'), 'label_tokens_counted:all', 'window:1m']
    assert_gauge_close(aggregator, 'llm_inference.tokens.input.rate', 1000.0, tags)
    assert_gauge_close(aggregator, 'llm_inference.cost.hourly', 3.6, tags + ['basis:tokens', 'price_source:user'])
    assert_gauge_close(
        aggregator,
        'llm_inference.cost.per_million_tokens',
        1.0,
        tags + ['basis:tokens', 'price_source:user', 'tokens_counted:input'],
    )


@pytest.mark.integration
def test_crusoe_flat_price_over_every_token_of_the_project(dd_run_check, aggregator, crusoe_engine):
    from simulator.crusoe import CRUSOE_MODELS

    _, proxy = crusoe_engine
    instance = CRUSOE.instance(api_key=CRUSOE_KEY, api_url=proxy.url, pricing={'hour': 40.0})
    dd_run_check(LlmInferenceCheck('llm_inference', {}, [instance]))
    served = sum(spec['input'] + spec['output'] for spec in CRUSOE_MODELS.values()) * 3600 / 1e6
    assert_gauge_close(aggregator, 'llm_inference.cost.hourly', 40.0, CRUSOE.tags + ['basis:flat', 'price_source:user'])
    assert_gauge_close(
        aggregator,
        'llm_inference.cost.per_million_tokens',
        40.0 / served,
        CRUSOE.tags + ['basis:flat', 'price_source:user', 'window:5m', 'tokens_counted:input_output'],
    )


@pytest.mark.parametrize(
    'options, needle',
    [
        ({'pricing': {'hour': -3}}, '`pricing.hour` must be a price'),
        ({'pricing': {'tokens': {'m': {'input': 'cheap'}}}}, '`pricing.tokens.m.input` must be a price'),
        ({'pricing': {'per_token': 1}}, '`pricing` has unknown keys per_token'),
        ({'pricing': [1]}, '`pricing` must be a mapping'),
        ({'model_aliases': ['x']}, '`model_aliases` must map'),
        ({'model': 'llama'}, '`model` is for providers whose series carry no model label'),
    ],
)
def test_bad_spend_options_are_named(options, needle):
    with pytest.raises(ConfigurationError) as e:
        FIREWORKS.check(**options)
    assert needle in str(e.value)


@pytest.mark.parametrize('model', ['', '   ', 7])
def test_a_wafer_model_that_names_no_model_is_refused(model):
    # An empty `model` would tag every series `model:` and `canonical_model:`.
    with pytest.raises(ConfigurationError, match='`model` must name the model the endpoint serves'):
        WAFER.check(model=model)


def test_pricing_is_parsed_once_per_instance(monkeypatch):
    calls = []
    parse = Pricing.parse.__func__
    monkeypatch.setattr(Pricing, 'parse', classmethod(lambda cls, raw: calls.append(raw) or parse(cls, raw)))
    pricing = {'tokens': {' llama-3.1-70b-instruct ': {'input': 1, 'output': 2}}, 'replica_hour': 3}
    check = FIREWORKS.check(pricing=pricing)
    assert len(calls) == 1
    assert check.pricing == parse(Pricing, pricing)  # as parsed: prices as numbers, the model name stripped


# --- list prices (`list_prices`): the snapshot data/list_prices.json, Groq at $0.59 / $0.79 for llama-3.3-70b ----

GROQ_LLAMA = 'llama-3.3-70b-versatile'


def groq_cost_tags(model, source):
    return ['provider:groq', *model_tags(model), 'project_id:' + GROQ_PROJECT, 'window:5m', 'basis:tokens', source]


def assert_groq_cost(aggregator, model, input_price, output_price, source):
    """The cost of `model`'s tokens at these prices, worked out from the fixture's token rates."""
    tokens = {kind: groq_token_rate(model, kind, MINUTES - 1) * 3600 for kind in ('tokens_in', 'tokens_out')}
    hourly = (tokens['tokens_in'] * input_price + tokens['tokens_out'] * output_price) / 1e6
    tags = groq_cost_tags(model, source)
    assert_gauge_close(aggregator, 'llm_inference.cost.hourly', hourly, tags)
    assert_gauge_close(
        aggregator,
        'llm_inference.cost.per_million_tokens',
        hourly / (sum(tokens.values()) / 1e6),
        tags + ['tokens_counted:input_output'],
    )


def without_model(tmp_path, provider, model, as_of=None):
    """The shipped snapshot less one model (and dated `as_of`), as a file."""
    with open(list_prices.SNAPSHOT, encoding='utf-8') as f:
        snapshot = json.load(f)
    del snapshot['prices'][provider][model]
    snapshot['as_of'] = as_of or snapshot['as_of']
    path = tmp_path / 'list_prices.json'
    path.write_text(json.dumps(snapshot))
    return str(path)


@pytest.mark.integration
def test_groq_list_prices_and_a_user_price_that_wins(dd_run_check, aggregator, groq_token_engine, caplog):
    _, proxy = groq_token_engine
    instance = GROQ.instance(api_key=GROQ_KEY, api_url=proxy.url, list_prices=True)
    dd_run_check(LlmInferenceCheck('llm_inference', {}, [instance]))
    assert_groq_cost(aggregator, GROQ_LLAMA, 0.59, 0.79, 'price_source:list')
    assert_groq_cost(aggregator, 'openai/gpt-oss-120b', 0.15, 0.6, 'price_source:list')  # no cached tokens reported
    assert_groq_cost(aggregator, 'qwen/qwen3-32b', 0.29, 0.59, 'price_source:list')
    assert len(aggregator.metrics('llm_inference.cost.hourly')) == 3
    aggregator.assert_metrics_using_metadata(get_metadata_metrics(), check_submission_type=True)
    assert 'no token cost' not in caplog.text
    # The user's price for one model wins over the list; the others stay at list prices.
    aggregator.reset()
    pricing = {'tokens': {GROQ_LLAMA: {'input': 0.5, 'output': 0.6}}}
    dd_run_check(LlmInferenceCheck('llm_inference', {}, [dict(instance, pricing=pricing)]))
    assert_groq_cost(aggregator, GROQ_LLAMA, 0.5, 0.6, 'price_source:user')
    assert_groq_cost(aggregator, 'qwen/qwen3-32b', 0.29, 0.59, 'price_source:list')
    assert len(aggregator.metrics('llm_inference.cost.hourly')) == 3


@pytest.mark.integration
def test_a_model_without_a_list_price_and_an_old_snapshot_are_named_once(
    dd_run_check, aggregator, groq_token_engine, caplog, tmp_path, monkeypatch
):
    snapshot = without_model(tmp_path, 'groq', 'qwen/qwen3-32b', as_of='2020-01-01')
    monkeypatch.setattr(list_prices, 'SNAPSHOT', snapshot)
    _, proxy = groq_token_engine
    instance = GROQ.instance(api_key=GROQ_KEY, api_url=proxy.url, list_prices=True)
    check = LlmInferenceCheck('llm_inference', {}, [instance])
    dd_run_check(check)
    dd_run_check(check)
    hourly = aggregator.metrics('llm_inference.cost.hourly')
    assert not [m for m in hourly if 'model:qwen/qwen3-32b' in m.tags]  # no cost, not a zero
    priced = {t for m in hourly for t in m.tags if t.startswith('model:')}
    assert priced == {'model:' + GROQ_LLAMA, 'model:openai/gpt-oss-120b'}
    said = [r.getMessage() for r in caplog.records if 'no token cost' in r.getMessage()]
    assert said == [
        'groq: no token cost for qwen/qwen3-32b: the list prices of groq (snapshot of 2020-01-01) have none for '
        'it: set it in `pricing.tokens` (see `pricing`)'
    ]
    stale = [r.getMessage() for r in caplog.records if 'days old' in r.getMessage()]
    assert len(stale) == 1 and 'a snapshot of 2020-01-01' in stale[0]


@pytest.mark.parametrize('provider', [FIREWORKS, WAFER])
def test_list_prices_on_a_provider_of_dedicated_capacity_is_refused(provider):
    with pytest.raises(ConfigurationError, match='`list_prices` is for providers whose metrics'):
        provider.check(list_prices=True)
