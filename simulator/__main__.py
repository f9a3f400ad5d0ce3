"""`python -m simulator [conf.yaml]`: run the simulator until SIGINT or SIGTERM; write an Agent-style conf.yaml for it.

Either signal stops it the same way: engines ended and their temporary folders removed."""

import signal
import sys

from .server import Simulator


class Stop(BaseException):
    """Raised by the signal handlers, so that `with Simulator()` unwinds and stops everything it started."""


def _stop(signum, frame):
    for other in (signal.SIGINT, signal.SIGTERM):
        signal.signal(other, signal.SIG_IGN)  # a second signal must not interrupt the cleanup
    raise Stop(signum)


def main(argv):
    path = argv[0] if argv else 'llm_inference-simulator.yaml'
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        with Simulator() as sim:
            sim.write_conf(path)
            print('simulator running; configuration for it written to {}'.format(path), flush=True)
            print('try: .venv/bin/python -m datadog_checks.llm_inference.runner {} --times 2 --every 10'.format(path))
            while True:
                signal.pause()
    except Stop:
        pass
    print('simulator stopped', flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
