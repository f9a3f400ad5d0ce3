"""Session-wide real engines for the query-provider tests, started as the simulator starts them (`api()` of
simulator/groq.py and simulator/crusoe.py): VictoriaMetrics with Groq's series, Prometheus with Crusoe's, each behind
the provider's URL path with its bearer-key check."""

import time

import pytest

from simulator import crusoe, groq
from simulator.crusoe import CRUSOE_RENAMED_PROJECT, CRUSOE_VARIANT_PROJECT, crusoe_samples, crusoe_variant_samples
from simulator.groq import (
    groq_old_samples,
    groq_prompt_cache_samples,
    groq_renamed_samples,
    groq_samples,
    groq_variant_samples,
)
from tests.common import CRUSOE_KEY, CRUSOE_PROJECT, GROQ_KEY, GROQ_NON_ENTERPRISE_KEY


@pytest.fixture(scope='session')
def load_time():
    return time.time()


def groq_api(samples):
    return groq.api(samples, GROQ_KEY, [GROQ_NON_ENTERPRISE_KEY])


@pytest.fixture(scope='session')
def groq_engine(load_time):
    """VictoriaMetrics holding Groq's current names (percentiles spelled p50/p95/p99)."""
    with groq_api(groq_samples(load_time, spelling='p')) as api:
        yield api.engine, api.proxy


@pytest.fixture(scope='session')
def groq_token_engine(load_time):
    """VictoriaMetrics holding Groq's current names and its tokens-a-second series (what token prices apply to)."""
    with groq_api(groq_samples(load_time, spelling='p', token_rates=True)) as api:
        yield api.engine, api.proxy


@pytest.fixture(scope='session', params=['P', 'decimal'])
def groq_engine_spelled(request, load_time):
    """VictoriaMetrics holding the percentiles spelled P99 or 0.99."""
    with groq_api(groq_samples(load_time, spelling=request.param)) as api:
        yield request.param, api.engine, api.proxy


@pytest.fixture(scope='session')
def groq_old_engine(load_time):
    """VictoriaMetrics holding only Groq's older names."""
    with groq_api(groq_old_samples(load_time)) as api:
        yield api.engine, api.proxy


@pytest.fixture(scope='session')
def groq_prompt_cache_engine(load_time):
    """VictoriaMetrics holding the newer page's prompt-cache hit and miss rates (simulator/groq.py)."""
    with groq_api(groq_prompt_cache_samples(load_time)) as api:
        yield api.engine, api.proxy


@pytest.fixture(scope='session')
def crusoe_engine(load_time):
    with crusoe.api(crusoe_samples(load_time, project_id=CRUSOE_PROJECT), CRUSOE_KEY, [CRUSOE_PROJECT]) as api:
        yield api.engine, api.proxy


@pytest.fixture(scope='session')
def groq_variant_engine():
    """VictoriaMetrics holding newer and older Groq names mixed, a NaN status code, buckets without `le_`."""
    with groq_api(groq_variant_samples(time.time())) as api:
        yield api.engine, api.proxy


@pytest.fixture(scope='session')
def groq_renamed_engine():
    with groq_api(groq_renamed_samples(time.time())) as api:
        yield api.engine, api.proxy


@pytest.fixture(scope='session')
def crusoe_variant_engine():
    """Prometheus with both histogram spellings, millisecond buckets, a `region` label, an unread name; and a
    project whose every name changed."""
    projects = [CRUSOE_VARIANT_PROJECT, CRUSOE_RENAMED_PROJECT]
    with crusoe.api(crusoe_variant_samples(time.time()), CRUSOE_KEY, projects) as api:
        yield api.engine, api.proxies
