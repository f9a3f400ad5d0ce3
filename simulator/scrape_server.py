"""The scrape providers' endpoints on one HTTP server on 127.0.0.1: each request goes to the provider whose path it is
(provider.py's `ScrapeProvider.answer`), with a sliding one-minute window per rate-limit bucket."""

import threading
import time
import urllib.parse
from collections import defaultdict, deque

from .local_server import LocalServer, send
from .provider import Reply


class ScrapeServer(LocalServer):
    def __init__(self, providers, clock=time.time):
        super().__init__(self._handle)
        self.providers = list(providers)
        self.clock = clock
        self.requests = []  # (provider, status) of every request
        self._windows = defaultdict(deque)  # bucket -> times of the requests of the last minute
        self._lock = threading.Lock()

    def _handle(self, handler, body):
        status, text, headers = self.answer(handler.path, handler.headers.get('Authorization', ''))
        send(handler, status, text.encode(), {'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', **headers})

    def _limited(self, bucket, now, per_minute):
        """Seconds to wait when `bucket` already had `per_minute` requests in the last minute, else 0 (counted)."""
        with self._lock:
            window = self._windows[bucket]
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= per_minute:
                return int(window[0] + 60 - now) + 1
            window.append(now)
            return 0

    def answer(self, path, authorization):
        now = self.clock()
        parts = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(parts.query)
        for provider in self.providers:
            key = provider.key(authorization)
            reply = provider.answer(
                parts.path, query, key, lambda bucket: self._limited(bucket, now, provider.per_minute), now
            )
            if reply is not None:
                self.requests.append((provider.name, reply.status))
                return reply
        self.requests.append(('unknown', 404))
        return Reply(404, 'not found\n', {})
