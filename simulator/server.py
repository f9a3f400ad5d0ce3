"""The simulator: every provider module registry.py finds, served on 127.0.0.1 (the scrape providers on one HTTP
server, each query provider by its engine behind its URL path), with the providers' keys and rate limits."""

import time

import yaml

from . import registry
from .provider import FAILING_TAG, QueryProvider, ScrapeProvider
from .scrape_server import ScrapeServer


class Simulator:
    """Everything the demo and the end-to-end test talk to: `urls` says where each provider is, `servers` what serves
    it (its `requests` list what it received)."""

    def __init__(self, clock=time.time, with_engines=True, providers=None):
        self.clock = clock
        self.with_engines = with_engines
        self.providers = registry.providers() if providers is None else list(providers)
        self.scrape = ScrapeServer([p for p in self.providers if isinstance(p, ScrapeProvider)], clock)
        self.urls = {}
        self.servers = {}
        self._stoppers = []

    def start(self):
        try:
            self.scrape.start()
            self._stoppers.append(self.scrape.stop)
            for provider in self.scrape.providers:
                self.urls[provider.name] = self.scrape.url + provider.path
                self.servers[provider.name] = self.scrape
            if self.with_engines:
                # The engines answer queries at the real "now", whatever the simulated clock says.
                now = time.time()
                for provider in self.providers:
                    if isinstance(provider, QueryProvider):
                        api = provider.serve(now)
                        self._stoppers.append(api.stop)
                        self.urls[provider.name] = api.proxy.url
                        self.servers[provider.name] = api.proxy
        except BaseException:
            self.stop()  # nothing started is left behind
            raise
        return self

    def stop(self):
        while self._stoppers:
            try:
                self._stoppers.pop()()
            except Exception:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def instances(self):
        """An Agent-style `instances:` list over every provider served; the ones that fail on purpose last."""
        instances = [
            instance
            for provider in self.providers
            if provider.name in self.urls
            for instance in provider.demo_instances(self.urls[provider.name])
        ]
        return sorted(instances, key=lambda instance: FAILING_TAG in instance.get('tags', ()))

    def write_conf(self, path):
        """An Agent-style conf.yaml of `instances()`. As bytes, with no other option: datadog-checks-base 37.0.0
        replaces yaml's dumpers with ones that return UTF-8 bytes and take no `sort_keys`."""
        conf = {'init_config': {}, 'instances': self.instances()}
        with open(path, 'wb') as f:
            f.write(yaml.safe_dump(conf, encoding='utf-8'))

    def keys(self):
        """Every key the simulator knows: none may appear in what the check or the runner prints."""
        return [key for provider in self.providers for key in provider.keys.values()]
