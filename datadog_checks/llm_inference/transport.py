# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Every HTTP request the check sends, as the provider sees it: drawn from the request budget, inside the run's
deadline, with its credentials registered as secrets.

The base's RequestsWrapper keeps its options, TLS, proxy and auth handling; its session is made a GuardedSession
(`install`), whose `send()` runs for the first request and again for each redirect hop (requests follows
redirects by calling `send()`). urllib3 makes no retry of its own (requests' adapters send with `Retry(0)`), so a
request the provider receives is a `send()` here.

The deadline: each socket operation waits at most what is left of the run's `timeout`, and a timer shuts down the
run's connections when the deadline passes, so a reply that drips a byte at a time (headers or body) ends too.
"""

import socket
import threading
import time

import requests
from requests.utils import get_auth_from_url

from . import redact
from .errors import MAX_REDIRECTS, ReplyTooLarge, RunTimedOut


_current = threading.local()  # .run: the Run whose requests this thread is sending


class Run:
    """One run's deadline, and the connections its requests used (shut down when the deadline passes)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._connections = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self):
        return self.deadline - time.monotonic()

    def expire(self):
        with self._lock:
            self.expired = True
            connections, self._connections = self._connections, []
        for connection in connections:
            _shut_down(connection)

    def add(self, connection):
        with self._lock:
            if not self.expired:
                self._connections.append(connection)
                return
        _shut_down(connection)

    def close(self):
        self._timer.cancel()


def _shut_down(connection):
    """Shut the connection's socket down at the TCP level: a read blocked on it (plain or TLS) returns at once."""
    sock = getattr(connection, 'sock', None)
    if sock is not None:
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, TypeError, ValueError):
            pass  # already closed


def _register(connection):
    run = getattr(_current, 'run', None)
    if run is not None:
        run.add(connection)


# --- urllib3 connections that register with the run that uses them -------------------------------------------------

_tracked = {}
_tracked_lock = threading.RLock()  # a pool class makes its connection class under it


def _tracked_class(cls, make):
    with _tracked_lock:
        if getattr(cls, '_llm_inference_tracked', False):
            return cls
        if cls not in _tracked:
            _tracked[cls] = make(cls)
        return _tracked[cls]


def _connection_class(cls):
    def make(base):
        class Tracked(base):
            _llm_inference_tracked = True

            def connect(self, *args, **kwargs):
                _register(self)
                return super().connect(*args, **kwargs)

            def request(self, *args, **kwargs):
                _register(self)  # a pooled connection is reused without connect()
                return super().request(*args, **kwargs)

        Tracked.__name__ = Tracked.__qualname__ = 'Tracked' + base.__name__
        return Tracked

    return _tracked_class(cls, make)


def _pool_class(cls):
    def make(base):
        return type(
            'Tracked' + base.__name__,
            (base,),
            {
                '_llm_inference_tracked': True,
                'ConnectionCls': _connection_class(base.ConnectionCls),
            },
        )

    return _tracked_class(cls, make)


def _track_manager(manager):
    classes = getattr(manager, 'pool_classes_by_scheme', None)
    if not isinstance(classes, dict) or all(getattr(c, '_llm_inference_tracked', False) for c in classes.values()):
        return
    manager.pool_classes_by_scheme = {scheme: _pool_class(cls) for scheme, cls in classes.items()}
    if getattr(manager, 'pools', None) is not None and len(manager.pools):
        manager.clear()  # pools made before hold untracked connections


class _TrackedManagers(dict):
    """requests' HTTPAdapter.proxy_manager: each proxy manager it creates is tracked as it is stored."""

    def __setitem__(self, key, manager):
        _track_manager(manager)
        super().__setitem__(key, manager)


def _track_adapter(adapter):
    manager = getattr(adapter, 'poolmanager', None)
    if manager is not None:
        _track_manager(manager)
    proxies = getattr(adapter, 'proxy_manager', None)
    if isinstance(proxies, dict) and not isinstance(proxies, _TrackedManagers):
        for proxy_manager in proxies.values():
            _track_manager(proxy_manager)
        adapter.proxy_manager = _TrackedManagers(proxies)


# --- the session and the wrapper -----------------------------------------------------------------------------------


class GuardedSession(requests.Session):
    transport = None

    def mount(self, prefix, adapter):
        _track_adapter(adapter)
        super().mount(prefix, adapter)

    def send(self, request, **kwargs):
        return self.transport.send(super().send, request, kwargs)

    def rebuild_auth(self, prepared_request, response):
        """requests drops `Authorization` on a redirect to another host; drop every credential header there."""
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in list(prepared_request.headers):
                if name.lower() not in redact.PUBLIC_HEADERS and name.lower() != 'cookie':
                    del prepared_request.headers[name]


