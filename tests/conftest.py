import os

import pytest

from datadog_checks.llm_inference import budget

from .provider_server import ProviderServer

HERE = os.path.dirname(os.path.abspath(__file__))
API_KEY = 'fw-test-key-3f9a1c'


def fixture_text(name):
    with open(os.path.join(HERE, 'fixtures', name), encoding='utf-8') as f:
        return f.read()


@pytest.fixture(autouse=True)
def fresh_budgets():
    """Budgets and cooldowns are process-wide, as in the Agent; each test starts with none spent."""
    budget.LEDGER.reset()
    yield
    budget.LEDGER.reset()


@pytest.fixture
def provider_server():
    with ProviderServer(api_key=API_KEY) as server:
        yield server
