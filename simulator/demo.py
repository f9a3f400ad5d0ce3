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
        # The instances that should collect, then those that fail on purpose: the demo's exit status is the
        # runner's over the first, and not 0 unless each of the second ends CRITICAL as it should.
        instances = sim.instances()
        healthy = [i for i in instances if FAILING_TAG not in i.get('tags', ())]
        failing = [i for i in instances if FAILING_TAG in i.get('tags', ())]
        paths = [os.path.join(tmp, 'conf.yaml'), os.path.join(tmp, 'failing.yaml')]
        sim.write_conf(paths[0], healthy)
        sim.write_conf(paths[1], failing)
        print('Simulated providers on 127.0.0.1:')
        for name, url in sim.urls.items():
            print('  {:<10} {}'.format(name, url))
        print('Running the check over {} (as conf.d/llm_inference.d/conf.yaml):'.format(paths[0]))
        code = runner.main([paths[0], '--brief'], out=sys.stdout)  # the stdout of now, not of import time
        if failing:
            print('\nAnd over instances that fail on purpose ({}):'.format(paths[1]))
            if runner.main([paths[1], '--brief'], out=sys.stdout) != runner.EXIT_CRITICAL:
                code = max(code, runner.EXIT_CRITICAL)
    print(
        '\nDemo done in {:.1f} s. Instances tagged {} fail on purpose: see their service check.'.format(
            time.monotonic() - started, FAILING_TAG
        )
    )
    return code


if __name__ == '__main__':
    sys.exit(main())
