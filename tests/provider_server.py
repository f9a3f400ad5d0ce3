"""A real HTTP server on 127.0.0.1 that answers the providers' paths with what a test programs.

Each reply is (status, headers, body); a body may also be a callable that writes to the raw socket, for faults
such as a reset connection or a truncated chunked body.
"""

import threading
import time
from dataclasses import dataclass, field

from simulator.local_server import LocalServer, send


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b''
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    raw: object = None  # callable(handler): writes the whole reply itself


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes
    at: float = 0.0  # arrival, on the server's clock


class ProviderServer(LocalServer):
    def __init__(self, api_key=None, clock=time.monotonic, scheme='Bearer'):
        super().__init__(self._handle)
        self.clock = clock
        self.api_key = api_key  # when set, a missing or wrong key gets 401
        self.scheme = scheme  # the word before the key (`Authorization: <scheme> <key>`)
        self.replies = {}  # path (without query) -> Reply or list of Replies (served in turn, last one repeats)
        self.requests = []
        self._lock = threading.Lock()

    def reply(self, path, *replies):
        self.replies[path] = list(replies)

    def _next(self, path):
        with self._lock:
            queue = self.replies.get(path)
            if not queue:
                return Reply(404, 'not found')
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _handle(self, handler, body):
        path = handler.path.split('?', 1)[0]
        at = self.clock()
        self.requests.append(Seen(handler.command, handler.path, dict(handler.headers), body or b'', at))
        if self.api_key is not None and handler.headers.get('Authorization') != '{} {}'.format(
            self.scheme, self.api_key
        ):
            reply = Reply(401, '{"error": "unauthorized"}')
        else:
            reply = self._next(path)
        if reply.delay:
            threading.Event().wait(reply.delay)
        if reply.raw is not None:
            reply.raw(handler)
            return
        data = reply.body.encode('utf-8') if isinstance(reply.body, str) else reply.body
        send(handler, reply.status, data, {'Content-Type': 'text/plain; version=0.0.4', **reply.headers})
