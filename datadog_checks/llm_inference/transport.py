# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Every HTTP request the check sends, as the provider sees it: drawn from the request budget, inside the run's
deadline, with its credentials registered as secrets. Only public APIs are used: the base's HTTP client's `get`/`post`
with per-request options, its `options`, `handle_auth_token` and `auth_token_handler`; requests' response hooks;
urllib3's `read1` where the response has it. Nothing of the base, requests or urllib3 is swapped or assigned into.

- Redirects are followed here (`allow_redirects=False` on every request): each hop is a request of its own from
  the budget, at most MAX_REDIRECTS of them, its body never read, and credential headers dropped when a hop leaves
  the origin.
- The deadline: each request's (connect, read) timeout is cut to what is left of the run, the body is read as it
  arrives (`iter_capped`) and the deadline checked at every chunk, so a reply that drips ends at the deadline.
  Headers are read whole by the library first: a server that drips them holds the run until they are complete.
- Connections, cookies and the TLS context are the base's own: a session per request unless the user asked for
  `persist_connections`, so the TLS context (~20 ms of CA certificates) is built only for an https URL, at its
  first request (the base's shared session, with `persist_connections`, builds one at its first request, whatever
  the URL).
"""

import threading
import time
from urllib.parse import urljoin, urlsplit

import requests
from requests.utils import get_auth_from_url, get_environ_proxies, getproxies
from urllib3.exceptions import ProtocolError

from datadog_checks.base.utils.http import should_bypass_proxy

from . import redact
from .errors import MAX_REDIRECTS, ProxyAuthRequired, ReplyTooLarge, RunTimedOut
from .tls_files import TlsFiles

CHUNK = 1 << 16
DEFAULT_PORTS = {'http': 80, 'https': 443}

_current = threading.local()  # .run: the Run open in this thread (iter_capped reads its deadline there)


class Run:
    """One run's deadline: every request of the run, and the reading of every reply, end by it."""

    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds

    def remaining(self):
        return self.deadline - time.monotonic()


def _bounded(timeout, remaining):
    """The request's (connect, read) timeouts, each cut to what is left of the run."""
    if isinstance(timeout, tuple) and len(timeout) == 2:
        return tuple(remaining if t is None else min(float(t), remaining) for t in timeout)
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        return min(float(timeout), remaining)
    return (remaining, remaining)


def same_origin(old, new):
    """Whether credentials sent to `old` may follow a redirect to `new` (requests' rule: same host and port, or the
    usual http -> https upgrade)."""
    a, b = urlsplit(old), urlsplit(new)
    if a.hostname != b.hostname:
        return False
    ports = (a.port or DEFAULT_PORTS.get(a.scheme), b.port or DEFAULT_PORTS.get(b.scheme))
    return (a.scheme, ports[0]) == (b.scheme, ports[1]) or (a.scheme, b.scheme, ports) == ('http', 'https', (80, 443))


def _redirected_method(method, status):
    """The method of the next hop, as browsers and requests do: 303 (302, and 301 after a POST) becomes GET."""
    if method != 'head' and (status in (302, 303) or (status == 301 and method == 'post')):
        return 'get'
    return method


