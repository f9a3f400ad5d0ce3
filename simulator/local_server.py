"""A threaded HTTP/1.1 server on 127.0.0.1 (a free port) that hands every request to one function.

The simulator's endpoints, its engine proxies and the tests' programmable server are all this plus their own
`handle(request, body)`; `send()` writes a whole reply.
"""

import http.server
import sys
import threading


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that closes its connection before the reply is written (the check drops a refused reply unread)
        # is no fault of the server: socketserver would print its traceback into the demo's output.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LocalServer:
    def __init__(self, handle):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_GET(self):
                handle(self, None)

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                handle(self, self.rfile.read(length) if length else b'')

            do_PUT = do_POST  # the body-carrying methods; `request.command` says which
            do_DELETE = do_POST

        self.httpd = _Server(('127.0.0.1', 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = 'http://127.0.0.1:{}'.format(self.port)

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def send(request, status, data, headers):
    """Write a complete reply with a Content-Length."""
    request.send_response(status)
    for name, value in headers.items():
        request.send_header(name, value)
    request.send_header('Content-Length', str(len(data)))
    request.end_headers()
    request.wfile.write(data)
