# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Run a `conf.d/llm_inference.d/conf.yaml` through the check, as `datadog-agent check` would, and print what
would reach Datadog. For trying a configuration before restarting an Agent:

    python -m datadog_checks.llm_inference.runner conf.yaml [--times K] [--every N]

With the Agent's embedded Python: `/opt/datadog-agent/embedded/bin/python -m datadog_checks.llm_inference.runner`.
Nothing is sent anywhere: the metrics and service checks are collected by datadog_checks.base's stub aggregator.
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


def run_once(checks, out):
    for instance, check in checks:
        out.write('\n=== {} ===\n'.format(describe(instance)))
        if isinstance(check, Exception):
            out.write('  configuration error: {}\n'.format(check))
            continue
        aggregator.reset()
        check.drift.last = None
        error = check.run()
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


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(
        prog='python -m datadog_checks.llm_inference.runner', description=__doc__.split('\n\n')[0]
    )
    parser.add_argument('conf', help='a conf.yaml laid out like conf.d/llm_inference.d/conf.yaml')
    parser.add_argument('--times', type=int, default=1, help='how many runs (default 1)')
    parser.add_argument(
        '--every', type=float, default=60.0, help='seconds between runs (default 60, the providers\' pace)'
    )
    args = parser.parse_args(argv)
    try:
        init_config, instances = load_conf(args.conf)
    except ConfError as e:
        out.write('error: {}\n'.format(e))
        return 2
    datadog_agent.reset()
    checks = make_checks(init_config, instances)
    for n in range(args.times):
        if n:
            time.sleep(args.every)
        out.write('\n##### run {} of {} #####\n'.format(n + 1, args.times))
        run_once(checks, out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