def guard_session(session, transport):
    # The base configured this session (adapters, options, TLS); only its class and limits change.
    if isinstance(session, GuardedSession):
        return session
    session.__class__ = GuardedSession
    session.transport = transport
    session.max_redirects = MAX_REDIRECTS
    for adapter in session.adapters.values():
        _track_adapter(adapter)
    session.hooks['response'].append(transport.redirected)
    return session


def _bounded(timeout, remaining):
    """The request's (connect, read) timeouts, each cut to what is left of the run."""
    if isinstance(timeout, tuple) and len(timeout) == 2:
        return tuple(remaining if t is None else min(float(t), remaining) for t in timeout)
    if timeout is None:
        return (remaining, remaining)
    if isinstance(timeout, int | float):
        return min(float(timeout), remaining)
    return timeout


class Transport:
    """A check's requests: one budget, one deadline per run, credentials registered before anything is sent."""

    def __init__(self, budget, timeout, register_secret, note_request):
        self.budget = budget
        self.timeout = timeout
        self.register_secret = register_secret
        self.note_request = note_request  # counts a request by outcome (the check's telemetry)
        self.sessions = []
        self.persist = True
        self.run = None
        self._registered = set()

    def install(self, wrapper):
        """Send every request of the base's RequestsWrapper ``wrapper`` through one GuardedSession; returns it.

        The wrapper keeps its options, TLS, proxy and auth handling. It is made to use its persistent session for
        every request (each version of the base builds that one through the same property, while per-request
        sessions are made differently from version to version); unless the user asked for `persist_connections`,
        that session's connections and cookies are dropped at the end of every run, as a session per request would.
        """
        self.persist = bool(wrapper.persist_connections)
        wrapper.persist_connections = True
        self.sessions.append(guard_session(wrapper.session, self))
        options = wrapper.options
        self.register(redact.header_credentials(options.get('headers')))
        for proxy in (options.get('proxies') or {}).values():
            if isinstance(proxy, str):
                # urllib3 sends the proxy's user-info as `Proxy-Authorization: Basic <base64>`, out of our sight.
                self.register(redact.url_credentials(proxy) + redact.basic_credentials(*get_auth_from_url(proxy)))
        auth = options.get('auth')
        password = auth[1] if isinstance(auth, tuple) and len(auth) == 2 else getattr(auth, 'password', None)
        if isinstance(password, str):
            self.register([password] + redact.basic_credentials(auth[0] if isinstance(auth, tuple) else '', password))
        return wrapper

    def register(self, values):
        for value in values:
            if value and value not in self._registered:
                self._registered.add(value)
                if redact.register(value):
                    self.register_secret(value)

    def start(self):
        """Open a run: its deadline starts now."""
        self.run = Run(self.timeout)
        return self.run

    def finish(self):
        if self.run is not None:
            self.run.close()
            self.run = None
        if not self.persist:
            for session in self.sessions:
                session.close()  # the adapters stay mounted; their pools open new connections next run
                session.cookies.clear()

    def expired(self):
        return self.run is not None and (self.run.expired or self.run.remaining() <= 0)

    def redirected(self, response, **kwargs):
        """A response hook: a redirect is counted as a request of its own, and its body is never read (requests
        would read it whole, of any size and at any pace, before the next hop)."""
        if response.is_redirect:
            self.note_request('redirect')
            response._content = b''
            response.raw.close()
        return response

    def send(self, send, request, kwargs):
        run = self.run
        if run is not None:
            remaining = run.remaining()
            if run.expired or remaining <= 0:
                raise RunTimedOut('the run reached its `timeout` before this request')
            kwargs['timeout'] = _bounded(kwargs.get('timeout'), remaining)
        self.register(redact.header_credentials(request.headers))  # an `auth_token` header is written per request
        slot = self.budget.acquire()
        previous = getattr(_current, 'run', None)
        _current.run = run
        try:
            return send(request, **kwargs)
        finally:
            _current.run = previous
            self.budget.release(slot)


def read_capped(response, limit):
    """The body of a streamed `response` (a bytearray: no second copy), refusing more than `limit` bytes before
    reading them all."""
    declared = response.headers.get('Content-Length', '')
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ReplyTooLarge(int(declared), limit)
    body = bytearray()
    for chunk in response.iter_content(chunk_size=1 << 16):
        body += chunk
        if len(body) > limit:
            raise ReplyTooLarge('at least {}'.format(len(body)), limit)
    return body


def iter_capped(response, limit):
    """The body of a streamed `response` as bytes chunks, as read_capped() reads it (the same `limit`, refused the
    same way) without holding the whole body: the caller parses each chunk as it arrives."""
    declared = response.headers.get('Content-Length', '')
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ReplyTooLarge(int(declared), limit)
    size = 0
    for chunk in response.iter_content(chunk_size=1 << 16):
        size += len(chunk)
        if size > limit:
            raise ReplyTooLarge('at least {}'.format(size), limit)
        yield chunk
