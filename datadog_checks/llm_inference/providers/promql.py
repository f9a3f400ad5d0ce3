# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""`provider: promql`: any Prometheus-compatible query API (Prometheus, VictoriaMetrics, Thanos, Mimir, ...), with the
user's own `queries` and no default ones."""

from datadog_checks.base import ConfigurationError

from ..query import QueryCheck


class PromQLCheck(QueryCheck):
    """`provider: promql`: any Prometheus-compatible query API, with the user's own `queries`."""

    PROVIDER = 'promql'
    REQUIRED_OPTIONS = ('api_url',)
    SCOPE_OPTION = 'queries'

    def __init__(self, name, init_config, instances):
        super().__init__(name, init_config, instances)
        if not self.queries:
            raise ConfigurationError('`provider: promql` needs at least one entry in `queries`.')

    # Assets (see assets/build.py): no dashboard of its own (the user's queries decide what it collects); its windows
    # are the user's.
    TITLE = 'PromQL'
    WINDOWS = None
    DASHBOARD = None
