"""`python -m simulator [conf.yaml]`: run the simulator until interrupted; write an Agent-style conf.yaml for it."""

import sys
import time

import yaml

from .server import Simulator


def main(argv):
    path = argv[0] if argv else 'llm_inference-simulator.yaml'
    with Simulator() as sim:
        with open(path, 'w') as f:
            yaml.safe_dump({'init_config': {}, 'instances': sim.instances()}, f, sort_keys=False)
        print('simulator running; configuration for it written to {}'.format(path))
        print('try: .venv/bin/python -m datadog_checks.llm_inference.runner {} --times 2 --every 10'.format(path))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == '__main__':
    main(sys.argv[1:])
