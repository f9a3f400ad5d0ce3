# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Run a `conf.d/llm_inference.d/conf.yaml` through the check, as `datadog-agent check` would, and print what
would reach Datadog. For trying a configuration before restarting an Agent:

    python -m datadog_checks.llm_inference.runner conf.yaml [--times K] [--every N] [--brief]

With the Agent's embedded Python: `/opt/datadog-agent/embedded/bin/python -m datadog_checks.llm_inference.runner`.
Nothing is sent anywhere: the metrics and service checks are collected by datadog_checks.base's stub aggregator.

Exit status: see EXIT_STATUS (README, "Try it").
"""

import argparse
import contextlib
import json
import logging
import re
import sys
import textwrap
import time
from collections import Counter, defaultdict

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
SUMMARY_HEADER = ('provider', 'model', 'deployment', 'requests/s', 'error share', 'TTFT p50', 'TTFT p99', '$/h')
WINDOW_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}


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


def headers(instances):
    """describe() of each instance, told apart where two would read the same: by their tags, else by position."""
    names = [describe(instance) for instance in instances]
    repeated = Counter(names)
    for i, instance in enumerate(instances):
        tags = instance.get('tags')
        if repeated[names[i]] > 1 and isinstance(tags, list) and tags:
            names[i] += ' ' + ','.join(map(str, tags))
    repeated = Counter(names)
    return [name + (' (instances[{}])'.format(i) if repeated[name] > 1 else '') for i, name in enumerate(names)]


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


@contextlib.contextmanager
def captured_logs():
    """The warnings and errors the check logs during a run, kept to be printed in its block (once) rather than on
    stderr by logging's last-resort handler."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)


def write_wrapped(out, text):
    out.write(textwrap.fill(text, width=118, initial_indent='  ', subsequent_indent='      ') + '\n')


def write_series(out, metrics):
    """Every series submitted, one line each: what reaches Datadog."""
    rows = []
    for name, submitted in sorted(metrics.items()):
        for m in submitted:
            rows.append((name, TYPES.get(m.type, m.type), '{:.6g}'.format(m.value), ','.join(sorted(m.tags))))
    if rows:
        widths = [max(len(str(r[c])) for r in rows + [('metric', 'type', 'value', 'tags')]) for c in range(3)]
        header = ('metric', 'type', 'value', 'tags')
        for row in [header] + rows:
            out.write('  {}  {}  {}  {}\n'.format(*(str(row[c]).ljust(widths[c]) for c in range(3)), row[3]))
    out.write('  {} series\n'.format(len(rows)))


def write_outcome(out, service_checks, error, logs, series=None):
    """The service checks, then the run's errors and the check's logged warnings that say something the service
    checks did not: each message once. With `series` (a count), the brief form: status, series, message."""
    said = set()
    for name, submitted in sorted(service_checks.items()):
        for sc in submitted:
            status = STATUS.get(sc.status, sc.status)
            if series is not None:
                write_wrapped(out, '{}, {} series{}'.format(status, series, ': ' + sc.message if sc.message else ''))
            else:
                out.write(
                    '  service check {} {} [{}]{}\n'.format(
                        name, status, ','.join(sc.tags), ': ' + sc.message if sc.message else ''
                    )
                )
            said.add(sc.message)
    messages = [('error', report['message']) for report in (json.loads(error) if error else ())]
    messages += [('log ' + record.levelname.lower(), record.getMessage()) for record in logs]
    for kind, message in messages:
        if not any(message in s for s in said if s):
            write_wrapped(out, '{}: {}'.format(kind, message))
            said.add(message)


def window_seconds(window):
    """`5m` -> 300; what has no window sorts last."""
    try:
        return float(window[:-1]) * WINDOW_UNITS[window[-1]]
    except (KeyError, ValueError, IndexError):
        return float('inf')


