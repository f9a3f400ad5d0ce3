"""Spend: the `pricing` option, and costs worked out from a run's points for each basis (tokens, replicas, flat)."""

import datetime
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest

from datadog_checks.llm_inference import list_prices
from datadog_checks.llm_inference.list_prices import STALE_DAYS, ListPrices
from datadog_checks.llm_inference.pricing import Costs, Pricing, Spend
from datadog_checks.llm_inference.providers import PROVIDERS

from .test_fireworks import FIREWORKS
from .test_groq import GROQ

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LLAMA = ('model:meta-llama/Llama-3.3-70B-Instruct', 'canonical_model:llama-3.3-70b-instruct')


def test_parse_every_basis():
    p = Pricing.parse(
        {
            'tokens': {
                'llama-3.3-70b-instruct': {'input': 0.9, 'output': 0.9, 'cached_input': 0.45},
                'm2': {'output': 2},
            },
            'replica_hour': 2.9,
            'hour': 12,
        }
    )
    assert p.tokens == {
        'llama-3.3-70b-instruct': {'input': 0.9, 'output': 0.9, 'cached_input': 0.45},
        'm2': {'output': 2.0},
    }
    assert (p.replica_hour, p.hour) == (2.9, 12.0)
    assert p.token_prices('meta-llama/Llama-3.3-70B-Instruct', 'llama-3.3-70b-instruct')['output'] == 0.9
    assert p.token_prices('m2', 'm2') == {'output': 2.0}
    assert p.token_prices('unpriced', 'unpriced') is None
    assert not Pricing.parse(None) and not Pricing.parse({})


@pytest.mark.parametrize(
    'raw, needle',
    [
        ([1, 2], '`pricing` must be a mapping'),
        ({'token': {}}, 'unknown keys token'),
        ({'hour': -1}, '`pricing.hour`'),
        ({'hour': '12'}, '`pricing.hour`'),
        ({'hour': True}, '`pricing.hour`'),
        ({'hour': float('nan')}, '`pricing.hour`'),
        ({'replica_hour': -0.5}, '`pricing.replica_hour`'),
        ({'tokens': ['m']}, '`pricing.tokens`'),
        ({'tokens': {'m': 3}}, '`pricing.tokens.m`'),
        ({'tokens': {'m': {}}}, '`pricing.tokens.m`'),
        ({'tokens': {'m': {'prompt': 1}}}, 'unknown keys prompt'),
        ({'tokens': {'m': {'input': 'cheap'}}}, '`pricing.tokens.m.input`'),
        ({'tokens': {'m': {'output': -2}}}, '`pricing.tokens.m.output`'),
        ({'tokens': {'m': {'cached_input': 1}}}, '`cached_input` without `input`'),
        ({'tokens': {'m': {'input': 1}, ' m ': {'input': 2}}}, 'names `m` twice'),
    ],
)
def test_bad_pricing_is_named(raw, needle):
    with pytest.raises(ValueError, match='pricing') as e:
        Pricing.parse(raw)
    assert needle in str(e.value)


RATES = Spend(input='tokens.input.rate', output='tokens.output.rate')
RATES_NAMES = ('tokens.input.rate', 'tokens.output.rate')


def test_token_basis_prices_input_and_output_per_series():
    # 2000 input and 500 output tokens a second over 5 minutes, at $0.90 and $1.20 per million tokens.
    tags = LLAMA + ('service_tier:pt', 'window:5m')
    points = [('tokens.input.rate', 2000.0, tags), ('tokens.output.rate', 500.0, tags), ('requests.rate', 3.0, tags)]
    pricing = Pricing.parse({'tokens': {'llama-3.3-70b-instruct': {'input': 0.9, 'output': 1.2}}})
    costs = dict(((n, tuple(sorted(t))), v) for n, v, t in Costs(pricing, RATES).points(points))
    hourly = (2000 * 3600 * 0.9 + 500 * 3600 * 1.2) / 1e6  # $8.64 per hour
    assert costs.pop(('cost.hourly', tuple(sorted(tags + ('basis:tokens', 'price_source:user'))))) == pytest.approx(
        hourly
    )
    per_million = hourly / ((2000 + 500) * 3600 / 1e6)  # $0.96: the blend of the two prices, weighted 4:1
    key = tuple(sorted(tags + ('basis:tokens', 'price_source:user', 'tokens_counted:input_output')))
    assert costs.pop(('cost.per_million_tokens', key)) == pytest.approx(per_million)
    assert costs == {}


