# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What every provider check shares: its declaration (the class attributes each provider sets), the configuration
read through the generated models, identity tags, the request budget, the service check, self-telemetry, and one
place where a request's failure becomes the service check that says what to fix."""

import copy
from contextlib import contextmanager
from urllib.parse import quote, urlencode

from datadog_checks.base import AgentCheck, ConfigurationError

from . import budget, redact
from .canonical import CanonicalNames
from .drift import DriftLog
from .config_compat import MODELS
from .config_models import ConfigMixin
from .config_models.validators import instance_timeout
from .errors import BudgetSpent, CollectionError, RateLimited, Redirected, classify
from .mapping import MappingOptions
from .options import declared_providers, refuse_unknown_options, require_options, unused_options
from .pricing import NO_MODEL, Costs, Pricing, Spend
from .redact import redact_url
from .transport import Transport
from .urls import check_api_url

SERVICE_CHECK = 'can_connect'


class ProviderMixin(ConfigMixin):
    """Mixed into each provider's check class (before the base check class).

    A provider's check class is its declaration: everything the rest of the integration (the errors, the runner,
    the asset builder, the monitors) needs to know about the provider is one of these class attributes, set in its
    module under providers/.
    """

    # The `provider:` value, and the name of the provider's module.
    PROVIDER = ''
    # Options this provider cannot work without, besides `provider`.
    REQUIRED_OPTIONS = ('api_key',)
    # Options only some providers read that this one reads too, beyond those its other declarations name (required
    # options, identity tags, URL fields and parameters, budget scope, `model`, the query API's; options.py).
    OPTIONS = ()
    # The path the check appends to the URL (a PromQL API's `/api/v1/query`), '' for none.
    API_PATH = ''
    # Instance option -> identity tag on every metric and the service check; the first set option also names the
    # instance in the runner's output.
    IDENTITY_TAGS = {}
    # The metrics URL when `api_url` is not set; `{option}` fields are filled from the instance (URL-quoted).
    DEFAULT_URL = ''
    # Requests a minute the provider documents (0: none documented, no budget by default), and the option whose
    # value the provider counts them by (None: the API key).
    DEFAULT_REQUESTS_PER_MINUTE = 0
    BUDGET_SCOPE = None
    # HTTP status -> what to do, where the provider's docs say more than errors.HTTP_HINTS.
    HTTP_HINTS = {}
    # How `api_key` is sent: `Authorization: <AUTH_SCHEME> <api_key>` (Baseten documents `Api-Key`).
    AUTH_SCHEME = 'Bearer'
    # What to check when a reply holds no series at all (the option that decides which series it holds).
    NO_DATA_HINT = 'check `api_url`'
    # Query parameters always added to the metrics URL, even to `api_url`: parameter -> option (Wafer: `endpoint`).
    URL_PARAMETERS = {}
    # Whether its series carry no model, so the `model` option names the one an instance serves (Wafer).
    MODEL_OPTION = False
    # Its own names for models the canonical rules cannot read (its spelling -> canonical name; canonical.py).
    NICKNAMES = {}
    # What it reports that spend is worked out from (pricing.Spend): catalog metrics of tokens and replicas.
    SPEND = Spend(input='tokens.input.rate', output='tokens.output.rate')
    # How people name it, and the window of its quantiles (None: the user's queries say), read by assets/build.py
    # and said in the overview. Its dashboard is not declared here: see assets/layouts/.
    TITLE = ''
    WINDOWS = None

    def setup_provider(self):
        """Reads the instance through the generated models (config_models/: types from spec.yaml, the rest in
        validators.py) and what this provider needs (options.py), so a bad option is the ConfigurationError that
        names it, at start-up."""
        refuse_unknown_options(self.instance or {})
        self._config_model_instance = self._read_instance(security_config=None)
        require_options(self, self.config)
        # An `api_url` that cannot work is refused (urls.py); options that do nothing here, and an `api_url` at odds
        # with the identity options, are said.
        providers = declared_providers(ProviderMixin)
        for message in unused_options(self, self.instance or {}, providers) + check_api_url(self, providers):
            self.warning('%s: %s', self.PROVIDER, message)  # logged, and on the status page after the first run
        self.check_initializations.appendleft(self._check_trusted_providers)
        config = self.config
        instance = self.instance or {}
        redact.install_filters(self.log.logger)
        self.api_key = config.api_key or ''
        if self.api_key:
            # Scrubs the key from this check's logs, service-check messages and error reports, as given and stripped.
            self.register_secret(instance['api_key'])
            self.register_secret(self.api_key)
            if self.api_key != instance['api_key']:
                self.log.warning(
                    '%s: `api_key` had leading or trailing whitespace (a secret file ending in a newline?); it was '
                    'stripped.',
                    self.PROVIDER,
                )

        self.identity_tags = ['provider:{}'.format(self.PROVIDER)]
        for option, tag in self.IDENTITY_TAGS.items():
            if getattr(config, option, None):
                self.identity_tags.append('{}:{}'.format(tag, getattr(config, option)))
        self.canonical = CanonicalNames(config.model_aliases)
        model = (
            [] if config.model is None else ['model:' + config.model, 'canonical_model:' + self.canonical(config.model)]
        )
        self.base_tags = self.identity_tags + model + list(config.tags or ())
        self.base_tag_set = frozenset(self.base_tags)

        per_minute = config.requests_per_minute
        if per_minute is None:
            per_minute = self.DEFAULT_REQUESTS_PER_MINUTE
        credential, what = self.budget_credential()
        self.budget = budget.RequestBudget(credential, per_minute, what)
        # The run's deadline: the instance's `timeout`, else the one init_config gives every instance (as the base's
        # HTTP wrapper reads it), else the models' default.
        timeout = config.timeout
        if 'timeout' not in instance and (self.init_config or {}).get('timeout') is not None:
            try:
                timeout = instance_timeout(self.init_config['timeout'])
            except ValueError as e:
                raise ConfigurationError('init_config: {}'.format(e)) from None
        self.timeout = float(timeout)
        self.transport = Transport(self.budget, self.timeout, self.register_secret, self.note_request)
        self.transport.register(redact.option_credentials(instance, self.init_config))
        self.max_response_bytes = config.max_response_bytes
        self.mapping = MappingOptions(config)
        if config.exclude_labels is not None:
            self.log.warning(
                '%s: `exclude_labels` is deprecated: rename it `aggregate_labels` (the labels are aggregated away by '
                'each metric\'s semantics, not dropped as the OpenMetrics option of that name does)%s.',
                self.PROVIDER,
                '' if self.mapping.aggregate_option == 'exclude_labels' else '; `aggregate_labels` is set and wins',
            )
        self.drift = DriftLog(self)
        self.pricing = Pricing.of(config.pricing)
        self.url = self.metrics_url()

    def _read_instance(self, security_config):
        instance = copy.deepcopy(self.instance)
        context = {
            'logger': self.log,
            'warning': self.warning,
            'configured_fields': frozenset(instance),
            'security_config': security_config,
        }
        return self.load_configuration_model(MODELS, 'InstanceConfig', instance, context)

    def _check_trusted_providers(self):
        """Before the first run, the options that name files (TLS files, `auth_token`) are checked against the
        Agent's trusted providers by the same models: the Agent says where an instance came from (a file, a
        Kubernetes annotation, ...) only after it constructed the check, so the reading above could not."""
        self._read_instance(self._get_config_model_context(self.instance).get('security_config'))

    def metrics_url(self):
        """`api_url`, else the provider's DEFAULT_URL with the instance's options filled in; URL_PARAMETERS added."""
        config = self.config
        url = config.api_url
        if not url:
            options = {k: quote(str(v), safe='') for k, v in config.model_dump().items() if isinstance(v, str)}
            url = self.DEFAULT_URL.format(**options)
        if self.URL_PARAMETERS:
            parameters = {name: getattr(config, option) for name, option in self.URL_PARAMETERS.items()}
            url += ('&' if '?' in url else '?') + urlencode(parameters)
        return url

    def use_http(self, http):
        """The client to send requests with: the base's HTTP client ``http`` through the check's budget, deadline
        and redirects (transport.py), `api_key` sent as `Authorization: <AUTH_SCHEME> <api_key>`."""
        client = self.transport.install(http)
        if self.api_key:
            self.transport.headers['Authorization'] = '{} {}'.format(self.AUTH_SCHEME, self.api_key)
        return client

    def budget_credential(self):
        """(id, description) of the budget this instance draws on: the BUDGET_SCOPE option's value, else the key.

        Without a key (`promql`, authenticated by headers or not at all) the budget and any 429 cooldown are those of
        the URL: two unrelated query APIs must not cool down together.
        """
        if self.BUDGET_SCOPE:
            value = getattr(self.config, self.BUDGET_SCOPE)
            return (
                budget.credential_id(self.PROVIDER, self.BUDGET_SCOPE, value),
                '{} `{}` {}'.format(self.PROVIDER, self.BUDGET_SCOPE, value),
            )
        if self.api_key:
            return budget.credential_id(self.PROVIDER, 'key', self.api_key), '{} API key'.format(self.PROVIDER)
        url = self.config.api_url or ''
        return budget.credential_id(self.PROVIDER, 'url', url), '{} API at {}'.format(self.PROVIDER, redact_url(url))

    # --- submission -------------------------------------------------------------------------------------------

    def submit_points(self, points, report, deduplicated=False):
        """Submit (name, value, tags[, type]) points (gauges unless a type is given), once a run has everything;
        `report` is the run's (drift.RunReport: what the costs must know was missing). Returns how many.

        A tag that repeats an identity tag (Wafer's `endpoint`, Fireworks' account) is not sent twice; callers that
        already left those out say `deduplicated`.
        """
        if self.pricing:
            points = points + self.costs(points, report.missing)
        base, known = self.base_tags, self.base_tag_set
        gauge = self.gauge
        if deduplicated:
            for name, value, tags, *kind in points:
                (getattr(self, kind[0]) if kind else gauge)(name, value, tags=[*base, *tags])
        else:
            for name, value, tags, *kind in points:
                submit = getattr(self, kind[0]) if kind else gauge
                submit(name, value, tags=base + [t for t in tags if t not in known])
        return len(points)

    def costs(self, points, missing):
        """cost.hourly and cost.per_million_tokens from the run's points and the user's prices (pricing.py);
        `missing`: the series read but not submitted, by metric (a total over them is not one)."""
        costs = Costs(self.pricing, self.SPEND, self.base_tags, missing)
        out = costs.points(points)
        for model, why in sorted(set(costs.unpriced)):
            if why == NO_MODEL:
                why += (
                    ': set the `model` option'
                    if self.MODEL_OPTION
                    else ': keep the provider\'s model label (is it in `{}`?)'.format(self.mapping.aggregate_option)
                )
            self.drift.warning_once(
                ('unpriced', model, why),
                '%s: no token cost for %s: %s (see `pricing`)',
                self.PROVIDER,
                model,
                why,
            )
        # A price whose key names no model the token series carry prices nothing: say so (a misspelt key).
        if costs.models:
            for key in sorted(set(self.pricing.tokens) - costs.matched):
                self.drift.warning_once(
                    ('price unmatched', key),
                    '%s: `pricing.tokens` has a price for `%s`, a name none of this run\'s token series carry (as '
                    '`model` or `canonical_model`, which must match exactly): %s',
                    self.PROVIDER,
                    key,
                    ', '.join(sorted(costs.models)[:20]),
                )
        for tags in costs.not_finite:
            self.drift.warning_once(
                ('cost not finite', tags),
                '%s: the cost %s is not a finite number (a price or a reported value out of range): not submitted',
                self.PROVIDER,
                ','.join(tags),
            )
        return out

    def telemetry(self, name, value, tags=(), method='count'):
        getattr(self, method)('integration.' + name, value, tags=self.base_tags + list(tags))

    def note_request(self, outcome):
        """Count one HTTP request made to the provider, by outcome (ok, rate_limited, http_4xx, ...)."""
        self.telemetry('requests', 1, ['outcome:{}'.format(outcome)])

    # --- one run ----------------------------------------------------------------------------------------------

    def requests_per_run(self):
        """HTTP requests a run needs (redirects aside): checked against the budget before the first is sent."""
        return 1

    @contextmanager
    def run_collection(self):
        """One run: the block draws on the budget (`run.start()` first: every request of the run is checked against
        it before the first is sent), its requests within the run's deadline (transport.py); it sets `run.series`
        to what it submitted. Its outcome is reported: OK, or the service check of the CollectionError it raised
        (a CRITICAL one raised on, for the Agent's error report)."""
        run = _Run(self)
        try:
            self.transport.start()
            with redact.scrubbing_thread():
                yield run
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
        self.telemetry('series', run.series, method='gauge')
        if run.warning is not None:
            self.report(run.warning)  # submitted, but with something the user must know (stale samples left out)
        else:
            self.service_check(SERVICE_CHECK, AgentCheck.OK, tags=self.base_tags)

    @contextmanager
    def send(self, url):
        """One request to ``url``, sent and read (and decoded) in the block. The request is counted once, by its
        outcome, and any failure becomes the CollectionError that says what to fix, carrying the URL."""
        try:
            yield
        except Exception as exc:
            if self.transport.expired() and not isinstance(exc, CollectionError):
                exc = TimeoutError()  # the run's deadline cut the reply short, whatever the socket then said
            error = classify(exc, self.timeout, self.HTTP_HINTS)
            if error.url is None:
                error.url = url
            if error.outcome is not None:
                self.note_request(error.outcome)
            if isinstance(error, RateLimited):
                self.rate_limited(error, exc.response.headers.get('Retry-After'))
            raise error from None
        self.note_request('ok')

    def rate_limited(self, error, retry_after):
        """A 429: the cooldown starts, and the message says for how long and what to look at."""
        self.telemetry('rate_limited', 1)
        seconds = self.budget.cool_down(retry_after)
        error.args = (
            'the provider answered HTTP 429 (rate limited); no request for {:.0f} s. Check that no other client uses '
            'the same {} and that `min_collection_interval` is at least 60.'.format(seconds, self.budget.what),
        )

    def sanitize(self, text):
        """Every message, error report and Agent log line: registered secrets, URL user-info and query values."""
        return redact.scrub(super().sanitize(text))

    def report(self, error):
        """The service check (and log line) of a run that ended in ``error``: the provider and the URL, once."""
        message = '{}: {}'.format(self.PROVIDER, error)
        if error.url:
            message += ' URL: {}'.format(redact_url(error.url))
        message = self.sanitize(message)
        if error.status == AgentCheck.CRITICAL:
            self.log.error('%s', message)
            error.args = (message,)  # the run's error report (the Agent's status page) says the same
        else:
            self.log.warning('%s', message)
        self.service_check(SERVICE_CHECK, error.status, tags=self.base_tags, message=message)

    def raise_for_status(self, response):
        """The response's raise_for_status, and a redirect not followed (`allow_redirects: false`)."""
        if response.is_redirect:  # counted by the transport, as every redirect
            raise Redirected(
                'the provider answered HTTP {} (a redirect), which is not followed with `allow_redirects: false`: '
                'set `api_url` to the URL it redirects to.'.format(response.status_code)
            )
        response.raise_for_status()


class _Run:
    """What the block of ProviderMixin.run_collection() tells it."""

    __slots__ = ('check', 'series', 'warning')

    def __init__(self, check):
        self.check = check
        self.series = 0
        self.warning = None  # a WARNING CollectionError of a run that still submitted

    def start(self):
        """Before the first request: BudgetSpent if the budget cannot pay for the run's requests."""
        self.check.budget.check_run(self.check.requests_per_run())
