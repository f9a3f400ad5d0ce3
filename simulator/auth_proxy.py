"""An engine behind a provider's URL path, with the provider's bearer-key check, on 127.0.0.1.

`/v1/metrics/prometheus/api/v1/query` (Groq) or `/v1alpha5/projects/<id>/metrics/timeseries/api/v1/query` (Crusoe)
are forwarded to the engine's `/api/v1/query`; a missing or wrong key gets 401, a key in `forbidden_keys` 403
(Groq's non-Enterprise keys). Every request is counted, so tests can assert requests per run.
"""
import http.server
import threading
import urllib.error
import urllib.request


class AuthProxy:
    def __init__(self, engine_url, prefix, api_key, forbidden_keys=(), forbidden_message='forbidden'):
        self.engine_url = engine_url
        self.prefix = prefix.rstrip('/')
        self.api_key = api_key
        self.forbidden_keys = set(forbidden_keys)
        self.forbidden_message = forbidden_message
        self.requests = []  # (method, path) of every request received
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy._handle(self, None)

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                proxy._handle(self, self.rfile.read(length))

        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.url = 'http://127.0.0.1:{}{}'.format(self.httpd.server_address[1], self.prefix)
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _handle(self, handler, body):
        self.requests.append((handler.command, handler.path))
        path, _, query = handler.path.partition('?')
        auth = handler.headers.get('Authorization', '')
        key = auth[len('Bearer ') :] if auth.startswith('Bearer ') else None
        if key is not None and key in self.forbidden_keys:
            return self._send(handler, 403, b'{"error": "%s"}' % self.forbidden_message.encode(), 'application/json')
        if key != self.api_key:
            return self._send(handler, 401, b'{"error": "invalid API key"}', 'application/json')
        if not path.startswith(self.prefix + '/api/v1/'):
            return self._send(handler, 404, b'404 page not found', 'text/plain')
        target = self.engine_url + path[len(self.prefix) :] + ('?' + query if query else '')
        request = urllib.request.Request(target, data=body, method=handler.command)
        if body is not None:
            request.add_header('Content-Type', handler.headers.get('Content-Type', 'application/x-www-form-urlencoded'))
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, data, ctype = reply.status, reply.read(), reply.headers.get('Content-Type', '')
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get('Content-Type', '')
        self._send(handler, status, data, ctype)

    @staticmethod
    def _send(handler, status, data, ctype):
        handler.send_response(status)
        handler.send_header('Content-Type', ctype)
        handler.send_header('Content-Length', str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
