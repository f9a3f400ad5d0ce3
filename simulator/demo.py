"""The demo: start the simulator, write a conf.yaml for every simulated provider's instances (some failing on purpose),
run the runner over it."""

import os
import sys
import tempfile
import time

from .provider import FAILING_TAG
from .server import Simulator


def main():
    from datadog_checks.llm_inference import runner  # here, not at import: registry.py imports every module

    started = time.monotonic()
    with Simulator() as sim, tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'conf.yaml')
        sim.write_conf(path)
        print('Simulated providers on 127.0.0.1:')
        for name, url in sim.urls.items():
            print('  {:<10} {}'.format(name, url))
        print('Running the check over {} (as conf.d/llm_inference.d/conf.yaml):'.format(path))
        # The exit status is 0 when every instance collects and the ones meant to fail end CRITICAL.
        arguments = [path, '--brief', '--expect-critical', FAILING_TAG]
        code = runner.main(arguments, out=sys.stdout)  # the stdout of now, not of import time
    print(
        '\nDemo done in {:.1f} s. Instances tagged {} fail on purpose: see their service check.'.format(
            time.monotonic() - started, FAILING_TAG
        )
    )
    return code


if __name__ == '__main__':
    sys.exit(main())