class Transport:
    """A check's requests: one budget, one deadline per run, credentials registered before anything is sent."""

    def __init__(self, budget, timeout, register_secret, note_request, request_timeout=None):
        self.budget = budget
        self.timeout = timeout
        # Each request's (connect, read) timeout where the provider's default deadline applies (the base's HTTP
        # wrapper knows only its own 10 s); None: the base's.
        self.request_timeout = request_timeout
        self.register_secret = register_secret
        self.note_request = note_request  # counts a request by outcome (the check's telemetry)
        self.headers = {}  # credential headers of the check's own (`api_key`), sent with every request
        self.run = None
        self._registered = set()
        self.tls_files = TlsFiles({})
        self.proxy_options = {}  # where the user set `proxy`: 'the instance' / 'init_config' -> its mapping

    def configure(self, instance, init_config):
        """Take in what the instance and init_config say about requests: their credentials (registered at once),
        their TLS files (checked before each https request), where their proxies are set (named by a 407)."""
        self.register(redact.option_credentials(instance, init_config))
        self.tls_files = TlsFiles(instance or {})
        for where, config in (('the instance', instance), ('init_config', init_config)):
            if isinstance((config or {}).get('proxy'), dict):
                self.proxy_options[where] = config['proxy']

    def install(self, http):
        """Register the credentials of the base's HTTP client ``http``; returns the client to send requests with."""
        options = http.options
        self.register(redact.header_credentials(options.get('headers')))
        # The proxies the base passes (the instance's, init_config's or the Agent's), and those of the environment,
        # which requests uses for a scheme the base passes none for.
        environment = [proxy for scheme, proxy in getproxies().items() if scheme != 'no']  # 'no': NO_PROXY
        for proxy in [*(options.get('proxies') or {}).values(), *environment]:
            if isinstance(proxy, str):
                self.register(redact.proxy_credentials(proxy))
        auth = options.get('auth')
        password = auth[1] if isinstance(auth, tuple) and len(auth) == 2 else getattr(auth, 'password', None)
        if isinstance(password, str):
            self.register([password] + redact.basic_credentials(auth[0] if isinstance(auth, tuple) else '', password))
        return Client(self, http)

    def register(self, values):
        for value in values:
            if value and value not in self._registered:
                self._registered.add(value)
                if redact.register(value):
                    self.register_secret(value)

    # --- a run ----------------------------------------------------------------------------------------------------

    def start(self):
        """Open a run: its deadline starts now."""
        self.run = _current.run = Run(self.timeout)
        return self.run

    def finish(self):
        self.run = _current.run = None

    def expired(self):
        return self.run is not None and self.run.remaining() <= 0

    # --- requests -------------------------------------------------------------------------------------------------

    def request(self, http, method, url, options):
        """A streamed response of ``http``'s ``method`` to ``url``, redirects followed here (each from the budget).

        A redirect is returned, not followed, when the user set `allow_redirects: false` (the check's
        raise_for_status names the option).
        """
        follow = options.pop('allow_redirects', http.options.get('allow_redirects', True))
        options = dict(options, stream=True, allow_redirects=False)
        if self.headers:
            options['extra_headers'] = dict(options.get('extra_headers') or {}, **self.headers)
        hops = 0
        while True:
            try:
                response = self.send(http, method, url, options)
            except requests.exceptions.ProxyError as e:
                if ' 407 ' in str(e):  # urllib3: "Tunnel connection failed: 407 Proxy Authentication Required"
                    raise self.proxy_refused(http, url) from None
                raise
            if response.status_code == 407:
                response.close()
                raise self.proxy_refused(http, url)
            if not response.is_redirect:
                return response
            self.note_request('redirect')
            if not follow:
                return response
            target = urljoin(url, response.headers['Location'])
            status = response.status_code
            response.close()  # its body is never read: any size, at any pace
            if hops == MAX_REDIRECTS:
                raise requests.TooManyRedirects()  # errors.classify words it
            hops += 1
            method, options = self._next_hop(http, method, status, options, same_origin(url, target))
            url = target

    def proxy_refused(self, http, url):
        """The 407 error for a request to `url`: the proxy requests chose for it, redacted, and the option that sets
        it (the instance's or init_config's `proxy`, the Agent's, or the environment's, as requests chooses)."""
        configured = http.options.get('proxies') or {}
        if getattr(http, 'no_proxy_uris', None) and should_bypass_proxy(url, http.no_proxy_uris):
            configured = {}
        # requests fills the schemes the base gives no proxy for from the environment
        proxies = dict(get_environ_proxies(url), **configured)
        parts = urlsplit(url)
        for key in (parts.scheme + '://' + str(parts.hostname), parts.scheme, 'all://' + str(parts.hostname), 'all'):
            if proxies.get(key):
                break
        else:
            return ProxyAuthRequired(None, None, False)
        proxy = proxies[key]
        if key not in configured:
            option = 'the environment variable `{}_PROXY`'.format(key.partition(':')[0].upper())
        else:
            where = [w for w, mapping in self.proxy_options.items() if mapping.get(key) == proxy]
            option = '`proxy.{}` in {}'.format(key, where[0] if where else 'the Agent\'s datadog.yaml')
        return ProxyAuthRequired(redact.redact_url(proxy), option, bool(urlsplit(proxy).username))

    def _next_hop(self, http, method, status, options, same):
        options = dict(options)
        options.pop('params', None)  # the Location is the whole next URL
        new_method = _redirected_method(method, status)
        if new_method != method:
            options.pop('data', None)
            options.pop('json', None)
        if not same:
            # Leaving the origin: only headers that are never credentials go along (requests drops only
            # `Authorization`), and no auth. `headers` replaces the client's default ones for this request, and a
            # None value removes one a session sets (requests' rule for merging them).
            headers = dict(http.options.get('headers') or {}, **(options.pop('extra_headers', None) or {}))
            options['headers'] = {k: v if k.lower() in redact.PUBLIC_HEADERS else None for k, v in headers.items()}
            options['auth'] = None
        return new_method, options

    def send(self, http, method, url, options):
        """One request: within the run's deadline, drawn from the budget, its credentials registered first."""
        options = dict(options)
        if urlsplit(url).scheme.lower() == 'https':
            self.tls_files.check()  # before anything is drawn from the budget: a file named wrong sends nothing
        run = self.run
        if run is not None:
            remaining = run.remaining()
            if remaining <= 0:
                raise RunTimedOut('the run reached its `timeout` before this request')
            default = self.request_timeout or http.options.get('timeout')
            options['timeout'] = _bounded(options.get('timeout', default), remaining)
        # An `auth_token` is read (and written into the client's headers) by the base before each request: read it
        # here first, so it is a registered secret before anything can log it.
        renew = getattr(http, 'handle_auth_token', None)
        if renew is not None:
            renew(method=method, url=url, default_options=http.options)
        self.register(redact.header_credentials(http.options.get('headers')))
        # User-info in the URL is sent as `Authorization: Basic <base64>`, which a server may echo.
        self.register(redact.basic_credentials(*get_auth_from_url(url)))
        # With an `auth_token`, the base sends a request again (its token renewed) after any failure, out of our
        # sight: that second request is drawn before the first is sent, and counted (by the outcome of the first)
        # when the response hook saw it happen.
        answered, slots, response = [], [], None
        options['hooks'] = {'response': lambda r, **kwargs: answered.append(r.status_code)}
        try:
            for _ in range(2 if getattr(http, 'auth_token_handler', None) is not None else 1):
                slots.append(self.budget.acquire())
            response = getattr(http, method)(url, **options)
            return response
        finally:
            for slot in slots:
                self.budget.release(slot)
            for status in answered[:-1] if response is not None else answered:
                self.note_request('rate_limited' if status == 429 else 'http_{}xx'.format(status // 100))


class Client:
    """The base's HTTP client with every request sent through a Transport: what the check calls `get`/`post` on."""

    def __init__(self, transport, http):
        self.transport = transport
        self.http = http

    def get(self, url, **options):
        return self.transport.request(self.http, 'get', url, options)

    def post(self, url, **options):
        return self.transport.request(self.http, 'post', url, options)


# --- reading a reply ------------------------------------------------------------------------------------------------


def _chunks(response):
    """The body as it arrives. urllib3's `read1` returns what one socket read gives, so a reply that drips still
    yields often (and the caller checks the deadline as often); a client without it is read by `iter_content`."""
    read1 = getattr(getattr(response, 'raw', None), 'read1', None)
    if read1 is None:
        yield from response.iter_content(CHUNK)
        return
    try:
        while chunk := read1(CHUNK, decode_content=True):
            yield chunk
    except ProtocolError as e:
        raise requests.exceptions.ChunkedEncodingError(e) from None  # as iter_content says it: the reply was cut


def iter_capped(response, limit):
    """The body of a streamed `response` in chunks of bytes: more than `limit` bytes are refused before they are all
    read, and the run's deadline ends the reading between chunks (each read waits at most the request's read
    timeout, which was no longer than what was left of the run)."""
    run = getattr(_current, 'run', None)
    declared = response.headers.get('Content-Length', '')
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ReplyTooLarge(int(declared), limit)
    size = 0
    chunks = _chunks(response)
    while True:
        if run is not None and run.remaining() <= 0:
            raise TimeoutError('the run reached its `timeout` while the reply was read')
        chunk = next(chunks, None)
        if chunk is None:
            return
        size += len(chunk)
        if size > limit:
            raise ReplyTooLarge('at least {}'.format(size), limit)
        yield chunk


def read_capped(response, limit):
    """The whole body of a streamed `response` (a bytearray: no second copy), as iter_capped reads it."""
    body = bytearray()
    for chunk in iter_capped(response, limit):
        body += chunk
    return body
