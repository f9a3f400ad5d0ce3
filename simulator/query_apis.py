"""Groq's and Crusoe's query APIs: a real engine loaded with series, behind the provider's URL path and its key check
(auth_proxy.py). The simulator and the tests' session engines both start them here."""

from .auth_proxy import AuthProxy
from .engines import Prometheus, VictoriaMetrics

GROQ_PATH = '/v1/metrics/prometheus'
GROQ_FORBIDDEN = 'metrics are available to Enterprise customers only'


def crusoe_path(project):
    return '/v1alpha5/projects/{}/metrics/timeseries'.format(project)


class QueryAPI:
    """An engine and the proxies in front of it (`proxies`: one per URL path, by path or project); `stop()` ends
    them all, and so does a failure while they start."""

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


def groq(samples, key, non_enterprise_keys=()):
    """VictoriaMetrics holding `samples` behind Groq's path: `key` reads, `non_enterprise_keys` get Groq's 403."""
    api = QueryAPI(VictoriaMetrics())
    try:
        api.engine.start().load(samples)
        api.proxies[GROQ_PATH] = AuthProxy(
            api.engine.url, GROQ_PATH, key, forbidden_keys=non_enterprise_keys, forbidden_message=GROQ_FORBIDDEN
        ).start()
    except BaseException:
        api.stop()
        raise
    return api


def crusoe(samples, key, projects):
    """Prometheus holding `samples` (backfilled before it starts) behind Crusoe's path of each of `projects`
    (`proxies` keyed by project), `key` reading every one."""
    api = QueryAPI(Prometheus(samples))
    try:
        api.engine.start()
        for project in projects:
            api.proxies[project] = AuthProxy(api.engine.url, crusoe_path(project), key).start()
    except BaseException:
        api.stop()
        raise
    return api
