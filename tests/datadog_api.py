"""A stand-in for Datadog's v1 dashboard and monitor API on 127.0.0.1, for the assets command's tests.

Like Datadog it answers 403 unless both DD-API-KEY and DD-APPLICATION-KEY are right, fills in what Datadog fills in
(ids, timestamps, authors, option defaults, thresholds as floats), lists dashboards as summaries and monitors whole,
and pages both lists. Every request body is checked with datadog-api-client's own models (types, unknown and
read-only fields): a body that does not fit gets a 400 and is recorded in `rejected`, which the tests assert empty.
`fail(status)` makes the next requests fail with a status (a 429 with Datadog's `X-RateLimit-Reset: 7`, or the
headers given).
"""

import copy
import itertools
import json
import re
import threading
from urllib.parse import parse_qs, urlsplit

from datadog_api_client.v1.model.dashboard import Dashboard
from datadog_api_client.v1.model.monitor import Monitor
from datadog_api_client.v1.model.monitor_update_request import MonitorUpdateRequest
from simulator.local_server import LocalServer, send

from .datadog_models import problems

DASHBOARD = re.compile(r'^/api/v1/dashboard(?:/([a-z0-9-]+))?$')
MONITOR = re.compile(r'^/api/v1/monitor(?:/([0-9]+))?$')
NOW = '2026-11-22T10:00:00.000000+00:00'
# What Datadog adds to a monitor's options when they are not given.
OPTION_DEFAULTS = {'notify_no_data': False, 'require_full_window': True, 'new_host_delay': 300, 'silenced': {}}
QUERY_PARAMETERS = {'dashboard': {'count', 'start'}, 'monitor': {'page', 'page_size'}}
# kind: (table, store method, create model, update model, id type)
ROUTES = {
    'dashboard': ('dashboards', 'store_dashboard', Dashboard, Dashboard, str),
    'monitor': ('monitors', 'store_monitor', Monitor, MonitorUpdateRequest, int),
}


