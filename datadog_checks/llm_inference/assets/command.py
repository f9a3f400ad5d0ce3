# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Put the shipped dashboards, recommended monitors, SLOs and their burn-rate monitors into a Datadog organization,
update them in place, or remove them:

    python -m datadog_checks.llm_inference.assets install [--notify @handle ...] [--dry-run]
    python -m datadog_checks.llm_inference.assets uninstall [--dry-run]
    python -m datadog_checks.llm_inference.assets path

Keys come from DD_API_KEY and DD_APP_KEY, the site from DD_SITE (default datadoghq.com); `--api-url` replaces the
whole base URL. Needs datadog-api-client (the wheel's `assets` extra); the Agent does not. The ids of the objects
written are recorded in `--record` (record.py), by which the command tells its objects from copies.

Exit codes: 0 done; 1 Datadog rejected a request or an unexpected error; 2 usage, missing keys, missing
datadog-api-client, unreadable assets or record; 3 Datadog refused the keys (401/403); 4 Datadog unavailable (5xx,
a 429 longer than --max-wait, timeout, connection error). Keys are never printed: every line written is scrubbed of
them.
"""

import argparse
import os
import re
import sys
import traceback
from urllib.parse import urlsplit

from . import AssetError, AssetsNotFound, directory, shipped
from .record import Record, RecordError, default_path

OK, FAILED, USAGE, REFUSED, UNAVAILABLE = 0, 1, 2, 3, 4
DEFAULT_SITE = 'datadoghq.com'
SITE = re.compile(r'^[a-z0-9]+([.-][a-z0-9]+)*\.[a-z]{2,}$')
INSTALL_EXTRA = (
    "datadog-api-client is not installed, and this command needs it. Install the wheel's `assets` extra:\n"
    "    pip install 'datadog-llm-inference[assets]'          (or 'dist/datadog_llm_inference-<version>-py3-none-any"
    ".whl[assets]')\n"
    "or, for the Agent's embedded Python, install the client beside the check:\n"
    "    sudo /opt/datadog-agent/embedded/bin/pip install 'datadog-api-client>=2.20.0'"
)
KEYS = (
    ('DD_API_KEY', 'an API key'),
    ('DD_APP_KEY', 'an application key allowed to write dashboards, monitors and SLOs'),
)
DONE = {'create': 'created', 'update': 'updated', 'delete': 'deleted'}
PLANNED = {'create': 'to create', 'update': 'to update', 'delete': 'to delete'}


class Usage(Exception):
    pass


class Output:
    """stdout and stderr, with every occurrence of a key replaced before it is written."""

    def __init__(self, out, err, secrets=()):
        self.out, self.err, self.secrets = out, err, [s for s in secrets if s]

    def scrub(self, text):
        for secret in self.secrets:
            text = text.replace(secret, '<redacted>')
        return text

    def print(self, text=''):
        self.out.write(self.scrub(text) + '\n')
        self.out.flush()

    def error(self, text):
        self.err.write(self.scrub(text) + '\n')
        self.err.flush()


def parse(argv):
    parser = argparse.ArgumentParser(
        prog='python -m datadog_checks.llm_inference.assets',
        description="Install, update in place or remove llm_inference's dashboards, recommended monitors, SLOs and "
        'burn-rate monitors in a Datadog organization (keys from DD_API_KEY and DD_APP_KEY, site from DD_SITE).',
    )
    parser.add_argument(
        'action', choices=('install', 'uninstall', 'path'), help='path: print where the shipped JSON files are'
    )
    parser.add_argument('--dry-run', action='store_true', help='print the plan, write nothing')
    parser.add_argument('--api-url', help="Datadog's API base URL; default https://api.<DD_SITE>")
    parser.add_argument(
        '--notify',
        action='append',
        default=[],
        metavar='@HANDLE',
        help="add a notification handle to every monitor's message (repeatable)",
    )
    parser.add_argument('--timeout', type=float, default=30.0, help='seconds to wait for each request (default 30)')
    parser.add_argument(
        '--max-wait',
        type=float,
        default=60.0,
        metavar='SECONDS',
        help='wait out a 429 whose Retry-After is at most this long, then retry it (default 60; 0: never)',
    )
    parser.add_argument(
        '--record',
        metavar='FILE',
        help='where the ids of the objects written are kept (default $XDG_STATE_HOME or '
        '~/.local/state, then datadog-llm-inference/assets.json)',
    )
    args = parser.parse_args(argv)
    if args.notify and args.action != 'install':
        parser.error('--notify is for install')
    if args.timeout <= 0:
        parser.error('--timeout must be positive')
    if not 0 <= args.max_wait <= 3600:
        parser.error('--max-wait takes 0 to 3600 seconds')
    return args


def keys(environ):
    values = {}
    for name, _ in KEYS:
        value = (environ.get(name) or '').strip()
        if not value:
            continue
        if not all(33 <= ord(c) < 127 for c in value):
            raise Usage(
                '{} holds characters an HTTP header cannot carry (a quote, a space or a line break?)'.format(name)
            )
        values[name] = value
    missing = [(name, what) for name, what in KEYS if name not in values]
    if missing:
        raise Usage(
            '{} not set: export {} of your Datadog organization (Organization Settings > API Keys and Application '
            'Keys).'.format(
                ' and '.join(name for name, _ in missing) + (' is' if len(missing) == 1 else ' are'),
                ' and '.join('{} ({})'.format(name, what) for name, what in missing),
            )
        )
    return values['DD_API_KEY'], values['DD_APP_KEY']


def base_url(args, environ):
    """The API's base URL, and how it was chosen (for error messages)."""
    if args.api_url:
        parts = urlsplit(args.api_url.strip())
        if parts.scheme not in ('http', 'https') or not parts.hostname or parts.username or parts.query:
            raise Usage('--api-url takes scheme://host[:port][/path], with no credentials or query string')
        return args.api_url.strip().rstrip('/'), '--api-url'
    site = (environ.get('DD_SITE') or '').strip().lower()
    if site and not SITE.match(site):
        raise Usage(
            'DD_SITE={!r} is not a Datadog site name such as datadoghq.com, datadoghq.eu or us5.datadoghq.com '
            '(use --api-url for a full URL)'.format(site)
        )
    if site:
        return 'https://api.{}'.format(site), 'DD_SITE={}'.format(site)
    return 'https://api.{}'.format(DEFAULT_SITE), 'DD_SITE unset, so {}'.format(DEFAULT_SITE)


def load_client():
    try:
        import datadog_api_client  # noqa: F401
    except ImportError:
        raise Usage(INSTALL_EXTRA) from None


def client(url, api_key, app_key, timeout):
    import urllib3
    from datadog_api_client import ApiClient, Configuration

    from ..redact import LIBRARY_LOGGERS, mask_in_loggers

    configuration = Configuration(host=url, api_key={'apiKeyAuth': api_key, 'appKeyAuth': app_key})
    configuration.debug = False  # its debug mode logs request headers, which hold the keys
    # Whoever turns its loggers to DEBUG gets every reply's body, which a proxy may fill with the request's headers.
    mask_in_loggers((api_key, app_key), ('datadog_api_client', 'datadog_api_client.rest') + LIBRARY_LOGGERS)
    configuration.request_timeout = timeout
    # No retries: a retried POST after a lost reply would create a duplicate. Running the command again is the retry.
    configuration.retry_policy = urllib3.Retry(total=0, redirect=False)
    return ApiClient(configuration)


def describe(error, url, how, timeout):
    """A message for a failed request that says what to fix, and the exit code."""
    from datadog_api_client.exceptions import ApiException

    from . import sync

    failure = error.error
    if isinstance(failure, ApiException) and failure.status:
        status = failure.status
        reason = 'HTTP {} {}'.format(status, failure.reason or '').strip()
        said = datadog_errors(failure.body)
        said = ' Datadog said: {}.'.format(said) if said else ''
        if status in (401, 403):
            return REFUSED, (
                'Datadog refused the keys ({}) at {} while {}.{} DD_API_KEY and DD_APP_KEY must be an API key and an '
                'application key of an organization on that site ({}): keys of another site need DD_SITE set to it '
                '(datadoghq.eu, us3.datadoghq.com, us5.datadoghq.com, ap1.datadoghq.com, ddog-gov.com) or '
                '--api-url. An application key whose scopes lack dashboards_write, monitors_write or slos_write is '
                'refused the same way.'.format(reason, url, error.doing, said, how)
            )
        if status == 429:
            wait = sync.retry_after(failure.headers)
            when = ' in {} s'.format(wait) if wait is not None else ' later (Datadog did not say when)'
            return UNAVAILABLE, 'Datadog rate-limited the request ({}) while {}: run the command again{}.'.format(
                reason, error.doing, when
            )
        if status and status >= 500:
            return UNAVAILABLE, (
                "Datadog's API failed ({}) at {} while {}.{} Nothing is wrong on your side: retry later. Running the "
                'command again updates what it already wrote and creates the rest.'.format(
                    reason, url, error.doing, said
                )
            )
        return FAILED, 'Datadog rejected the request ({}) while {}.{}'.format(reason, error.doing, said)
    import urllib3

    if isinstance(failure, urllib3.exceptions.HTTPError):
        cause = getattr(failure, 'reason', None) or failure
        if isinstance(cause, urllib3.exceptions.NewConnectionError):  # a subclass of the timeout errors
            what = str(cause).split(': ', 1)[-1]
        elif isinstance(cause, urllib3.exceptions.TimeoutError):
            what = 'no reply within {} s (--timeout)'.format(timeout)
        else:
            what = str(cause)
        return (
            UNAVAILABLE,
            'Could not reach Datadog\'s API at {} ({}) while {}: {}. Check the site, the URL and the network.'.format(
                url, how, error.doing, what
            ),
        )
    if isinstance(failure, ApiException):  # no HTTP status: the client failed before a reply (TLS, for one)
        return UNAVAILABLE, "Could not reach Datadog's API at {} ({}) while {}: {}".format(
            url, how, error.doing, ' '.join(str(failure.reason).split())
        )
    return FAILED, 'datadog-api-client could not handle the reply while {}: {} (upgrade datadog-api-client?)'.format(
        error.doing, failure
    )


def datadog_errors(body):
    """The `errors` of a Datadog error reply, briefly."""
    if isinstance(body, dict) and isinstance(body.get('errors'), list):
        text = '; '.join(str(e) for e in body['errors'])
    elif isinstance(body, (str, bytes)):
        text = body.decode('utf-8', 'replace') if isinstance(body, bytes) else body
    else:
        text = ''
    text = ' '.join(text.split())
    return text[:300] + ('...' if len(text) > 300 else '')


def run(args, environ, output):
    if args.action == 'path':
        output.print(directory())
        return OK
    api_key, app_key = keys(environ)
    output.secrets = [api_key, app_key]
    url, how = base_url(args, environ)
    load_client()
    from . import bodies, sync

    assets = shipped()
    notify = bodies.handles(args.notify)
    record = Record(args.record or default_path(environ), url)
    with client(url, api_key, app_key, args.timeout) as api_client:
        org = sync.Organization(api_client, args.max_wait, output.error)
        try:
            if args.action == 'install':
                steps = sync.plan_install(org, assets, notify, record)
            else:
                steps = sync.plan_uninstall(org, assets, record)
            counts = {}
            for step in steps:
                if step.action in sync.WRITES and not args.dry_run:
                    remote_id = org.apply(step)
                    verb = DONE[step.action]
                else:
                    remote_id = step.remote_id
                    verb = step.action
                if not args.dry_run and step.action in ('create', 'update', 'unchanged', 'delete'):
                    record.set(step.kind, step.asset_id, remote_id if step.action != 'delete' else None)
                counts[step.action] = counts.get(step.action, 0) + 1
                output.print(line(verb, step, remote_id))
        except sync.Failure as e:
            code, message = describe(e, url, how, args.timeout)
            output.error(message)
            return code
        finally:
            # What was written is recorded even when a later request failed: the next run continues from it.
            problem = None if args.dry_run else record.save()
            if problem:
                output.error('warning: ' + problem)
    output.print(summary(args, counts, url))
    return OK


NOTES = {
    'copy': 'carries the marker of {} too (a clone?): left alone',
    'renamed': 'carries the marker of {} under another title and is not the object recorded as installed (a renamed '
    'copy?): left alone',
    'stale': 'no longer shipped ({}): `uninstall` removes it',
}


def line(verb, step, remote_id):
    text = '{:<10} {:<10} {}'.format(verb, step.kind, step.title)
    if remote_id is not None:
        text += '  [{}]'.format(remote_id)
    if step.note:
        text += ': ' + NOTES[step.note].format(step.asset_id)
    if step.changes:
        from .bodies import describe_changes

        text += ': ' + describe_changes(step.changes)
    return text


def summary(args, counts, url):
    words = PLANNED if args.dry_run else DONE
    done = ', '.join('{} {}'.format(n, words.get(action, action)) for action, n in sorted(counts.items()))
    if args.action == 'uninstall' and not counts:
        done = 'nothing to uninstall: no dashboard, monitor or SLO carries the llm_inference_asset marker'
    prefix = 'dry run, nothing written: ' if args.dry_run else ''
    return '{}{} ({})'.format(prefix, done, url)


def main(argv=None, environ=None, out=None, err=None):
    environ = os.environ if environ is None else environ
    output = Output(out or sys.stdout, err or sys.stderr)
    args = parse(argv)
    try:
        return run(args, environ, output)
    except (Usage, AssetsNotFound, AssetError, RecordError) as e:
        output.error(str(e))
        return USAGE
    except KeyboardInterrupt:
        output.error('interrupted')
        return 130
    except Exception:
        output.error('unexpected error (please report it):\n' + traceback.format_exc())
        return FAILED