def summary_rows(metrics, rows):
    """Adds to `rows` ({(provider, model, deployment): {field: {window: value}}}) what a run submitted, per model and
    deployment (or service tier): requests and errors a second, TTFT p50 and p99, and cost an hour."""
    fields = {
        'llm_inference.requests.rate': 'requests',
        'llm_inference.errors.rate': 'errors',
        'llm_inference.cost.hourly': 'cost',
    }
    for name, submitted in metrics.items():
        for m in submitted:
            tags = dict(tag.split(':', 1) for tag in m.tags if ':' in tag)
            field = fields.get(name)
            if name == 'llm_inference.time_to_first_token.seconds' and tags.get('quantile') in ('0.5', '0.99'):
                field = 'ttft ' + tags['quantile']
            # A provider whose series name no model (endpoint-only feeds) still gets its row, under `-`.
            model = tags.get('canonical_model') or tags.get('model') or '-'
            if field is None:
                continue
            key = (tags.get('provider', ''), model, tags.get('deployment') or tags.get('service_tier') or '')
            values = rows.setdefault(key, defaultdict(dict))[field]
            window = tags.get('window', '')
            # Rates and costs of one row add up (status codes, projects); a quantile is the worst of its series.
            combine = max if field.startswith('ttft') else (lambda a, b: a + b)
            values[window] = combine(values[window], m.value) if window in values else m.value


def write_summary(out, rows):
    """One line per model and deployment, each value over the shortest window the provider gave."""

    def latest(values):
        return values[min(values, key=window_seconds)] if values else None

    table = [SUMMARY_HEADER]
    for (provider, model, deployment), fields in sorted(rows.items()):
        requests, errors = latest(fields['requests']), latest(fields['errors'])
        # A provider that reports no errors has no error share: a 0% would read as "nothing failed".
        reports_errors = getattr(PROVIDERS.get(provider), 'REPORTS_ERRORS', False)
        p50, p99, cost = latest(fields['ttft 0.5']), latest(fields['ttft 0.99']), latest(fields['cost'])
        table.append(
            (
                provider,
                model,
                deployment or '-',
                '-' if requests is None else '{:.2f}'.format(requests),
                '-' if not requests or not reports_errors else '{:.1%}'.format((errors or 0.0) / requests),
                '-' if p50 is None else '{:.3f} s'.format(p50),
                '-' if p99 is None else '{:.3f} s'.format(p99),
                '-' if cost is None else '{:.2f}'.format(cost),
            )
        )
    widths = [max(len(row[c]) for row in table) for c in range(len(SUMMARY_HEADER))]
    out.write('\n')
    for row in table:
        out.write('  '.join(cell.rjust(w) if c > 2 else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths))))
        out.write('\n')


def run_once(checks, out, brief=False, expect_critical=None):
    """Runs every instance once and prints what it sent; returns the exit status the runs call for. An instance
    tagged `expect_critical` is meant to fail (the demo's): CRITICAL counts as OK for it, anything else as CRITICAL."""
    worst = EXIT_OK
    summary = {}
    for header, (instance, check) in zip(headers([instance for instance, _ in checks]), checks):
        out.write('\n=== {} ===\n'.format(header))
        if isinstance(check, Exception):
            out.write('  configuration error: {}\n'.format(check))
            worst = max(worst, EXIT_CONFIGURATION)
            continue
        aggregator.reset()
        check.drift.last = None
        with captured_logs() as logs:
            error = check.run()
        status = exit_status(error)
        if expect_critical is not None and expect_critical in (instance.get('tags') or ()):
            status = EXIT_OK if status == EXIT_CRITICAL else EXIT_CRITICAL
        worst = max(worst, status)
        series = sum(len(submitted) for submitted in aggregator._metrics.values()) if brief else None
        if not brief:
            write_series(out, aggregator._metrics)
        write_outcome(out, aggregator._service_checks, error, logs, series)
        # What the reply held that the check did not map or could not submit (drift, NaN members, label limits).
        for line in check.drift.last.lines() if check.drift.last is not None else ():
            write_wrapped(out, 'drift: {}'.format(line))
        summary_rows(aggregator._metrics, summary)
    if summary:
        write_summary(out, summary)
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
    parser.add_argument(
        '--brief', action='store_true', help='per instance its status and problems only, not every series'
    )
    parser.add_argument(
        '--expect-critical',
        metavar='TAG',
        help='instances tagged TAG are meant to end CRITICAL (a demo\'s deliberate failure): that counts as OK for '
        'the exit status, and any other outcome of theirs as CRITICAL',
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
        worst = max(worst, run_once(checks, out, args.brief, args.expect_critical))
    return worst


if __name__ == '__main__':
    sys.exit(main())