class DatadogStandIn:
    def __init__(self, api_key, app_key):
        self.keys = (api_key, app_key)
        self.lock = threading.Lock()
        self.server = LocalServer(self.handle)
        self.url = self.server.url
        self.reset()

    def reset(self):
        """An empty organization, and nothing recorded."""
        self.dashboards = {}
        self.monitors = {}
        self.requests = []  # (method, path with query)
        self.headers = []  # every request's headers, to check what the client sent
        self.rejected = []  # (method, path, problems): bodies datadog-api-client's models refuse
        self.failures = []  # statuses to answer with, one per request, before serving normally
        self.fail_after = 0
        self.failure_headers = {}
        self.ids = itertools.count(1001)

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.server.stop()

    def fail(self, status, times=1000, after=0, headers=None):
        """Answer `times` requests with `status` (and `headers`), after serving `after` more normally."""
        self.failures = [status] * times
        self.fail_after = after
        self.failure_headers = {'X-RateLimit-Reset': '7'} if headers is None and status == 429 else headers or {}

    def writes(self):
        return [(m, p) for m, p in self.requests if m != 'GET']

    # Objects another team made by hand, which the command must leave alone.
    def add_dashboard(self, title, description=''):
        return self.store_dashboard(
            {'title': title, 'description': description, 'layout_type': 'ordered', 'widgets': []}
        )

    def add_monitor(self, name, tags=()):
        body = {'name': name, 'type': 'query alert', 'query': 'avg(last_5m):avg:system.load.1{*} > 4', 'message': ''}
        return self.store_monitor(dict(body, tags=list(tags)))

    def handle(self, request, body):
        with self.lock:
            status, reply = self.serve(request, body)
            headers = {'Content-Type': 'application/json'}
            if status == 429:  # X-RateLimit-Reset: seconds until the rate-limit window resets, as Datadog sends it
                headers.update(self.failure_headers)
        send(request, status, json.dumps(reply).encode(), headers)

    def serve(self, request, body):
        method, url = request.command, urlsplit(request.path)
        self.requests.append((method, request.path))
        self.headers.append(dict(request.headers))
        if (request.headers.get('DD-API-KEY'), request.headers.get('DD-APPLICATION-KEY')) != self.keys:
            return 403, {'errors': ['Forbidden']}
        if self.failures and self.fail_after:
            self.fail_after -= 1
        elif self.failures:
            status = self.failures.pop()
            return status, {'errors': ['Internal Server Error' if status >= 500 else 'Request refused']}
        data = None
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                return 400, {'errors': ['Invalid JSON']}
        query = parse_qs(url.query)
        for kind, pattern in (('dashboard', DASHBOARD), ('monitor', MONITOR)):
            match = pattern.match(url.path)
            if match:
                unknown = set(query) - QUERY_PARAMETERS[kind]
                if unknown and not match.group(1):
                    self.rejected.append((method, request.path, ['unexpected query parameters {}'.format(unknown)]))
                    return 400, {'errors': ['unexpected query parameters']}
                return self.route(kind, method, match.group(1), query, data, request.path)
        return 404, {'errors': ['Not found']}

    def check(self, method, path, data, model):
        found = problems(data, model)
        if found:
            self.rejected.append((method, path, found))
        return found

    def route(self, kind, method, object_id, query, data, path):
        """List (GET) and create (POST) on the collection; read (GET), update (PUT), delete on one object."""
        table, store, create, update, key = ROUTES[kind]
        table = getattr(self, table)
        if object_id is None and method in ('GET', 'POST'):
            if method == 'GET':
                return 200, getattr(self, 'list_' + kind)(query)
            found = self.check(method, path, data, create)
            return (400, {'errors': found}) if found else (200, getattr(self, store)(data))
        object_id = key(object_id or 0)
        if object_id not in table:
            return 404, {'errors': ['{} not found'.format(kind.capitalize())]}
        if method == 'GET':
            return 200, table[object_id]
        if method == 'PUT':
            found = self.check(method, path, data, update)
            return (400, {'errors': found}) if found else (200, getattr(self, store)(data, object_id))
        if method == 'DELETE':
            del table[object_id]
            return 200, {'deleted_{}_id'.format(kind): object_id}
        return 405, {'errors': ['Method not allowed']}

    def list_dashboard(self, query):
        start, count = int(query.get('start', ['0'])[0]), int(query.get('count', ['100'])[0])
        summaries = [self.summary(d) for d in self.dashboards.values()]
        return {'dashboards': summaries[start : start + count], 'total': len(summaries)}

    def store_dashboard(self, data, dashboard_id=None):
        stored = copy.deepcopy(data)
        created = self.dashboards[dashboard_id]['created_at'] if dashboard_id else NOW
        dashboard_id = dashboard_id or 'abc-{}-xyz'.format(next(self.ids))
        for widget in walk_widgets(stored.get('widgets') or []):
            widget.setdefault('id', next(self.ids))
        stored.update(
            id=dashboard_id,
            author_handle='someone@example.com',
            author_name='Someone',
            created_at=created,
            modified_at=NOW,
            url='/dashboard/{}/{}'.format(dashboard_id, re.sub(r'[^a-z0-9]+', '-', stored['title'].lower())),
        )
        stored.setdefault('description', None)
        stored.setdefault('notify_list', None)
        stored.setdefault('template_variables', None)
        self.dashboards[dashboard_id] = stored
        return stored

    def summary(self, dashboard):
        keys = ('author_handle', 'created_at', 'description', 'id', 'layout_type', 'modified_at', 'title', 'url')
        return dict({k: dashboard[k] for k in keys}, is_read_only=False)

    def list_monitor(self, query):
        monitors = [self.monitors[i] for i in sorted(self.monitors)]
        if 'page' in query:
            size, page = int(query.get('page_size', ['100'])[0]), int(query['page'][0])
            monitors = monitors[page * size : (page + 1) * size]
        return monitors

    def store_monitor(self, data, monitor_id=None):
        previous = self.monitors.get(monitor_id) or {}
        stored = dict(copy.deepcopy(previous), **copy.deepcopy(data))
        options = dict(OPTION_DEFAULTS, **(stored.get('options') or {}))
        if 'thresholds' in options:  # Datadog returns thresholds as floats
            options['thresholds'] = {k: float(v) for k, v in options['thresholds'].items()}
        monitor_id = monitor_id or next(self.ids)
        stored.update(
            id=monitor_id,
            options=options,
            created=previous.get('created', NOW),
            modified=NOW,
            creator={'email': 'someone@example.com', 'handle': 'someone@example.com', 'name': 'Someone'},
            overall_state='No Data',
            multi=' by ' in stored.get('query', ''),
            restricted_roles=None,
        )
        stored.setdefault('tags', [])
        stored.setdefault('priority', None)
        self.monitors[monitor_id] = stored
        return stored


def walk_widgets(widgets):
    for widget in widgets:
        yield widget
        yield from walk_widgets(widget.get('definition', {}).get('widgets') or [])
