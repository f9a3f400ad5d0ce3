"""An engine behind a provider's URL path, with the provider's bearer-key check, on 127.0.0.1.

`<prefix>/api/v1/...` is forwarded to the engine's `/api/v1/...`; a missing or wrong key gets 401, a key in
`forbidden_keys` 403 (a provider that refuses some plans' keys). Every request is counted, so tests can assert
requests per run.
"""

import urllib.error
import urllib.request

from .local_server import LocalServer, send


class AuthProxy(LocalServer):
    def __init__(self, engine_url, prefix, api_key, forbidden_keys=(), forbidden_message='forbidden'):
        super().__init__(self._handle)
        self.engine_url = engine_url
        self.prefix = prefix.rstrip('/')
        self.api_key = api_key
        self.forbidden_keys = set(forbidden_keys)
        self.forbidden_message = forbidden_message
        self.requests = []  # (method, path) of every request received
        self.url = self.url + self.prefix

    def _handle(self, handler, body):
        self.requests.append((handler.command, handler.path))
        path, _, query = handler.path.partition('?')
        auth = handler.headers.get('Authorization', '')
        key = auth[len('Bearer ') :] if auth.startswith('Bearer ') else None
        json = {'Content-Type': 'application/json'}
        if key is not None and key in self.forbidden_keys:
            return send(handler, 403, b'{"error": "%s"}' % self.forbidden_message.encode(), json)
        if key != self.api_key:
            return send(handler, 401, b'{"error": "invalid API key"}', json)
        if not path.startswith(self.prefix + '/api/v1/'):
            return send(handler, 404, b'404 page not found', {'Content-Type': 'text/plain'})
        target = self.engine_url + path[len(self.prefix) :] + ('?' + query if query else '')
        request = urllib.request.Request(target, data=body, method=handler.command)
        if body is not None:
            request.add_header('Content-Type', handler.headers.get('Content-Type', 'application/x-www-form-urlencoded'))
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, data, ctype = reply.status, reply.read(), reply.headers.get('Content-Type', '')
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get('Content-Type', '')
        send(handler, status, data, {'Content-Type': ctype})
