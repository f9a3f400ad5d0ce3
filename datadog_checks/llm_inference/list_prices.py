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


def every_series(tags):
    """A provider's LIST_PRICED where every token series it reports is billed at its list price."""
    return None


@functools.cache
def _snapshot(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


class ListPrices:
    """One provider's list prices: raw model id -> {kind: $ per million tokens}, as of the snapshot's date."""

    def __init__(self, provider, applies, path=None):
        """`applies`: the provider's LIST_PRICED declaration (tags -> None, or why that series has no list price),
        or None where its metrics are not of tokens billed at a public list price."""
        if applies is None:
            raise ValueError(
                '`list_prices` is for providers whose metrics are of tokens billed at a public list price, not {} '
                '(dedicated capacity, or your own queries): set your prices in `pricing`.'.format(provider)
            )
        snapshot = _snapshot(path or SNAPSHOT)
        self.provider = provider
        self.applies = applies
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