def test_no_price_no_cost_and_a_missing_kind_no_sum():
    tags = ('model:other', 'canonical_model:other', 'window:5m')
    points = [('tokens.input.rate', 10.0, tags), ('tokens.output.rate', 5.0, tags)]
    assert Costs(Pricing.parse({'tokens': {'llama-3.3-70b-instruct': {'input': 1}}}), RATES).points(points) == []
    # Output is priced but this series reports only input: no cost rather than an input-only one.
    costs = Costs(Pricing.parse({'tokens': {'other': {'input': 1, 'output': 2}}}), RATES)
    assert costs.points(points[:1]) == []
    assert costs.unpriced == [('other', 'it has a price for output tokens, which are not reported')]


def test_cached_input_is_part_of_input():
    # Fireworks: prompt tokens (cached included) and cached prompt tokens a second; no output tokens reported.
    spend = Spend(input='tokens.input.rate', cached_input='tokens.cached_input.rate')
    tags = ('model:accounts/fireworks/models/llama-v3p3-70b-instruct', 'canonical_model:llama-3.3-70b-instruct')
    tags += ('deployment:d1', 'window:1m')
    points = [('tokens.input.rate', 1000.0, tags), ('tokens.cached_input.rate', 400.0, tags)]
    pricing = Pricing.parse({'tokens': {'llama-3.3-70b-instruct': {'input': 0.9, 'cached_input': 0.45}}})
    (hourly, per_million) = Costs(pricing, spend).points(points)
    assert hourly[1] == pytest.approx((600 * 0.9 + 400 * 0.45) * 3600 / 1e6)
    assert per_million[1] == pytest.approx((600 * 0.9 + 400 * 0.45) / 1000)
    assert 'tokens_counted:input' in per_million[2]


def test_replica_basis_joins_the_deployment_model():
    # 3 replicas at $2.90 an hour; the replicas series has no model label, the deployment's other series do.
    spend = Spend(input='tokens.input.rate', replicas='fireworks.replicas')
    model = ('model:accounts/fireworks/models/qwen3-8b', 'canonical_model:qwen3-8b')
    points = [
        ('fireworks.replicas', 3.0, ('deployment:d1',)),
        ('tokens.input.rate', 250.0, model + ('deployment:d1', 'window:1m')),
        ('fireworks.replicas', 0.0, ('deployment:d2',)),  # scaled to zero: $0 an hour, and no tokens
    ]
    out = {(n, tuple(sorted(t))): v for n, v, t in Costs(Pricing.parse({'replica_hour': 2.9}), spend).points(points)}
    d1 = tuple(sorted(('deployment:d1', 'basis:replicas', 'price_source:user') + model))
    assert out.pop(('cost.hourly', d1)) == pytest.approx(8.7)
    per_million = tuple(sorted(d1 + ('window:1m', 'tokens_counted:input')))
    assert out.pop(('cost.per_million_tokens', per_million)) == pytest.approx(8.7 / (250 * 3600 / 1e6))
    assert out == {('cost.hourly', ('basis:replicas', 'deployment:d2', 'price_source:user')): 0.0}


