# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""`api_url` read against the provider's declaration at start, so a URL mistake is a message that says what to change
(rather than "unexpected HTTP 400" or requests' "InvalidSchema" on every run), and an `api_url` that names another
account, project, endpoint or organization than the option does is said, naming both.

Which one wins: the requests go where `api_url` says (it replaces the default URL), while the identity tag and the
request budget keep the option's value: the tag users configured their dashboards and monitors by does not change
behind their back. The warning says which two values disagree, so the user makes them agree.
"""

import string
from urllib.parse import parse_qs, unquote, urlsplit

from datadog_checks.base import ConfigurationError

from .redact import redact_url

SCHEMES = ('https', 'http')


def template_options(template):
    """The options a URL template (DEFAULT_URL) is filled from: its `{option}` fields."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def check_api_url(check, providers):
    """Raise the ConfigurationError for the `api_url` of `check` that cannot work; return warnings for one that
    disagrees with the instance's identity options. `providers`: every provider's check class, by provider."""
    config = check.config
    url = config.api_url
    if not url:
        return []
    if '://' not in url:
        fixed = redact_url('https://' + url.lstrip('/'))  # read with a scheme, its user-info is not shown
        raise ConfigurationError(
            '`api_url` {} has no scheme: write `{}` (or `http://` for a server without TLS).'.format(
                fixed[len('https://') :], fixed
            )
        )
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme.lower() not in SCHEMES:
        raise ConfigurationError(
            '`api_url` {} must start with `https://` (or `http://`) followed by a host name.'.format(shown)
        )
    # The providers' own hosts answer https only (and a key sent over http is sent in clear).
    secure_hosts = {urlsplit(p.DEFAULT_URL).hostname for p in providers.values() if p.DEFAULT_URL.startswith('https:')}
    if parts.scheme.lower() == 'http' and parts.hostname.lower() in secure_hosts:
        raise ConfigurationError(
            '`api_url` {} uses http:// for {}, which answers https only (and the key would travel unencrypted): '
            'write `https://` instead.'.format(shown, parts.hostname)
        )
    api_path = check.API_PATH.rstrip('/')
    if api_path:
        path = parts.path.rstrip('/')
        # The check appends the API's path itself: `.../api/v1/query` (or `.../api/v1`) would be asked twice.
        for doubled in (api_path, api_path.rpartition('/')[0]):
            if doubled and path.endswith(doubled):
                base = parts._replace(path=path[: -len(doubled)] or '', query='', fragment='').geturl()
                raise ConfigurationError(
                    '`api_url` {} ends in `{}`, but the check appends `{}` itself: set `api_url` to {} (the URL '
                    'under which `{}` is served).'.format(shown, doubled, api_path, redact_url(base), api_path)
                )
    return _identity_warnings(check, config, parts)


def _identity_warnings(provider, config, parts):
    """Where `api_url` names an identity option's value (in the place the default URL has it, or as a query parameter
    the provider adds), and it is another value: a warning naming both."""
    warnings = []
    template = urlsplit(provider.DEFAULT_URL)
    template_path = [s for s in template.path.split('/') if s]
    url_path = [unquote(s) for s in parts.path.split('/') if s]
    query = parse_qs(parts.query)
    for option, tag in provider.IDENTITY_TAGS.items():
        value = getattr(config, option, None)
        if not value:
            continue
        found = None
        marker = '{' + option + '}'
        if marker in template_path[1:]:
            # The segment that names it in the default URL (`accounts/{account_id}`) names it in `api_url` too.
            before = template_path[template_path.index(marker) - 1]
            if before in url_path[:-1]:
                found = url_path[url_path.index(before) + 1], 'its path (`/{}/...`)'.format(before)
        for parameter, source in provider.URL_PARAMETERS.items():
            if source == option and query.get(parameter):
                found = query[parameter][0], 'its `{}` parameter'.format(parameter)
        if found is not None and found[0] != str(value):
            warnings.append(
                '`api_url` names {} `{}` in {}, but `{}` is `{}` (every point is tagged `{}:{}`): make them agree, '
                'or leave `api_url` out (the default URL is built from `{}`).'.format(
                    option, found[0], found[1], option, value, tag, value, option
                )
            )
    return warnings
