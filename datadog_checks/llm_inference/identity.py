# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Who an instance is to its provider: the URL it reads, the credential whose request budget it draws on, how its
key is sent, and whether the reply agrees. Its identity and base tags (IDENTITY_TAGS) are set where the parts are
built, in ProviderMixin.setup_provider (provider.py).

A reply whose series name another identity than the option's (`account_id: acmee`, series of account `acme`: a typo,
or an `api_url` of another account) is collected as configured, as urls.py decides for `api_url`: the identity tag
keeps the option's value (the tag dashboards and monitors were set up by), the reply's own id stays on each point as
`label_<label>` (labels.py), so two ids are never one context; and the run is a WARNING naming both, not OK.
"""

from urllib.parse import quote, urlencode

from . import budget
from .labels import kept_key
from .redact import redact_url

# Ids of the reply a message names, at most (a reply of many others is named by a few of them).
SHOWN_IDS = 3


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

    def reply_ids(self):
        """For one run: raw label -> the values the reply's series carry, filled by its LabelReaders (labels.py)."""
        return {label: set() for option, label in self.REPLY_IDENTITY.items() if getattr(self.config, option, None)}

    def reply_identity_warnings(self, ids):
        """The run's WARNING messages for `ids` (reply_ids, filled): one per identity option that none of the
        reply's series names while some name another value. A reply that also names others is not one (a
        canary endpoint beside the instance's): those series keep their own id as `label_<label>`."""
        messages = []
        for option, label in self.REPLY_IDENTITY.items():
            seen = ids.get(label)
            value = str(getattr(self.config, option, None) or '')
            if not seen or value in seen:
                continue
            tag = self.IDENTITY_TAGS[option]
            others = sorted(seen)
            shown = ', '.join('`{}`'.format(v) for v in others[:SHOWN_IDS])
            if len(others) > SHOWN_IDS:
                shown += ' and {} more'.format(len(others) - SHOWN_IDS)
            messages.append(
                '`{option}` is `{value}`, but the reply\'s series are of {tag} {shown} (their `{label}` label): fix '
                '`{option}`{url}. Collected as configured: every point is tagged `{tag}:{value}`, the reply\'s id kept '
                'as `{kept}`.'.format(
                    option=option,
                    value=value,
                    tag=tag,
                    shown=shown,
                    label=label,
                    url=' (or `api_url`, which chose this reply)' if self.config.api_url else '',
                    kept=kept_key(label),
                )
            )
        return messages
