"""Session-wide real engines for the query-provider tests: VictoriaMetrics with Groq's series, Prometheus with
Crusoe's, each behind the provider's URL path with its bearer-key check (simulator/auth_proxy.py)."""

import time

import pytest

from simulator.auth_proxy import AuthProxy
from simulator.engines import Prometheus, VictoriaMetrics
from simulator.query_data import (
    CRUSOE_RENAMED_PROJECT,
    CRUSOE_VARIANT_PROJECT,
    crusoe_samples,
    crusoe_variant_samples,
    groq_old_samples,
    groq_renamed_samples,
    groq_samples,
    groq_variant_samples,
)

GROQ_KEY = 'gsk-test-5d1e'
GROQ_NON_ENTERPRISE_KEY = 'gsk-free-tier-9a0b'
CRUSOE_KEY = 'crusoe-monitoring-token-77c2'
CRUSOE_PROJECT = 'proj-1'
GROQ_PREFIX = '/v1/metrics/prometheus'
CRUSOE_PREFIX = '/v1alpha5/projects/{}/metrics/timeseries'.format(CRUSOE_PROJECT)


@pytest.fixture(scope='session')
def load_time():
    return time.time()


def _groq_engine(samples):
    engine = VictoriaMetrics().start()
    engine.load(samples)
    proxy = AuthProxy(
        engine.url,
        GROQ_PREFIX,
        GROQ_KEY,
        forbidden_keys=[GROQ_NON_ENTERPRISE_KEY],
        forbidden_message='metrics are available to Enterprise customers only',
    ).start()
    return engine, proxy


@pytest.fixture(scope='session')
def groq_engine(load_time):
    """VictoriaMetrics holding Groq's current names (percentiles spelled p50/p95/p99)."""
    engine, proxy = _groq_engine(groq_samples(load_time, spelling='p'))
    yield engine, proxy
    proxy.stop()
    engine.stop()


@pytest.fixture(scope='session', params=['P', 'decimal'])
def groq_engine_spelled(request, load_time):
    """VictoriaMetrics holding the percentiles spelled P99 or 0.99."""
    engine, proxy = _groq_engine(groq_samples(load_time, spelling=request.param))
    yield request.param, engine, proxy
    proxy.stop()
    engine.stop()


@pytest.fixture(scope='session')
def groq_old_engine(load_time):
    """VictoriaMetrics holding only Groq's older names."""
    engine, proxy = _groq_engine(groq_old_samples(load_time))
    yield engine, proxy
    proxy.stop()
    engine.stop()


@pytest.fixture(scope='session')
def crusoe_engine(load_time):
    engine = Prometheus(crusoe_samples(load_time, project_id=CRUSOE_PROJECT)).start()
    proxy = AuthProxy(engine.url, CRUSOE_PREFIX, CRUSOE_KEY).start()
    yield engine, proxy
    proxy.stop()
    engine.stop()


@pytest.fixture(scope='session')
def groq_variant_engine():
    """VictoriaMetrics holding newer and older Groq names mixed, a NaN status code, buckets without `le_`."""
    engine, proxy = _groq_engine(groq_variant_samples(time.time()))
    yield engine, proxy
    proxy.stop()
    engine.stop()


@pytest.fixture(scope='session')
def groq_renamed_engine():
    engine, proxy = _groq_engine(groq_renamed_samples(time.time()))
    yield engine, proxy
    proxy.stop()
    engine.stop()


@pytest.fixture(scope='session')
def crusoe_variant_engine():
    """Prometheus with both histogram spellings, millisecond buckets, a `region` label, an unread name; and a
    project whose every name changed."""
    engine = Prometheus(crusoe_variant_samples(time.time())).start()
    proxies = {
        project: AuthProxy(engine.url, '/v1alpha5/projects/{}/metrics/timeseries'.format(project), CRUSOE_KEY).start()
        for project in (CRUSOE_VARIANT_PROJECT, CRUSOE_RENAMED_PROJECT)
    }
    yield engine, proxies
    for proxy in proxies.values():
        proxy.stop()
    engine.stop()
