# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Run a `conf.d/llm_inference.d/conf.yaml` through the check, as `datadog-agent check` would, and print what
would reach Datadog. For trying a configuration before restarting an Agent:

    python -m datadog_checks.llm_inference.runner conf.yaml [--times K] [--every N]

With the Agent's embedded Python: `/opt/datadog-agent/embedded/bin/python -m datadog_checks.llm_inference.runner`.
Nothing is sent anywhere: the metrics and service checks are collected by datadog_checks.base's stub aggregator.

Exit status: see EXIT_STATUS (README, "Try it").
"""

import argparse
import json
import re
import sys
import time

import yaml

from datadog_checks.base.stubs import aggregator, datadog_agent

from .check import LlmInferenceCheck
from .providers import PROVIDERS
from .redact import redact_url

STATUS = {0: 'OK', 1: 'WARNING', 2: 'CRITICAL', 3: 'UNKNOWN'}
TYPES = {0: 'gauge', 1: 'rate', 2: 'count', 3: 'monotonic_count', 4: 'counter', 5: 'histogram', 6: 'historate'}
SECRET_HANDLE = re.compile(r'^ENC\[.*\]$')
# The highest that applies, so that the runner can gate a deploy.
EXIT_OK, EXIT_WARNING, EXIT_CONFIGURATION, EXIT_CRITICAL = 0, 1, 2, 3
EXIT_STATUS = (
    'exit status, the highest that applies: 0 every run of every instance was OK; 1 a run was WARNING; 2 a '
    'configuration error (the file, an instance the check refuses, an argument); 3 a run was CRITICAL or failed'
)


class ConfError(Exception):
    pass


def load_conf(path):
    try:
        with open(path, encoding='utf-8') as f:
            conf = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfError('cannot read {}: {}'.format(path, e)) from None
    instances = conf.get('instances')
    if not isinstance(instances, list) or not instances:
        raise ConfError('{} has no `instances:` list'.format(path))
    for i, instance in enumerate(instances):
        if not isinstance(instance, dict):
            raise ConfError('instances[{}] is not a mapping'.format(i))
        for key, value in instance.items():
            if isinstance(value, str) and SECRET_HANDLE.match(value.strip()):
                raise ConfError(
                    'instances[{}].{} is a secret handle ({}): only the Agent resolves those. Put the value in a copy '
                    'of the file for this test, or run `datadog-agent check llm_inference`.'.format(i, key, value)
                )
    return conf.get('init_config') or {}, instances


def describe(instance):
    """The provider and what identifies the instance: its first identity option (the provider declares them), else
    its URL (redacted)."""
    check = PROVIDERS.get(instance.get('provider'))
    for option in check.IDENTITY_TAGS if check is not None else ():
        if instance.get(option):
            return '{} {}'.format(instance['provider'], instance[option])
    if isinstance(instance.get('api_url'), str):
        return '{} {}'.format(instance.get('provider'), redact_url(instance['api_url']))
    return str(instance.get('provider'))


def make_checks(init_config, instances):
    """One check per instance, as the Agent makes them; a configuration error is reported, not raised."""
    checks = []
    for i, instance in enumerate(instances):
        try:
            check = LlmInferenceCheck('llm_inference', init_config, [instance])
            check.check_id = 'llm_inference:runner:{}'.format(i)
        except Exception as e:
            check = e
        checks.append((instance, check))
    return checks


def exit_status(error):
    """What one run of one instance makes the exit status: its worst service check, or CRITICAL if it failed."""
    statuses = {sc.status for scs in aggregator._service_checks.values() for sc in scs}
    if error or statuses - {0, 1}:
        return EXIT_CRITICAL
    return EXIT_WARNING if 1 in statuses else EXIT_OK


def run_once(checks, out):
    """Runs every instance once and prints what it sent; returns the exit status the runs call for."""
    worst = EXIT_OK
    for instance, check in checks:
        out.write('\n=== {} ===\n'.format(describe(instance)))
        if isinstance(check, Exception):
            out.write('  configuration error: {}\n'.format(check))
            worst = max(worst, EXIT_CONFIGURATION)
            continue
        aggregator.reset()
        check.drift.last = None
        error = check.run()
        worst = max(worst, exit_status(error))
        rows = []
        for name, metrics in sorted(aggregator._metrics.items()):
            for m in metrics:
                rows.append((name, TYPES.get(m.type, m.type), '{:.6g}'.format(m.value), ','.join(sorted(m.tags))))
        if rows:
            widths = [max(len(str(r[c])) for r in rows + [('metric', 'type', 'value', 'tags')]) for c in range(3)]
            header = ('metric', 'type', 'value', 'tags')
            for row in [header] + rows:
                out.write('  {}  {}  {}  {}\n'.format(*(str(row[c]).ljust(widths[c]) for c in range(3)), row[3]))
        out.write('  {} series\n'.format(len(rows)))
        for name, service_checks in sorted(aggregator._service_checks.items()):
            for sc in service_checks:
                out.write(
                    '  service check {} {} [{}]{}\n'.format(
                        name,
                        STATUS.get(sc.status, sc.status),
                        ','.join(sc.tags),
                        ': ' + sc.message if sc.message else '',
                    )
                )
        # What the reply held that the check did not map or could not submit (drift, NaN members, label limits).
        for line in check.drift.last.lines() if check.drift.last is not None else ():
            out.write('  drift: {}\n'.format(line))
        if error:
            for report in json.loads(error):
                out.write('  error: {}\n'.format(report['message']))
    return worst


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(
        prog='python -m datadog_checks.llm_inference.runner',
        description=__doc__.split('\n\n')[0],
        epilog=EXIT_STATUS,
    )
    parser.add_argument('conf', help='a conf.yaml laid out like conf.d/llm_inference.d/conf.yaml')
    parser.add_argument('--times', type=int, default=1, help='how many runs (default 1, at least 1)')
    parser.add_argument(
        '--every', type=float, default=60.0, help='seconds between runs (default 60, the providers\' pace)'
    )
    args = parser.parse_args(argv)
    # argparse's own exit status for a bad argument is 2, the configuration error's.
    if args.times < 1:
        parser.error('--times must be 1 or more (a run that runs nothing would exit 0 and prove nothing)')
    if not args.every >= 0:
        parser.error('--every must be 0 or more seconds')
    try:
        init_config, instances = load_conf(args.conf)
    except ConfError as e:
        out.write('error: {}\n'.format(e))
        return EXIT_CONFIGURATION
    datadog_agent.reset()
    checks = make_checks(init_config, instances)
    worst = EXIT_OK
    for n in range(args.times):
        if n:
            time.sleep(args.every)
        out.write('\n##### run {} of {} #####\n'.format(n + 1, args.times))
        worst = max(worst, run_once(checks, out))
    return worst


if __name__ == '__main__':
    sys.exit(main())
