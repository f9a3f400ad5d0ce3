"""What a provider module of the simulator declares, as `PROVIDER = <one of these>`: how it is served, its keys and
limits, and its demo instances. Nothing outside the provider's module names it; registry.py finds the modules."""

import collections

Reply = collections.namedtuple('Reply', 'status body headers')
FAILING_TAG = 'demo:failing-instance'  # instances that fail on purpose (the demo's "see its service check")


class SimulatedProvider:
    name = ''
    keys = {}  # role -> a key the simulator knows (accepted or refused on purpose); none may reach any output
    pricing = {}  # example prices for the demo instances (not quotes from any provider)

    def demo_instances(self, url):
        """Agent-style instances against the provider served at `url`; failing ones tagged FAILING_TAG."""
        raise NotImplementedError


class ScrapeProvider(SimulatedProvider):
    """A Prometheus-text endpoint, served on the simulator's shared HTTP server (scrape_server.py)."""

    path = ''  # the demo instances' URL path
    per_minute = 6  # the provider's documented request limit, per bucket (account, key...: see `answer`)
    auth_scheme = 'Bearer'

    def key(self, authorization):
        prefix = self.auth_scheme + ' '
        return authorization[len(prefix) :] if authorization.startswith(prefix) else ''

    def answer(self, path, query, key, limited, now):
        """A Reply for a request of this provider, or None when `path` is not this provider's. `limited(bucket)`
        counts a request against `bucket` and returns seconds to wait (0: within the limit)."""
        raise NotImplementedError


class QueryProvider(SimulatedProvider):
    """A Prometheus-compatible query API: a real engine loaded with series, behind the provider's URL path and key
    check (query_apis.py)."""

    def serve(self, now):
        """Start the provider's query API holding its demo series as of `now`; returns a query_apis.QueryAPI."""
        raise NotImplementedError
