# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Who an instance is to its provider: the URL it reads, the credential whose request budget it draws on, and how
its key is sent. Its identity and base tags (IDENTITY_TAGS) are set where the parts are built, in
ProviderMixin.setup_provider (provider.py)."""

from urllib.parse import quote, urlencode

from . import budget
from .redact import redact_url


class Identity:
    """Mixed into ProviderMixin: reads the declaration (declaration.py) and the instance's configuration."""

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
