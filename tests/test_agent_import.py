"""What the Agent loads: importing the check package brings in the check and its providers' declarations, and none
of the development and operator tools that ship beside it (the asset builder and command, the runner, the
simulator) nor the Datadog API client they use."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NOT_FOR_THE_AGENT = (
    'datadog_checks.llm_inference.assets',
    'datadog_checks.llm_inference.runner',
    'simulator',
    'datadog_api_client',
)
# A fresh interpreter (this session has imported them all already), in the checkout, where `simulator` is found.
PROGRAM = '''
import json, sys
import datadog_checks.llm_inference
names = {!r}
print(json.dumps(sorted(m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in names))))
'''.format(NOT_FOR_THE_AGENT)


def test_importing_the_check_loads_no_asset_runner_or_simulator_module():
    out = subprocess.run([sys.executable, '-c', PROGRAM], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert json.loads(out) == []
