# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""`provider: promql`: any Prometheus-compatible query API (Prometheus, VictoriaMetrics, Thanos, Mimir, ...), with the
user's own `queries` and no default ones."""

from ..promql_client import QUERY_PATH
from ..query import QueryCheck


class PromQLCheck(QueryCheck):
    """`provider: promql`: any Prometheus-compatible query API, with the user's own `queries`."""

    PROVIDER = 'promql'
    API_PATH = QUERY_PATH  # the PromQL API's: its options (`queries`, `method`, `nocache`) are read
    # At least one query: there are no default ones.
    REQUIRED_OPTIONS = ('api_url', 'queries')
    NO_DATA_HINT = 'check `queries` and that the key can see this data'

    # Its name in prose; its windows are the user's. No dashboard of its own (no assets/layouts/promql.py): the user's
    # queries decide what it collects.
    TITLE = 'PromQL'
    WINDOWS = None
