import os

import pytest
from hypothesis import settings

from datadog_checks.base.stubs import datadog_agent
from datadog_checks.llm_inference import budget

from simulator.provider import FAILING_TAG
from simulator.server import Simulator

from .common import API_KEY, Clock
from .provider_server import ProviderServer

# The session engines of the query providers, and what the whole suite emitted (for the catalog coverage tests).
pytest_plugins = ['tests.plugins.engines', 'tests.plugins.catalog_coverage']

# In CI the property tests draw the same examples every run (the ones this suite was proven on); locally they explore.
settings.register_profile('ci', derandomize=True)
if os.environ.get('CI'):
    settings.load_profile('ci')


@pytest.fixture
def clock(monkeypatch):
    return Clock().install(monkeypatch)


@pytest.fixture(autouse=True)
def fresh_budgets():
    """Budgets and cooldowns are process-wide, as in the Agent (and persisted); each test starts with none spent."""
    budget.LEDGER.reset()
    datadog_agent.reset()
    yield
    budget.LEDGER.reset()
    datadog_agent.reset()


@pytest.fixture
def provider_server():
    with ProviderServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture(scope='session')
def dd_environment():
    """The simulator's scrape providers served on 127.0.0.1 for the session, and the first healthy instance of its
    demo, as integrations-core's `dd_environment` starts the service and yields an instance (`ddev env start` reads
    it). The query engines are the session fixtures of plugins/engines.py: tests needing them ask for those."""
    with Simulator(with_engines=False) as simulator:
        yield next(i for i in simulator.instances() if FAILING_TAG not in i.get('tags', ()))
