"""A query provider's API: a real engine loaded with series, behind the provider's URL path(s) and its key check
(auth_proxy.py). The simulator and the tests' session engines both start them here."""

from .auth_proxy import AuthProxy


class QueryAPI:
    """An engine and the proxies in front of it (`proxies`: one per URL path, keyed as the provider chooses); `stop()`
    ends them all, and so does a failure while they start."""

    def __init__(self, engine):
        self.engine = engine
        self.proxies = {}

    @property
    def proxy(self):
        (proxy,) = self.proxies.values()
        return proxy

    def stop(self):
        for proxy in self.proxies.values():
            proxy.stop()
        self.engine.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def serve(engine, samples, prefixes, key, forbidden_keys=(), forbidden_message='forbidden'):
    """`engine` holding `samples`, behind an AuthProxy at each of `prefixes` ({name: URL path}): `key` reads,
    `forbidden_keys` get 403 with `forbidden_message`."""
    api = QueryAPI(engine)
    try:
        engine.serve(samples)
        for name, prefix in prefixes.items():
            api.proxies[name] = AuthProxy(
                engine.url, prefix, key, forbidden_keys=forbidden_keys, forbidden_message=forbidden_message
            ).start()
    except BaseException:
        api.stop()
        raise
    return api
