# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What a run submits: its catalog points with the instance's base tags, the costs worked out from them (pricing.py),
and the check's own telemetry (`llm_inference.integration.*`)."""

from .pricing import NO_MODEL, Costs


class Submission:
    """Mixed into ProviderMixin: the one way points reach the Agent, once a run has all of them."""

    def submit_points(self, points, report, deduplicated=False):
        """Submit (name, value, tags[, type]) points (gauges unless a type is given), once a run has everything;
        `report` is the run's (drift.RunReport: what the costs must know was missing). Returns how many.

        A tag that repeats an identity tag (the instance's endpoint or account) is not sent twice; callers that
        already left those out say `deduplicated`.
        """
        if self.pricing:
            points = points + self.costs(points, report.missing)
        base, known = self.base_tags, self.base_tag_set
        gauge = self.gauge
        if deduplicated:
            for name, value, tags, *kind in points:
                (getattr(self, kind[0]) if kind else gauge)(name, value, tags=[*base, *tags])
        else:
            for name, value, tags, *kind in points:
                submit = getattr(self, kind[0]) if kind else gauge
                submit(name, value, tags=base + [t for t in tags if t not in known])
        return len(points)

    def distribution_bucket(self, name, value, tags):
        """A point of kind `distribution_bucket`: `value` is (requests, lower bound, upper bound) of one run, not
        cumulative (bucket_outputs.py). Not monotonic, so the Agent keeps no state per bucket and the buckets of one
        context need no bound tag (no `multiple_buckets`)."""
        count, lower, upper = value
        self.submit_histogram_bucket(name, count, lower, upper, False, None, tags)

    def costs(self, points, missing):
        """cost.hourly and cost.per_million_tokens from the run's points and the user's prices (pricing.py);
        `missing`: the series read but not submitted, by metric (a total over them is not one)."""
        costs = Costs(self.pricing, self.SPEND, self.base_tags, missing)
        out = costs.points(points)
        for model, why in sorted(set(costs.unpriced)):
            if why == NO_MODEL:
                why += (
                    ': set the `model` option'
                    if self.MODEL_OPTION
                    else ': keep the provider\'s model label (is it in `{}`?)'.format(self.mapping.aggregate_option)
                )
            self.drift.warning_once(
                ('unpriced', model, why),
                '%s: no token cost for %s: %s (see `pricing`)',
                self.PROVIDER,
                model,
                why,
            )
        # A price whose key names no model the token series carry prices nothing: say so (a misspelt key).
        if costs.models:
            for key in sorted(set(self.pricing.tokens) - costs.matched):
                self.drift.warning_once(
                    ('price unmatched', key),
                    '%s: `pricing.tokens` has a price for `%s`, a name none of this run\'s token series carry (as '
                    '`model` or `canonical_model`, which must match exactly): %s',
                    self.PROVIDER,
                    key,
                    ', '.join(sorted(costs.models)[:20]),
                )
        if costs.stale is not None:
            self.drift.warning_once(
                ('list prices stale',),
                '%s: `list_prices` uses a snapshot of %s, %d days old: list prices may have changed (upgrade the '
                'check, or set your prices in `pricing`)',
                self.PROVIDER,
                self.pricing.listed.as_of,
                costs.stale,
            )
        for tags in costs.not_finite:
            self.drift.warning_once(
                ('cost not finite', tags),
                '%s: the cost %s is not a finite number (a price or a reported value out of range): not submitted',
                self.PROVIDER,
                ','.join(tags),
            )
        return out

    def telemetry(self, name, value, tags=(), method='count'):
        getattr(self, method)('integration.' + name, value, tags=self.base_tags + list(tags))

    def note_request(self, outcome):
        """Count one HTTP request made to the provider, by outcome (ok, rate_limited, http_4xx, ...)."""
        self.telemetry('requests', 1, ['outcome:{}'.format(outcome)])
