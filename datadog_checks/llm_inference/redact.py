# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Keeping credentials out of everything the check shows: URLs, messages, and the log records of every library.

A credential can sit in `api_key`, in any header (`headers`, `extra_headers`, a header written by `auth_token`), in
`password` options, in a proxy URL, or in `api_url` itself (`https://user:secret@host/...?token=secret`). Each is
registered as a secret (`register`); `scrub()` replaces registered secrets, URL user-info and query-string values.

The base check scrubs its own secrets only in what reaches the Agent's log handler, and other code logs through
loggers of its own: urllib3 writes `"GET /path?token=... HTTP/1.1" 200` at DEBUG, the base's TLS module writes its
whole configuration (`tls_private_key_password` included) at DEBUG to a logger named by its file path, which differs
with every install and version. So the records themselves are rewritten where they are made: a log record factory
(`logging.setLogRecordFactory`, the standard library's public hook) scrubs every record of every logger, whatever
handler then receives it (the Agent's, a test's capture), including loggers created later. Filters on the known
loggers stay as a second line, should other code install a record factory that does not call ours.
"""

import base64
import logging
import re
import threading
from urllib.parse import urlsplit, urlunsplit

from requests.utils import get_auth_from_url

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
    """Every credential an instance configuration holds, wherever the user put it: `api_key`, `password` (basic,
    digest, NTLM), `tls_private_key_password` and any other `*_password`/`*_secret` option, the headers,
    `auth_token`'s reader and writer, the `proxy` URLs, and `api_url`'s user-info and query string."""
    found = []
    for config in (init_config or {}, instance or {}):
        for option, value in config.items():
            if isinstance(value, str) and (option in CREDENTIAL_KEYS or option.endswith(('_password', '_secret'))):
                found.append(value.strip())
        for option in ('headers', 'extra_headers'):
            if isinstance(config.get(option), dict):
                found += header_credentials(config[option])
        for option in ('auth_token', 'proxy'):
            found += list(_nested_credentials(config.get(option)))
        if isinstance(config.get('api_url'), str):
            found += url_credentials(config['api_url'])
    return found


def proxy_credentials(proxy_url):
    """What a proxy URL's user-info becomes on the wire, as well as in the URL: urllib3 sends it as
    `Proxy-Authorization: Basic <base64>`, which a proxy may echo."""
    return url_credentials(proxy_url) + basic_credentials(*get_auth_from_url(proxy_url))


# --- log records --------------------------------------------------------------------------------------------------

# Set while this thread runs a collection of ours: the HTTP libraries' records in it are scrubbed of query values
# too (other checks' records keep their query strings; registered secrets are masked in every record).
_active = threading.local()

# The loggers known to write a URL, a header or an exception of ours (the record factory covers every logger; these
# keep their filters should another record factory replace it). The base names some of its loggers by file path:
# see base_loggers().
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
)


def base_loggers():
    """The names of the base's loggers that see URLs, headers and TLS options: its HTTP and TLS modules name theirs
    `logging.getLogger(__file__)`, a path that differs with every install (and the module that logs the TLS
    configuration differs across versions)."""
    from datadog_checks.base.utils import http, tls

    return (http.__file__, tls.__file__)


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


def _scrubbing_factory(make_record):
    def factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        _library_filter.filter(record)
        return record

    factory.scrubs_credentials = True
    return factory


def _install_record_factory():
    """Make every log record, of any logger, pass through the scrubbing as it is made (idempotent; the factory in
    place, the standard one or another library's, still makes the record)."""
    with _lock:
        current = logging.getLogRecordFactory()
        if not getattr(current, 'scrubs_credentials', False):
            logging.setLogRecordFactory(_scrubbing_factory(current))


def install_filters(own_logger):
    """Scrub every log record as it is made, filter the known library loggers too, and always scrub URLs in the
    check's own logger (idempotent)."""
    mask_in_loggers((), LIBRARY_LOGGERS + base_loggers())
    _attach(own_logger, _own_filter)


def mask_in_loggers(secrets, names):
    """Register `secrets` and mask them in every log record (the assets command's client logs whole replies at
    DEBUG: a proxy may echo the keys in one), with a filter on the loggers `names` as well."""
    for secret in secrets:
        register(secret)
    _install_record_factory()
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
