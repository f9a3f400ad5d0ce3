# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Model-level percentiles: per instance and model, the percentiles of all that model's deployments, replicas and
tiers merged, under their own name (`llm_inference.model.<metric>`), so a per-deployment query never picks them up
by accident and a model-level query never picks up a deployment's series.

Why a name and not a tag: a `scope:` tag would change every existing series' tags, and a query that forgot the tag
would fold both populations. A name cannot be forgotten.

- Bucket families: the bucket rates of the model's series are summed per bound before the quantile (as PromQL's
  `histogram_quantile(q, sum by (le, model) (...))`), over the bounds every member has.
- Quantile gauges (a provider that sends percentiles, not buckets): cannot be merged; a model whose population is
  one series gets that series (it is the model's percentile), a model with several gets none (said once in a log).
- A model whose population lost a member this run (a series that could not be used) gets no value: a sum with a
  missing member is not a sum.
"""

# The tags that name the population: everything else (deployment, endpoint, service tier, replica, region, any label
# a provider adds) is merged. Constant tags of the spec or the reading (`window`) are kept as they name the window.
SCOPE_KEYS = frozenset(('model', 'canonical_model', 'window', 'quantile'))
PREFIX = 'model.'
_SCOPE_PREFIXES = tuple(key + ':' for key in sorted(SCOPE_KEYS))


def name_of(metric):
    """The model-level name of a catalog metric (`time_to_first_token.seconds` -> `model.time_to_first_token...`)."""
    return PREFIX + metric


def scope_of(tags):
    """The tags of the model population a series belongs to, or None for a series that names no model (its
    population would be the whole instance, which is no model's)."""
    scope = tuple([t for t in tags if t.startswith(_SCOPE_PREFIXES)])  # one C call a tag: this runs per series
    for tag in scope:
        if tag.startswith('model:'):
            return scope
    return None


class ModelBuckets:
    """One spec's per-series buckets summed per model: `add()` each series' [(bound, value)] (sorted, one value per
    bound), `drop()` the tags of a series that could not be used, then `merged()`."""

    def __init__(self):
        self.models = {}  # model tags -> {bound: summed value}, or None once a member is missing
        self.members = {}  # model tags -> how many series were merged

    def add(self, tags, rows):
        scope = scope_of(tags)
        if scope is None:
            return
        self.members[scope] = self.members.get(scope, 0) + 1
        total = self.models.get(scope, False)
        if total is None:
            return
        if total is False:
            self.models[scope] = dict(rows)
            return
        # Only the bounds every member has: a bound one member lacks would make the sum there partial.
        values = dict(rows)
        self.models[scope] = {bound: value + values[bound] for bound, value in total.items() if bound in values}

    def drop(self, tags):
        scope = scope_of(tags)
        if scope is not None:
            self.models[scope] = None

    def merged(self):
        """[(model tags, [(bound, summed value)] sorted)] of the models with every member present."""
        return [(scope, sorted(rows.items())) for scope, rows in self.models.items() if rows]


class ModelQuantiles:
    """One quantile-gauge spec's series per model: a model of one series keeps it, a model of several gets none."""

    def __init__(self):
        self.models = {}  # model tags -> value, or None when several series (or a missing one) share them

    def add(self, tags, value):
        scope = scope_of(tags)
        if scope is not None:
            self.models[scope] = None if scope in self.models else value

    def drop(self, tags):
        scope = scope_of(tags)
        if scope is not None:
            self.models[scope] = None

    def single(self):
        return [(scope, value) for scope, value in self.models.items() if value is not None]

    def several(self):
        return sorted(scope for scope, value in self.models.items() if value is None)
