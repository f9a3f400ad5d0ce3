"""The demo: start the simulator, write a conf.yaml for every provider plus one failing instance, run the runner."""

import os
import sys
import tempfile
import time

import yaml

from datadog_checks.llm_inference import runner

from .server import Simulator


def main():
    started = time.monotonic()
    with Simulator() as sim, tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'conf.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump({'init_config': {}, 'instances': sim.instances()}, f, sort_keys=False)
        print('Simulated providers on 127.0.0.1: ' + ', '.join('{} {}'.format(k, v) for k, v in sim.urls.items()))
        print('Running the check over {} (as conf.d/llm_inference.d/conf.yaml):'.format(path))
        code = runner.main([path])
    print(
        '\nDemo done in {:.1f} s. The last instance uses a serverless Wafer key on purpose: see its service '
        'check.'.format(time.monotonic() - started)
    )
    return code


if __name__ == '__main__':
    sys.exit(main())
