# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What every provider check shares: required options, identity tags, the request budget, the service check,
self-telemetry, and turning any failure into a service check that says what to fix."""

import requests

from datadog_checks.base import AgentCheck, ConfigurationError

from . import budget
from .errors import CollectionError, RateLimited, http_status_message, redact_url

SERVICE_CHECK = 'can_connect'
# A Fireworks reply is about 10 KB a deployment (3 MB at 300 deployments); 32 MiB bounds the Agent's memory on a
# runaway or hostile reply while leaving room for the largest accounts.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024


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
        self.api_key = instance.get('api_key') or ''
        if self.api_key:
            # Scrubs the key from this check's logs, service-check messages and error reports.
            self.register_secret(self.api_key)

        user_tags = instance.get('tags') or []
        if not isinstance(user_tags, list):
            raise ConfigurationError('`tags` must be a list of strings.')
        self.identity_tags = ['provider:{}'.format(self.PROVIDER)]
        for option, tag in self.IDENTITY_TAGS.items():
            if instance.get(option):
                self.identity_tags.append('{}:{}'.format(tag, instance[option]))
        self.base_tags = self.identity_tags + list(user_tags)
        self.base_tag_set = frozenset(self.base_tags)

        per_minute = instance.get('requests_per_minute', self.DEFAULT_REQUESTS_PER_MINUTE)
        if not isinstance(per_minute, int) or isinstance(per_minute, bool) or per_minute < 0:
            raise ConfigurationError('`requests_per_minute` must be a whole number, 0 or more (0 = no budget).')
        credential, what = self.budget_credential()
        self.budget = budget.RequestBudget(
            credential,
            per_minute,
            what,
            load=lambda: self.read_persistent_cache('cooldown_until:' + credential),
            save=lambda value: self.write_persistent_cache('cooldown_until:' + credential, value),
        )
        self.max_response_bytes = instance.get('max_response_bytes', MAX_RESPONSE_BYTES)
        if not isinstance(self.max_response_bytes, int) or self.max_response_bytes <= 0:
            raise ConfigurationError('`max_response_bytes` must be a positive whole number of bytes.')
        self.series_this_run = 0

    def budget_credential(self):
        """(id, description) of the budget this instance draws on; by key unless the provider says otherwise."""
        return budget.credential_id(self.PROVIDER, 'key', self.api_key), '{} API key'.format(self.PROVIDER)

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

    def run_collection(self, collect):
        """Run ``collect`` (which makes the requests and submits) inside the budget, and report the outcome."""
        self.series_this_run = 0
        try:
            self.budget.acquire()
        except RateLimited as e:
            self.telemetry('runs_skipped', 1)
            self.report(e)
            return
        try:
            collect()
        except CollectionError as e:
            self.report(e)
            if e.status == AgentCheck.CRITICAL:
                raise
            return
        self.telemetry('series', self.series_this_run, method='gauge')
        self.service_check(SERVICE_CHECK, AgentCheck.OK, tags=self.base_tags)

    def report(self, error):
        message = self.sanitize(str(error))
        if error.status == AgentCheck.CRITICAL:
            self.log.error('%s', message)
        else:
            self.log.warning('%s', message)
        self.service_check(SERVICE_CHECK, error.status, tags=self.base_tags, message=message)

    def request_failure(self, exc, url):
        """The CollectionError for an exception raised while requesting ``url``, after counting the request."""
        where = redact_url(url)
        if isinstance(exc, CollectionError):
            return exc
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
        if isinstance(exc, requests.Timeout):
            self.note_request('timeout')
            return CollectionError(
                '{}: no reply within the {} s `timeout` from {}: the provider is slow or unreachable; the next run '
                'retries. Raise `timeout` if this persists.'.format(
                    self.PROVIDER, self.instance.get('timeout', 10), where
                )
            )
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
