# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""List prices (the `list_prices` option): the providers' public per-token prices, from the dated snapshot
data/list_prices.json that scripts/refresh-list-prices builds from genai-prices' and LiteLLM's tables (MIT; notices in
data/LIST_PRICES_NOTICE). They are serverless list prices, not anyone's contract: a price in `pricing.tokens` wins.

The snapshot is read on first use only (the Agent imports every check; most never turn this on).
"""

import datetime
import functools
import json
import os

SNAPSHOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'list_prices.json')
# Past this age a snapshot is named once: list prices change (mostly down) every few months.
STALE_DAYS = 180
KINDS = ('input', 'output', 'cached_input')


def _every_series(tags):
    return None


def _crusoe_on_demand(tags):
    # Crusoe bills provisioned throughput (`service_tier:pt`) as a commitment; only on-demand tokens are billed at
    # the list price per token.
    if 'service_tier:on-demand' in tags:
        return None
    tier = next((t.partition(':')[2] for t in tags if t.startswith('service_tier:')), None)
    return 'its service tier ({}) is not billed at list prices per token: price it in `pricing`'.format(tier)


# The providers whose metrics are of tokens billed at their public list price, and which of their series are:
# tags -> None, or why that series is not. Fireworks and Wafer report dedicated capacity (billed by the hour).
COVERED = {'groq': _every_series, 'crusoe': _crusoe_on_demand}


@functools.cache
def _snapshot(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


class ListPrices:
    """One provider's list prices: raw model id -> {kind: $ per million tokens}, as of the snapshot's date."""

    def __init__(self, provider, path=None):
        if provider not in COVERED:
            raise ValueError(
                '`list_prices` covers the providers whose metrics are of tokens billed at a public list price ({}), '
                'not {} (dedicated capacity, or your own queries): set your prices in `pricing`.'.format(
                    ', '.join(sorted(COVERED)), provider
                )
            )
        snapshot = _snapshot(path or SNAPSHOT)
        self.provider = provider
        self.applies = COVERED[provider]
        self.as_of = datetime.date.fromisoformat(snapshot['as_of'])
        self.prices = {
            model: {k: float(v) for k, v in entry.items() if k in KINDS}
            for model, entry in snapshot['prices'].get(provider, {}).items()
        }
        # The sources match model ids case-insensitively; an exact spelling wins.
        self.folded = {model.lower(): model for model in sorted(self.prices, reverse=True)}

    def __eq__(self, other):
        return isinstance(other, ListPrices) and (self.provider, self.as_of) == (other.provider, other.as_of)

    __hash__ = None

    def lookup(self, model, tags):
        """(prices, None) for a series of `model` with `tags`, or (None, why it has no list price)."""
        why = self.applies(tags)
        if why is not None:
            return None, why
        key = model if model in self.prices else self.folded.get(model.lower())
        if key is None:
            return None, 'the list prices of {} (snapshot of {}) have none for it: set it in `pricing.tokens`'.format(
                self.provider, self.as_of
            )
        return self.prices[key], None

    def stale(self, today=None):
        """The snapshot's age in days if it is past STALE_DAYS, else None."""
        age = ((today or datetime.datetime.now(datetime.UTC).date()) - self.as_of).days
        return age if age > STALE_DAYS else None
