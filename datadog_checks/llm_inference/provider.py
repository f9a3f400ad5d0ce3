# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What every provider check shares: required options, identity tags, the request budget, the service check,
self-telemetry, and turning any failure into a service check that says what to fix."""

import math

import requests

from datadog_checks.base import AgentCheck, ConfigurationError

from . import budget, redact
from .errors import BudgetSpent, CollectionError, RateLimited, RunTimedOut, http_status_message, redact_url
from .transport import MAX_REDIRECTS, Transport

SERVICE_CHECK = 'can_connect'
# A Fireworks reply is about 10 KB a deployment (3 MB at 300 deployments); 32 MiB bounds the Agent's memory on a
# runaway or hostile reply while leaving room for the largest accounts.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
DEFAULT_TIMEOUT = 10  # seconds, as the base's HTTP wrapper


def _user_tags(tags):
    """The `tags` option, refused with the form to write when it is not a list of `key:value` strings."""
    if tags is None:
        return []

    def pairs(mapping):
        return ', '.join('{}:{}'.format(k, v) for k, v in list(mapping.items())[:3])

    if isinstance(tags, dict):
        raise ConfigurationError(
            '`tags` must be a list of `key:value` strings, not a mapping: write `tags: [{}]`.'.format(pairs(tags))
        )
    if not isinstance(tags, list):
        raise ConfigurationError('`tags` must be a list of `key:value` strings, e.g. `tags: [team:ml]`.')
    for tag in tags:
        if isinstance(tag, dict):
            raise ConfigurationError(
                '`tags` must be a list of `key:value` strings: `- {}` is read by YAML as a mapping (a space after '
                'the colon); write `- {}` instead.'.format(
                    ', '.join('{}: {}'.format(k, v) for k, v in tag.items()), pairs(tag)
                )
            )
        if not isinstance(tag, str):
            raise ConfigurationError('`tags` must be a list of `key:value` strings (got {!r}).'.format(tag))
    return list(tags)


def _timeout(instance, init_config):
    """The run's deadline in seconds (`timeout`, else init_config's, else 10); the HTTP timeouts are checked too."""
    value = DEFAULT_TIMEOUT
    for option in ('timeout', 'connect_timeout', 'read_timeout'):
        given = instance.get(option, init_config.get(option))
        if given is None:
            continue
        try:
            seconds = float(given)
        except (TypeError, ValueError):
            seconds = math.nan
        if isinstance(given, bool) or not math.isfinite(seconds) or seconds <= 0:
            raise ConfigurationError('`{}` must be a number of seconds above 0 (got {!r}).'.format(option, given))
        if option == 'timeout':
            value = seconds
    return value


class ProviderMixin:
    """Mixed into each provider's check class (before the base check class)."""

    PROVIDER = ''
    # Options this provider cannot work without, besides `provider`.
    REQUIRED_OPTIONS = ('api_key',)
    # Requests a minute per credential the provider documents (0 = not documented, no budget by default).
    DEFAULT_REQUESTS_PER_MINUTE = 0
    # Instance option -> identity tag on every metric and the service check.
    IDENTITY_TAGS = {}

    def setup_provider(self):
        instance = self.instance or {}
        for option in self.REQUIRED_OPTIONS:
            value = instance.get(option)
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(
                    '`provider: {}` needs the `{}` option (a non-empty string).'.format(self.PROVIDER, option)
                )
        redact.install_filters(self.log.logger)
        self.api_key = self._api_key(instance.get('api_key'))

        self.identity_tags = ['provider:{}'.format(self.PROVIDER)]
        for option, tag in self.IDENTITY_TAGS.items():
            if instance.get(option):
                self.identity_tags.append('{}:{}'.format(tag, instance[option]))
        self.base_tags = self.identity_tags + _user_tags(instance.get('tags'))
        self.base_tag_set = frozenset(self.base_tags)

        per_minute = instance.get('requests_per_minute', self.DEFAULT_REQUESTS_PER_MINUTE)
        if not isinstance(per_minute, int) or isinstance(per_minute, bool) or per_minute < 0:
            raise ConfigurationError('`requests_per_minute` must be a whole number, 0 or more (0 = no budget).')
        credential, what = self.budget_credential()
        self.budget = budget.RequestBudget(credential, per_minute, what)
        self.timeout = _timeout(instance, self.init_config or {})
        self.transport = Transport(self.budget, self.timeout, self.register_secret, self.note_request)
        self.transport.register(redact.option_credentials(instance, self.init_config))
        self.max_response_bytes = instance.get('max_response_bytes', MAX_RESPONSE_BYTES)
        if (
            not isinstance(self.max_response_bytes, int)
            or isinstance(self.max_response_bytes, bool)
            or self.max_response_bytes <= 0
        ):
            raise ConfigurationError('`max_response_bytes` must be a positive whole number of bytes.')
        self.series_this_run = 0

    def _api_key(self, value):
        """The key as sent: surrounding whitespace (a secret file's final newline) stripped, and said once."""
        if value is None or value == '':
            return ''
        if not isinstance(value, str):
            raise ConfigurationError('`api_key` must be a string.')
        # Scrubs the key from this check's logs, service-check messages and error reports, as given and stripped.
        self.register_secret(value)
        key = value.strip()
        if key != value:
            self.log.warning(
                '%s: `api_key` had leading or trailing whitespace (a secret file ending in a newline?); it was '
                'stripped.',
                self.PROVIDER,
            )
        if key:
            self.register_secret(key)
        if not key.isprintable():
            raise ConfigurationError(
                '`api_key` contains a line break or another control character: check the secret it comes from.'
            )
        return key

    def budget_credential(self):
        """(id, description) of the budget this instance draws on; by key unless the provider says otherwise.

        Without a key (`promql`, authenticated by headers or not at all) the budget and any 429 cooldown are those of
        the URL: two unrelated query APIs must not cool down together.
        """
        if self.api_key:
            return budget.credential_id(self.PROVIDER, 'key', self.api_key), '{} API key'.format(self.PROVIDER)
        url = str((self.instance or {}).get('api_url', ''))
        return budget.credential_id(self.PROVIDER, 'url', url), '{} API at {}'.format(self.PROVIDER, redact_url(url))

    # --- submission -------------------------------------------------------------------------------------------

    def submit_points(self, points, deduplicated=False):
        """Submit (name, value, tags[, type]) points (gauges unless a type is given), once a run has everything.

        A tag that repeats an identity tag (Wafer's `endpoint`, Fireworks' account) is not sent twice; callers that
        already left those out say `deduplicated`.
        """
        base, known = self.base_tags, self.base_tag_set
        gauge = self.gauge
        for name, value, tags, *kind in points:
            submit = getattr(self, kind[0]) if kind else gauge
            submit(name, value, tags=[*base, *tags] if deduplicated else base + [t for t in tags if t not in known])
        self.series_this_run += len(points)

    def telemetry(self, name, value, tags=(), method='count'):
        getattr(self, method)('integration.' + name, value, tags=self.base_tags + list(tags))

    def note_request(self, outcome):
        """Count one HTTP request made to the provider, by outcome (ok, rate_limited, http_4xx, ...)."""
        self.telemetry('requests', 1, ['outcome:{}'.format(outcome)])

    # --- one run ----------------------------------------------------------------------------------------------

    def requests_per_run(self):
        """HTTP requests a run needs (redirects aside): checked against the budget before the first is sent."""
        return 1

    def run_collection(self, collect):
        """Run ``collect`` (which makes the requests and submits) inside the budget and the run's deadline, and
        report the outcome. Every request ``collect`` sends draws from the budget (transport.py)."""
        self.series_this_run = 0
        try:
            self.budget.check_run(self.requests_per_run())
            self.transport.start()
            with redact.scrubbing_thread():
                collect()
        except BudgetSpent as e:
            self.telemetry('runs_skipped', 1)
            self.report(e)
            return
        except CollectionError as e:
            self.report(e)
            if e.status == AgentCheck.CRITICAL:
                raise
            return
        finally:
            self.transport.finish()
        self.telemetry('series', self.series_this_run, method='gauge')
        self.service_check(SERVICE_CHECK, AgentCheck.OK, tags=self.base_tags)

    def sanitize(self, text):
        """Every message, error report and Agent log line: registered secrets, URL user-info and query values."""
        return redact.scrub(super().sanitize(text))

    def report(self, error):
        message = self.sanitize(str(error))
        if error.status == AgentCheck.CRITICAL:
            self.log.error('%s', message)
        else:
            self.log.warning('%s', message)
        self.service_check(SERVICE_CHECK, error.status, tags=self.base_tags, message=message)

    def raise_for_status(self, response, url):
        """requests' raise_for_status, and a redirect the session did not follow (`allow_redirects: false`)."""
        if response.is_redirect:  # counted by the transport, as every redirect
            raise CollectionError(
                '{}: {} answered HTTP {} (a redirect), which is not followed with `allow_redirects: false`: set '
                '`api_url` to the URL it redirects to.'.format(self.PROVIDER, redact_url(url), response.status_code)
            )
        response.raise_for_status()

    def request_failure(self, exc, url):
        """The CollectionError for an exception raised while requesting ``url``, after counting the request."""
        where = redact_url(url)
        if isinstance(exc, CollectionError) and not isinstance(exc, RunTimedOut):
            return exc  # the budget spent before a request: no request was made
        if (
            isinstance(exc, RunTimedOut)
            or self.transport.expired()
            or isinstance(exc, requests.Timeout)
            or _timed_out(exc)
        ):
            # The run's deadline (a reply too slow, or trickling in) or one socket operation's timeout.
            if not isinstance(exc, RunTimedOut):  # that one stopped a request before it was sent
                self.note_request('timeout')
            return CollectionError(
                '{}: no complete reply within the {:g} s `timeout` from {}: the provider is slow or unreachable (or '
                'its reply came too slowly); nothing was submitted and the next run retries. Raise `timeout` if '
                'this persists.'.format(self.PROVIDER, self.timeout, where)
            )
        if isinstance(exc, requests.TooManyRedirects):  # each hop was counted as a `redirect` request
            return CollectionError(
                '{}: {} redirected more than {} times (a loop, or a login page?); nothing was collected: check '
                '`api_url`.'.format(self.PROVIDER, where, MAX_REDIRECTS)
            )
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            status = exc.response.status_code
            if status == 429:
                self.note_request('rate_limited')
                self.telemetry('rate_limited', 1)
                seconds = self.budget.cool_down(exc.response.headers.get('Retry-After'))
                return RateLimited(
                    '{}: the provider answered HTTP 429 (rate limited); no request for {:.0f} s. Check that no other '
                    'client uses the same {} and that `min_collection_interval` is at least 60.'.format(
                        self.PROVIDER, seconds, self.budget.what
                    )
                )
            self.note_request('http_{}xx'.format(status // 100))
            return CollectionError(http_status_message(self.PROVIDER, status, url))
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            self.note_request('invalid_reply')
            return CollectionError(
                '{}: the reply from {} was cut off before its end; nothing from it was submitted.'.format(
                    self.PROVIDER, where
                )
            )
        if isinstance(exc, requests.ConnectionError) and 'Connection aborted' in str(exc):
            self.note_request('connection_error')
            return CollectionError(
                '{}: {} closed the connection before replying (reset or aborted); the next run retries. If this '
                'persists, check proxies and load balancers between the Agent and the provider.'.format(
                    self.PROVIDER, where
                )
            )
        if isinstance(exc, requests.ConnectionError):
            self.note_request('connection_error')
            return CollectionError(
                '{}: cannot connect to {} ({}): check the URL, DNS, proxy and firewall.'.format(
                    self.PROVIDER, where, type(exc).__name__
                )
            )
        if isinstance(exc, requests.RequestException):
            self.note_request('error')
            return CollectionError('{}: request to {} failed ({}).'.format(self.PROVIDER, where, type(exc).__name__))
        self.note_request('invalid_reply')
        return CollectionError(
            '{}: the reply from {} could not be read ({}: {}); nothing from it was submitted.'.format(
                self.PROVIDER, where, type(exc).__name__, exc
            )
        )


def _timed_out(exc):
    """Whether a requests error is a socket timeout underneath (a body read that timed out is a ConnectionError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, TimeoutError) or type(exc).__name__ in ('ReadTimeoutError', 'ConnectTimeoutError'):
            return True
        nested = [a for a in getattr(exc, 'args', ()) if isinstance(a, BaseException)]
        exc = nested[0] if nested else (exc.__cause__ or exc.__context__)
    return False
