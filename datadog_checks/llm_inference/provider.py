# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What every provider check shares, composed of one module per concern, and the one place its parts are built.

A value read from a reply goes: scrape.py or query.py (the run: fetch -> samples -> mapping -> submissions) inside
run.py's `run_collection` (the budget, the deadline), its request inside outcome.py's `send` (counted; a failure
classified), mapped (scrape_mapping.py or query.py's Reading, then mapping.py), submitted by submission.py's
`submit_points` (with the costs); then `run_collection` sends the run's service check, or outcome.py's `report` says
what failed. What a provider declares is in declaration.py; identity.py holds its URL, budget credential and auth.
"""

import copy

from datadog_checks.base import ConfigurationError

from . import budget, redact
from .canonical import CanonicalNames
from .drift import DriftLog
from .config_compat import MODELS
from .config_models import ConfigMixin
from .config_models.validators import instance_timeout
from .declaration import Declaration
from .identity import Identity
from .list_prices import ListPrices
from .mapping import MappingOptions
from .options import declared_providers, refuse_unknown_options, require_options, unused_options
from .outcome import Outcome
from .pricing import Pricing
from .run import RunCollection
from .submission import Submission
from .transport import Transport
from .urls import check_api_url


class ProviderMixin(Declaration, Identity, RunCollection, Outcome, Submission, ConfigMixin):
    """Mixed into each provider's check class (before the base check class).

    A provider's check class is its declaration (declaration.py), set in its module under providers/; the other
    concerns read it. This class reads the instance and builds the parts each concern uses.
    """

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
        self.timeout, request_timeout = self.run_timeout(config, instance)
        self.transport = Transport(
            self.budget, self.timeout, self.register_secret, self.note_request, request_timeout=request_timeout
        )
        self.transport.configure(instance, self.init_config)
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
        try:
            listed = ListPrices(self.PROVIDER, self.LIST_PRICED) if config.list_prices else None
        except ValueError as e:
            raise ConfigurationError(str(e)) from None
        self.pricing = Pricing.of(config.pricing, listed)
        self.url = self.metrics_url()

    def run_timeout(self, config, instance):
        """(the run's deadline in seconds, each request's (connect, read) timeout or None for the base's own).

        The deadline is the instance's `timeout`, else the one init_config gives every instance (as the base's HTTP
        wrapper reads it), else the provider's DEFAULT_TIMEOUT (cut to `min_collection_interval` - 5 s, never below
        the models' default), else the models' default. The base's HTTP wrapper knows only the first two: where the
        provider's default applies, each request's timeouts are that deadline too (`connect_timeout` and
        `read_timeout` still apply), so no socket gives up before the run does."""
        if 'timeout' in instance:
            return float(config.timeout), None
        if (self.init_config or {}).get('timeout') is not None:
            try:
                return float(instance_timeout(self.init_config['timeout'])), None
            except ValueError as e:
                raise ConfigurationError('init_config: {}'.format(e)) from None
        standard = float(config.timeout)
        if not self.DEFAULT_TIMEOUT:
            return standard, None
        interval = config.min_collection_interval
        timeout = float(self.DEFAULT_TIMEOUT)
        if interval:
            timeout = max(standard, min(timeout, float(interval) - 5))
        return timeout, (config.connect_timeout or timeout, config.read_timeout or timeout)

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