def test_flat_basis_over_every_token_of_the_instance():
    # Wafer: 24-hour counts; a flat $12 an hour for the dedicated endpoint.
    spend = Spend(input='wafer.tokens.input.last_24h', output='wafer.tokens.output.last_24h', per_hour=1 / 24)
    day = ('window:24h',)
    points = [('wafer.tokens.input.last_24h', 48e6, day), ('wafer.tokens.output.last_24h', 24e6, day)]
    out = Costs(Pricing.parse({'hour': 12}), spend).points(points)
    assert out[0] == ('cost.hourly', 12.0, ('basis:flat', 'price_source:user'))
    name, value, tags = out[1]
    assert (name, tags) == (
        'cost.per_million_tokens',
        ('basis:flat', 'price_source:user', 'window:24h', 'tokens_counted:input_output'),
    )
    assert value == pytest.approx(12 / (3e6 / 1e6))  # 3 million tokens an hour on average: $4 per million
    # No tokens at all (an idle endpoint): the hourly cost, and no cost per million tokens.
    assert Costs(Pricing.parse({'hour': 12}), spend).points([('wafer.tokens.input.last_24h', 0.0, day)]) == [
        ('cost.hourly', 12.0, ('basis:flat', 'price_source:user'))
    ]


def test_costs_are_finite_numbers_or_nothing():
    # A token rate so small that the tokens served, in millions, round to 0.0 (a division by zero), or to a number
    # whose inverse is infinite; replicas so many that their cost is: no point, rather than an exception or an Inf.
    spend = Spend(input='tokens.input.rate', replicas='fireworks.replicas')
    for rate in (1e-323, 1e-316):
        points = [('tokens.input.rate', rate, ('window:1m',))]
        assert Costs(Pricing.parse({'hour': 2}), spend).points(points) == [
            ('cost.hourly', 2.0, ('basis:flat', 'price_source:user'))
        ]
    points = [('fireworks.replicas', 1e308, ('deployment:d1',))]
    costs = Costs(Pricing.parse({'replica_hour': 2}), spend)
    assert costs.points(points) == []
    assert costs.not_finite == [('deployment:d1', 'basis:replicas', 'price_source:user')]


# --- list prices ------------------------------------------------------------------------------------------------


def prices_of(provider):
    """The list prices as the instance of `provider` reads them: what its declaration says is billed at them."""
    return ListPrices(provider, PROVIDERS[provider].LIST_PRICED)


def listed(provider='groq'):
    return Pricing(listed=prices_of(provider))


def test_list_prices_price_what_the_user_did_not():
    groq = ('model:llama-3.3-70b-versatile', 'canonical_model:llama-3.3-70b-instruct', 'window:5m')
    other = ('model:not-a-groq-model', 'canonical_model:not-a-groq-model', 'window:5m')
    points = [(name, 1e6 / 3600, tags) for tags in (groq, other) for name in RATES_NAMES]
    costs = Costs(listed(), RATES)
    out = {(n, tuple(sorted(t))): v for n, v, t in costs.points(points)}
    # A million input and a million output tokens an hour at Groq's $0.59 and $0.79.
    assert out.pop(('cost.hourly', tuple(sorted(groq + ('basis:tokens', 'price_source:list'))))) == pytest.approx(1.38)
    per_million = tuple(sorted(groq + ('basis:tokens', 'price_source:list', 'tokens_counted:input_output')))
    assert out.pop(('cost.per_million_tokens', per_million)) == pytest.approx(0.69)
    assert out == {}
    assert costs.unpriced == [
        (
            'not-a-groq-model',
            'the list prices of groq (snapshot of {}) have none for it: set it in `pricing.tokens`'.format(
                prices_of('groq').as_of
            ),
        )
    ]
    # The user's price, by canonical name, wins.
    user = Pricing(tokens={'llama-3.3-70b-instruct': {'input': 1.0, 'output': 2.0}}, listed=prices_of('groq'))
    (hourly, _) = Costs(user, RATES).points(points[:2])
    assert hourly[1:] == (pytest.approx(3.0), tuple(sorted(groq)) + ('basis:tokens', 'price_source:user'))


