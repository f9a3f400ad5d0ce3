import os

import pytest
from hypothesis import settings

from datadog_checks.base.stubs import datadog_agent
from datadog_checks.llm_inference import budget

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
