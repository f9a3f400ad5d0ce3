# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Keeping credentials out of everything the check shows: URLs, messages, and the log records of every library.

A credential can sit in `api_key`, in any header (`headers`, `extra_headers`, a header written by `auth_token`), in
`password` options, in a proxy URL, or in `api_url` itself (`https://user:secret@host/...?token=secret`). Each is
registered as a secret (`register`); `scrub()` replaces registered secrets, URL user-info and query-string values.

The base check scrubs its own secrets only in what reaches the Agent's log handler, and the HTTP libraries log
through their own loggers (urllib3 writes `"GET /path?token=... HTTP/1.1" 200` at DEBUG). So a logging.Filter,
attached to each of those loggers (a logger's filters see only the records that logger creates), rewrites the
record itself: every handler, and every test's capture, then sees the scrubbed text.
"""

import base64
import logging
import re
import threading
from urllib.parse import urlsplit, urlunsplit

MASK = '********'
# Shorter values are not registered: they would mask ordinary words in every message, and protect nothing.
MIN_SECRET_LENGTH = 4
# Header values that are never credentials; every other header value is treated as one.
PUBLIC_HEADERS = frozenset(
    ('accept', 'accept-encoding', 'accept-language', 'cache-control', 'connection', 'content-length', 'content-type')
    + ('host', 'user-agent', 'x-datadog-check', 'transfer-encoding')
)
# Option names, at any depth of `auth_token` and `proxy`, whose values are credentials.
CREDENTIAL_KEYS = frozenset(('api_key', 'client_secret', 'password', 'secret', 'token', 'private_key_password'))

_SECRETS = set()
_lock = threading.Lock()
_pattern = None  # one regular expression over every registered secret, rebuilt when one is added

# A value already masked (`***`, by redact_url) is left as it is, with what follows it.
_QUERY_VALUE = re.compile(r'([?&][^=&\s#"\'<>]+=)(?!\*\*\*)[^&\s#"\'<>]+')
_USERINFO = re.compile(r'(?<=//)[^/@\s"\'<>]+@')


def register(value):
    """Mask ``value`` wherever scrub() runs; returns True if it was registered (long enough to be a secret)."""
    global _pattern
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        return False
    with _lock:
        if value not in _SECRETS:
            _SECRETS.add(value)
            # Longest first, so a secret containing another is masked whole.
            _pattern = re.compile('|'.join(re.escape(s) for s in sorted(_SECRETS, key=len, reverse=True)))
    return True


def scrub_secrets(text):
    """``text`` with every registered secret masked."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def scrub(text):
    """``text`` with registered secrets, URL user-info and query-string values masked."""
    if not text:
        return text
    text = scrub_secrets(text)
    if '@' in text:
        text = _USERINFO.sub('', text)
    if '=' in text:
        text = _QUERY_VALUE.sub(r'\1***', text)
    return text


def redact_url(url):
    """The URL for a message: no user-info, no fragment, query-string names kept and their values masked."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return '<unparsable url>'
    netloc = parts.netloc.rpartition('@')[2]
    query = '&'.join(
        '{}=***'.format(pair.partition('=')[0]) if '=' in pair else pair for pair in parts.query.split('&') if pair
    )
    return scrub_secrets(urlunsplit((parts.scheme, netloc, parts.path, query, '')))


def url_credentials(url):
    """The credential parts of a URL: its user-info (whole and the password) and its query-string values."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return []
    found = []
    userinfo = parts.netloc.rpartition('@')[0]
    if userinfo:
        found += [userinfo, userinfo.partition(':')[2]]
    for pair in parts.query.split('&'):
        found.append(pair.partition('=')[2])
    return [value for value in found if value]


def basic_credentials(username, password):
    """The token of `Authorization: Basic <token>` for these credentials (what a server may echo back)."""
    if not password:
        return []
    pair = '{}:{}'.format(username or '', password)
    try:
        return [base64.b64encode(pair.encode('latin1')).decode('ascii')]
    except UnicodeEncodeError:
        return [base64.b64encode(pair.encode('utf-8')).decode('ascii')]


def header_credentials(headers):
    """Values of the headers that may hold a credential, and the token part of `<scheme> <token>` values."""
    found = []
    for name, value in (headers or {}).items():
        if not isinstance(value, str) or str(name).lower() in PUBLIC_HEADERS:
            continue
        found.append(value)
        scheme, _, token = value.strip().partition(' ')
        if token and scheme.isalpha():
            found.append(token.strip())
    return found


def _nested_credentials(value, key=''):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nested_credentials(v, str(k).lower())
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _nested_credentials(v, key)
    elif isinstance(value, str):
        if key in CREDENTIAL_KEYS or key.endswith(('_password', '_secret', '_token')):
            yield value
        if '://' in value:  # a proxy URL with user-info
            yield from url_credentials(value)


def option_credentials(instance, init_config=None):
    """Every credential an instance configuration holds, wherever the user put it."""
    found = []
    for config in (init_config or {}, instance or {}):
        for option in ('api_key', 'password', 'tls_private_key_password'):
            if isinstance(config.get(option), str):
                found.append(config[option].strip())
        for option in ('headers', 'extra_headers'):
            if isinstance(config.get(option), dict):
                found += header_credentials(config[option])
        for option in ('auth_token', 'proxy'):
            found += list(_nested_credentials(config.get(option)))
        if isinstance(config.get('api_url'), str):
            found += url_credentials(config['api_url'])
    return found


# --- log records --------------------------------------------------------------------------------------------------

# Set while this thread runs a collection of ours: the HTTP libraries' records in it are scrubbed of query values
# too (other checks' records keep their query strings; registered secrets are masked in every record).
_active = threading.local()

# The loggers that can write a URL, a header or an exception of ours. `datadog_checks.base.utils.http` names its
# module logger by file path, so that name is looked up.
LIBRARY_LOGGERS = (
    'urllib3',
    'urllib3.connectionpool',
    'urllib3.connection',
    'urllib3.poolmanager',
    'urllib3.response',
    'urllib3.util.retry',
    'urllib3.util.ssl_',
    'requests',
    'charset_normalizer',
    'py.warnings',
    'datadog_checks.base.utils.http',
    'datadog_checks.base.utils.tls',
)


class ScrubFilter(logging.Filter):
    """Rewrites a record's message (and exception text) with credentials masked; never drops a record."""

    def __init__(self, always=False):
        super().__init__()
        self.always = always  # our own logger: URLs in it are always scrubbed

    def filter(self, record):
        full = self.always or getattr(_active, 'on', False)
        clean = scrub if full else scrub_secrets
        if not full and _pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's to report
            return True
        cleaned = clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            text = clean(record.exc_text)
            if text != record.exc_text:
                # The formatted text replaces the exception, so no handler formats it again from exc_info.
                record.exc_text, record.exc_info = text, None
        if record.stack_info:
            record.stack_info = clean(record.stack_info)
        return True


_library_filter = ScrubFilter()
_own_filter = ScrubFilter(always=True)


def _attach(logger, log_filter):
    if log_filter not in logger.filters:
        logger.addFilter(log_filter)


def install_filters(own_logger):
    """Attach the filters to the HTTP libraries' loggers and to the check's own logger (idempotent)."""
    import datadog_checks.base.utils.http as base_http

    for name in LIBRARY_LOGGERS + (base_http.__file__,):
        _attach(logging.getLogger(name), _library_filter)
    _attach(own_logger, _own_filter)


def mask_in_loggers(secrets, names):
    """Register `secrets` and mask them in every record the loggers `names` create (the assets command's client,
    which logs whole replies at DEBUG: a proxy may echo the keys in one)."""
    for secret in secrets:
        register(secret)
    for name in names:
        _attach(logging.getLogger(name), _library_filter)


class scrubbing_thread:
    """Context manager: while it is open, library records of this thread are scrubbed of URLs' query values."""

    def __enter__(self):
        self.previous = getattr(_active, 'on', False)
        _active.on = True
        return self

    def __exit__(self, *exc):
        _active.on = self.previous