def test_crusoe_list_prices_only_for_on_demand_tokens():
    model = ('model:meta-llama/Llama-3.3-70B-Instruct', 'canonical_model:llama-3.3-70b-instruct', 'window:5m')
    points = [
        (name, 1e6 / 3600, model + ('service_tier:' + tier,)) for tier in ('on-demand', 'pt') for name in RATES_NAMES
    ]
    costs = Costs(listed('crusoe'), RATES)
    (hourly, _) = costs.points(points)
    on_demand = tuple(sorted(model + ('service_tier:on-demand',))) + ('basis:tokens', 'price_source:list')
    assert hourly[1:] == (pytest.approx(0.4), on_demand)
    assert costs.unpriced == [
        (
            'meta-llama/Llama-3.3-70B-Instruct',
            'its service tier (pt) is not billed at list prices per token: price it in `pricing`',
        )
    ]


def test_snapshot_age_and_entries():
    groq = prices_of('groq')
    assert groq.stale(groq.as_of + datetime.timedelta(days=STALE_DAYS)) is None
    assert groq.stale(groq.as_of + datetime.timedelta(days=STALE_DAYS + 1)) == STALE_DAYS + 1
    # Looked up as the sources match: an exact spelling, else without regard to case.
    assert groq.lookup('LLAMA-3.3-70B-Versatile', ()) == ({'input': 0.59, 'output': 0.79}, None)
    with pytest.raises(ValueError, match=r'billed at a public list price, not fireworks'):
        prices_of('fireworks')


def test_the_snapshot_is_as_the_refresh_script_writes_it():
    # Sorted, dated, each price with its source: a refresh is reviewed as a diff.
    with open(list_prices.SNAPSHOT, encoding='utf-8') as f:
        text = f.read()
    snapshot = json.loads(text)
    assert text == json.dumps(snapshot, indent=1, sort_keys=True) + '\n'
    datetime.date.fromisoformat(snapshot['as_of'])
    assert {p['license'] for p in snapshot['sources'].values()} == {'MIT'}
    for models in snapshot['prices'].values():
        for prices in models.values():
            assert prices['source'] in snapshot['sources'] and set(prices) - {'source'} <= set(list_prices.KINDS)
    assert snapshot['prices']['groq']['llama-3.3-70b-versatile'] == {
        'input': 0.59,
        'output': 0.79,
        'source': 'genai-prices',
    }


def test_the_snapshot_is_read_only_when_list_prices_is_on(monkeypatch):
    def unread(path):
        raise AssertionError('the snapshot was read')

    monkeypatch.setattr(list_prices, '_snapshot', unread)
    FIREWORKS.check(pricing={'replica_hour': 2})  # the Agent's import and an instance without the option
    with pytest.raises(AssertionError, match='the snapshot was read'):
        GROQ.check(list_prices=True)


def test_the_wheel_carries_the_snapshot_and_its_sources_notices(tmp_path):
    build = [sys.executable, '-m', 'hatchling', 'build', '-d', str(tmp_path), '-t', 'wheel']
    subprocess.run(build, cwd=ROOT, check=True, capture_output=True, timeout=120)
    (wheel,) = tmp_path.glob('*.whl')
    with zipfile.ZipFile(wheel) as zf:
        data = 'datadog_checks/llm_inference/data/'
        assert json.loads(zf.read(data + 'list_prices.json'))['prices']['groq']
        notice = zf.read(data + 'LIST_PRICES_NOTICE').decode()
    assert 'Copyright (c) Pydantic Services Inc.' in notice and 'litellm' in notice
    assert notice.count('Permission is hereby granted, free of charge') == 2  # both MIT notices, whole


def test_the_readme_gives_the_snapshot_date():
    # Refreshing the snapshot means saying so where users read what list prices are.
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    assert re.search(r'snapshot of\s+\*\*{}\*\*'.format(prices_of('groq').as_of), readme)
