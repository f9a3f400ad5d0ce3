"""The session engines of the query providers' tests: real VictoriaMetrics and Prometheus servers, started as the
simulator starts them, each behind its provider's URL path and key check. Each provider's test module declares its own
in `ENGINES` ({fixture name: session fixture}); this plugin makes them fixtures of the whole session, so that any
test module can ask for one by its name and each engine starts once."""

import time

import pytest

from tests.common import provider_test_modules


@pytest.fixture(scope='session')
def load_time():
    return time.time()


for _module in provider_test_modules():
    globals().update(getattr(_module, 'ENGINES', {}))
