# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Spend: the user's prices (the `pricing` option) turned into `cost.hourly` and `cost.per_million_tokens`.

No price is built in by default: prices differ by provider and contract. `list_prices` opts into the providers' dated
public list prices (list_prices.py) for the models the user did not price; every cost says which it used
(`price_source:user` or `price_source:list`). Costs are worked out from the catalog points a run already mapped, the
same way for every provider; what a provider reports of tokens and replicas it declares in its module (`SPEND`). A
model without a price gets no cost, never a zero; a token cost that would leave out a kind of token the user priced
is not submitted (a sum with a missing member is not a sum), and a rate of tokens of 0 gives no cost per million
tokens (not an infinity).
"""

import math
from dataclasses import dataclass, field

from .suggest import unknown_names

TOKEN_KINDS = ('input', 'output', 'cached_input')
PER_MILLION = 1e6


def _price(value, where):
    try:
        price = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    except OverflowError:  # a whole number too large for a float
        price = math.nan
    if not math.isfinite(price) or price < 0:
        raise ValueError('`{}` must be a price in dollars: a number, 0 or more (got {!r}).'.format(where, value)[:300])
    return price


@dataclass(frozen=True)
class Pricing:
    """$ per million tokens by model and kind, $ per replica-hour, and a flat $ per hour; None where not set."""

    tokens: dict = field(default_factory=dict)  # model name (raw or canonical) -> {kind: $ per million tokens}
    replica_hour: float | None = None
    hour: float | None = None
    listed: object = None  # list_prices.ListPrices when `list_prices` is on: the models `tokens` does not price

    @classmethod
    def parse(cls, raw):
        """The `pricing` option; a ValueError that names `pricing` and the bad key otherwise."""
        if raw is None:
            return cls()
        if not hasattr(raw, 'items'):
            raise ValueError(
                '`pricing` must be a mapping with `tokens`, `replica_hour` and/or `hour` (got {}).'.format(
                    type(raw).__name__
                )
            )
        unknown = unknown_names(raw, ('tokens', 'replica_hour', 'hour'))
        if unknown:
            raise ValueError('`pricing` has unknown keys {}; allowed: tokens, replica_hour, hour.'.format(unknown))
        tokens = raw.get('tokens') or {}
        if not hasattr(tokens, 'items'):
            raise ValueError('`pricing.tokens` must map model names to {input, output, cached_input} prices.')
        parsed = {}
        for model, prices in tokens.items():
            where = 'pricing.tokens.{}'.format(model)
            if not isinstance(model, str) or not model.strip():
                raise ValueError('`pricing.tokens` keys must be model names (got {!r}).'.format(model))
            if not hasattr(prices, 'items') or not prices:
                raise ValueError(
                    '`{}` must be a mapping of `input`, `output` and/or `cached_input` to $ per million tokens.'.format(
                        where
                    )
                )
            bad = unknown_names(prices, TOKEN_KINDS)
            if bad:
                raise ValueError('`{}` has unknown keys {}; allowed: input, output, cached_input.'.format(where, bad))
            if 'cached_input' in prices and 'input' not in prices:
                raise ValueError(
                    '`{}` has `cached_input` without `input`: cached tokens are a part of input.'.format(where)
                )
            if model.strip() in parsed:  # `m` and ` m`: which price would hold?
                raise ValueError('`pricing.tokens` names `{}` twice.'.format(model.strip()))
            parsed[model.strip()] = {kind: _price(v, '{}.{}'.format(where, kind)) for kind, v in prices.items()}
        replica_hour, hour = raw.get('replica_hour'), raw.get('hour')
        return cls(
            parsed,
            None if replica_hour is None else _price(replica_hour, 'pricing.replica_hour'),
            None if hour is None else _price(hour, 'pricing.hour'),
        )

    @classmethod
    def of(cls, model, listed=None):
        """The `pricing` option as the configuration models hold it: already parsed by their validator (validators.py
        keeps what `parse` made of it), so taken as it is; `listed`: the list prices, if `list_prices` is on."""
        if model is None:
            return cls(listed=listed)
        return cls(dict(model.tokens or {}), model.replica_hour, model.hour, listed)

    def __bool__(self):
        return bool(self.tokens) or self.replica_hour is not None or self.hour is not None or self.listed is not None

    def price_key(self, model, canonical):
        """The `pricing.tokens` key that prices `model`: its raw name first, then its canonical name; None."""
        for key in (model, canonical):
            if key in self.tokens:
                return key
        return None

    def token_prices(self, model, canonical):
        """The prices of `model` (see price_key); None if not priced."""
        return self.tokens.get(self.price_key(model, canonical))


@dataclass(frozen=True)
class Spend:
    """What a provider reports that spend can be worked out from (each provider module declares one).

    input, output, cached_input: the catalog metrics of those tokens (cached_input a part of input), '' where the
    provider reports none; `per_hour` turns their values into tokens per hour (3600 for a rate per second, 1/24 for
    a 24-hour count). replicas: the catalog metric of replicas per deployment, '' if none.
    """

    input: str = ''
    output: str = ''
    cached_input: str = ''
    per_hour: float = 3600.0
    replicas: str = ''


NO_MODEL = 'its series carry no model'
# Which prices a cost is at: the user's (`pricing`) or the snapshot's list prices (`list_prices`).
USER, LIST = 'price_source:user', 'price_source:list'


def _tag(tags, key):
    prefix = key + ':'
    for tag in tags:
        if tag.startswith(prefix):
            return tag[len(prefix) :]
    return None


class Costs:
    """One run's costs from its points. `points` are (name, value, tags[, type]) with catalog names; `base_tags`
    are the instance's own (identity and user tags), which every point also carries. `missing` is what the run read
    but could not submit (drift.RunReport.missing: catalog metric -> tags of its series): tokens a total leaves out."""

    def __init__(self, pricing, spend, base_tags=(), missing=None):
        self.pricing = pricing
        self.spend = spend
        self.base_tags = tuple(base_tags)
        # The tag sets of input and output token series without a value this run (NaN, an incomplete sum, ...).
        self.gaps = [
            frozenset(tags)
            for kind in ('input', 'output')
            if getattr(spend, kind)
            for tags in (missing or {}).get(getattr(spend, kind), ())
        ]
        self.unpriced = []  # (model, why): token costs left out this run, for a log line
        self.models = set()  # the raw and canonical model names of this run's token series
        self.matched = set()  # the `pricing.tokens` keys that priced one of them
        self.not_finite = []  # the tags of costs left out for not being a finite number, for a log line
        self.stale = None  # the list prices' age in days, when past list_prices.STALE_DAYS

    def points(self, points):
        spend = self.spend
        kinds = {spend.input: 'input', spend.output: 'output', spend.cached_input: 'cached_input'}
        kinds.pop('', None)
        series = {}  # the tags of one series of token metrics -> {kind: tokens per hour}
        replicas = []  # (tags, replicas) per deployment
        models = {}  # deployment -> its `model` and `canonical_model` tags, from any point that has them
        for name, value, tags, *_ in points:
            kind = kinds.get(name)
            if kind is not None:
                series.setdefault(tuple(sorted(tags)), {})[kind] = value * spend.per_hour
            elif spend.replicas and name == spend.replicas:
                replicas.append((tuple(tags), value))
            deployment = _tag(tags, 'deployment')
            if deployment is not None and deployment not in models and _tag(tags, 'model') is not None:
                models[deployment] = tuple(t for t in tags if t.startswith(('model:', 'canonical_model:')))
        out = []
        if self.pricing.tokens or self.pricing.listed is not None:
            for tags, tokens in series.items():
                hourly, source = self.token_cost(tags, tokens)
                if hourly is not None:
                    self._cost(out, hourly, tags + ('basis:tokens', source), {tags: tokens}, None)
            if self.pricing.listed is not None and series:
                self.stale = self.pricing.listed.stale()
        if self.pricing.replica_hour is not None:
            for tags, count in replicas:
                # The tokens those replicas served: the token series that carry every tag the replicas do (their
                # deployment, and a region or any other label the replicas are split by).
                own = frozenset(tags)
                served = {t: tokens for t, tokens in series.items() if own.issubset(t)}
                scope = tags
                tags = tags + models.get(_tag(tags, 'deployment'), ()) + ('basis:replicas', USER)
                self._cost(out, count * self.pricing.replica_hour, tags, served, scope)
        if self.pricing.hour is not None:
            self._cost(out, self.pricing.hour, ('basis:flat', USER), series, ())
        return out

    def token_cost(self, tags, tokens):
        """($ per hour, its price_source tag) of one series of token metrics, or (None, None): no price for its
        model, or a priced kind of token the provider does not report (a sum with a missing member)."""
        model = _tag(tags, 'model') or _tag(self.base_tags, 'model')
        if model is None:
            self.unpriced.append(('this instance', NO_MODEL))
            return None, None
        canonical = _tag(tags, 'canonical_model') or _tag(self.base_tags, 'canonical_model')
        self.models.update((model, canonical))
        prices, source = self._prices(model, canonical, tags + self.base_tags)
        if prices is None:
            return None, None
        return self._token_cost(model, prices, tokens), source

    def _prices(self, model, canonical, tags):
        """The user's price for the model, else its list price (if on): (prices, price_source tag) or (None, None)."""
        key = self.pricing.price_key(model, canonical)
        if key is not None:
            self.matched.add(key)
            return self.pricing.tokens[key], USER
        if self.pricing.listed is None:
            return None, None
        prices, why = self.pricing.listed.lookup(model, tags)
        if prices is None:
            self.unpriced.append((model, why))
            return None, None
        return prices, LIST

    def _token_cost(self, model, prices, tokens):
        for kind in ('input', 'output'):
            if kind in prices and kind not in tokens:  # priced, but not reported (by this provider, or this run)
                self.unpriced.append((model, 'it has a price for {} tokens, which are not reported'.format(kind)))
                return None
        if 'cached_input' in prices and self.spend.cached_input and 'cached_input' not in tokens:
            self.unpriced.append((model, 'it has a price for cached input tokens, which are not reported'))
            return None
        # Cached input is a part of input: without a figure for it (a provider that does not report it), all input
        # is priced as uncached, an upper bound (metadata.csv says so).
        cached = tokens.get('cached_input', 0.0)
        if cached > tokens.get('input', cached):
            # The two figures disagree (another window, a provider's error): no cost rather than a negative one.
            self.unpriced.append((model, 'it reports more cached input tokens than input tokens'))
            return None
        cost = 0.0
        if 'input' in prices:
            cost += (tokens['input'] - cached) * prices['input'] + cached * prices.get('cached_input', prices['input'])
        if 'output' in prices:
            cost += tokens['output'] * prices['output']
        return cost / PER_MILLION

    def _cost(self, out, hourly, tags, served, scope):
        """cost.hourly, and cost.per_million_tokens over the tokens of `served` (series tags -> tokens per hour),
        where they are known, over one window, and not 0. `served` is every token series carrying all the `scope`
        tags: one of those without a value this run makes their total unknown (scope None: `served` is one series,
        whose kinds were checked)."""
        if not math.isfinite(hourly) or hourly < 0:
            self.not_finite.append(tags)  # a price or a reported value out of any range: no cost, not an Inf
            return
        out.append(('cost.hourly', hourly, tags))
        kinds = [kind for kind in ('input', 'output') if getattr(self.spend, kind)]
        if not served or any(kind not in tokens for tokens in served.values() for kind in kinds):
            return  # tokens not reported, or a series without one of its kinds: not a sum
        if scope is not None and any(gap.issuperset(scope) for gap in self.gaps):
            return  # a series of these tokens was read without a value: a sum with a missing member
        totals = [sum(tokens[kind] for kind in kinds) for tokens in served.values()]
        windows = {t for series in served for t in series if t.startswith('window:')}
        millions = sum(totals) / PER_MILLION
        if len(windows) > 1 or not math.isfinite(millions) or millions <= 0:
            return
        per_million = hourly / millions
        if not math.isfinite(per_million):
            return  # a cost over next to no tokens (a denormal rate): no figure, not an infinity
        counted = 'tokens_counted:input_output' if self.spend.output else 'tokens_counted:input'
        tags = tuple(t for t in tags if not t.startswith('window:')) + tuple(windows) + (counted,)
        out.append(('cost.per_million_tokens', per_million, tags))
