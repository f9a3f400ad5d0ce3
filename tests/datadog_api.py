"""A stand-in for Datadog's v1 dashboard, monitor and SLO API on 127.0.0.1, for the assets command's tests.

Like Datadog it answers 403 unless both DD-API-KEY and DD-APPLICATION-KEY are right, fills in what Datadog fills in
(ids, timestamps, authors, option defaults, thresholds as floats, an SLO's primary target), lists dashboards as
summaries and monitors and SLOs whole, pages the lists, and answers the SLO API's objects in a `data` list. Every
request body is checked with datadog-api-client's own models (types, unknown and read-only fields): a body that does
not fit gets a 400 and is recorded in `rejected`, which the tests assert empty. As Datadog documents burn rate
alerts, an `slo alert` monitor names an SLO that exists, over one of its time windows, long window 1 h to 48 h, short
window below it, rate at most 1 / (1 - target). An SLO a monitor names is not deleted (409, as Datadog answers for an
SLO a dashboard uses): strict, so that the tests see monitors deleted before their SLOs.
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
from datadog_api_client.v1.model.service_level_objective import ServiceLevelObjective
from datadog_api_client.v1.model.service_level_objective_request import ServiceLevelObjectiveRequest
from simulator.local_server import LocalServer, send

from .datadog_models import problems

DASHBOARD = re.compile(r'^/api/v1/dashboard(?:/([a-z0-9-]+))?$')
MONITOR = re.compile(r'^/api/v1/monitor(?:/([0-9]+))?$')
SLO = re.compile(r'^/api/v1/slo(?:/([a-z0-9]+))?$')
# burn_rate("<slo id>").over("<time window>").long_window("<hours>h").short_window("<minutes>m") > <rate>
BURN_RATE = re.compile(
    r'^\s*burn_rate\("(?P<slo>[^"]*)"\)\.over\("(?P<window>[^"]*)"\)\.long_window\("(?P<long>\d+)h"\)'
    r'\.short_window\("(?P<short>\d+)m"\)\s*>=?\s*(?P<rate>[\d.]+)\s*$'
)
SLO_NAMED = re.compile(r'burn_rate\("([^"]*)"\)')
NOW = '2026-11-22T10:00:00.000000+00:00'
CREATED = 1795341600  # NOW in seconds, as the SLO API gives times
# What Datadog adds to a monitor's options when they are not given.
OPTION_DEFAULTS = {'notify_no_data': False, 'require_full_window': True, 'new_host_delay': 300, 'silenced': {}}
QUERY_PARAMETERS = {'dashboard': {'count', 'start'}, 'monitor': {'page', 'page_size'}, 'slo': {'limit', 'offset'}}
# kind: (table, store method, create model, update model, id type)
ROUTES = {
    'dashboard': ('dashboards', 'store_dashboard', Dashboard, Dashboard, str),
    'monitor': ('monitors', 'store_monitor', Monitor, MonitorUpdateRequest, int),
    'slo': ('slos', 'store_slo', ServiceLevelObjectiveRequest, ServiceLevelObjective, str),
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
        self.slos = {}
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

    def add_slo(self, name, tags=()):
        query = {
            'numerator': 'sum:trace.http.request.hits{!http.status_class:5xx}.as_count()',
            'denominator': 'sum:trace.http.request.hits{*}.as_count()',
        }
        body = {'name': name, 'type': 'metric', 'query': query, 'thresholds': [{'timeframe': '7d', 'target': 99.9}]}
        return self.store_slo(dict(body, tags=list(tags)))

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
        for kind, pattern in (('dashboard', DASHBOARD), ('monitor', MONITOR), ('slo', SLO)):
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
        if not found and model in (Monitor, MonitorUpdateRequest) and (data or {}).get('type') == 'slo alert':
            found = self.burn_rate_problems(data)
        if found:
            self.rejected.append((method, path, found))
        return found

    def burn_rate_problems(self, monitor):
        """What Datadog refuses in an `slo alert` monitor (its documentation of burn rate alerts)."""
        query = monitor.get('query') or ''
        match = BURN_RATE.match(query)
        if match is None:
            return ['cannot read the burn rate query {!r}'.format(query)]
        slo = self.slos.get(match['slo'])
        if slo is None:
            return ['the slo alert monitor names no existing SLO: {!r}'.format(match['slo'])]
        targets = {t['timeframe']: t['target'] for t in slo['thresholds']}
        if match['window'] not in targets:
            return ['{!r} is none of the SLO\'s time windows {}'.format(match['window'], sorted(targets))]
        if not 1 <= int(match['long']) <= 48 or int(match['short']) >= 60 * int(match['long']):
            return ['the long window must be 1 h to 48 h, the short window below it: {!r}'.format(query)]
        target = targets[match['window']]
        highest = 1 / (1 - target / 100)
        rate = match['rate']
        if not 0 < float(rate) <= highest:
            return ['a burn rate of {} cannot be reached by an SLO of {}% (at most {:g})'.format(rate, target, highest)]
        return []

    def route(self, kind, method, object_id, query, data, path):
        """List (GET) and create (POST) on the collection; read (GET), update (PUT), delete on one object."""
        table, store, create, update, key = ROUTES[kind]
        table = getattr(self, table)
        if object_id is None and method in ('GET', 'POST'):
            if method == 'GET':
                return 200, getattr(self, 'list_' + kind)(query)
            found = self.check(method, path, data, create)
            if found:
                return 400, {'errors': found}
            return 200, written(kind, getattr(self, store)(data))
        object_id = key(object_id or 0)
        if object_id not in table:
            return 404, {'errors': ['{} not found'.format(kind.capitalize())]}
        if method == 'GET':
            return 200, ({'data': table[object_id]} if kind == 'slo' else table[object_id])
        if method == 'PUT':
            found = self.check(method, path, data, update)
            if found:
                return 400, {'errors': found}
            return 200, written(kind, getattr(self, store)(data, object_id))
        if method == 'DELETE':
            if kind == 'slo':
                users = [m['id'] for m in self.monitors.values() if object_id in SLO_NAMED.findall(m['query'])]
                if users:
                    return 409, {'errors': ['SLO {} is referenced by monitors {}'.format(object_id, users)]}
            del table[object_id]
            if kind == 'slo':
                return 200, {'data': [object_id]}
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

    def list_slo(self, query):
        offset, limit = int(query.get('offset', ['0'])[0]), int(query.get('limit', ['1000'])[0])
        return {'data': [self.slos[i] for i in sorted(self.slos)][offset : offset + limit]}

    def store_slo(self, data, slo_id=None):
        previous = self.slos.get(slo_id) or {}
        stored = dict(copy.deepcopy(previous), **copy.deepcopy(data))
        slo_id = slo_id or '{:032x}'.format(next(self.ids))  # Datadog's SLO ids are 32 hex digits
        thresholds = [dict(t, target=float(t['target'])) for t in stored.get('thresholds') or []]
        primary = thresholds[0] if thresholds else {}
        stored.update(
            id=slo_id,
            created_at=previous.get('created_at', CREATED),
            modified_at=CREATED,
            creator={'email': 'someone@example.com', 'handle': 'someone@example.com', 'name': 'Someone'},
            thresholds=[dict(t, target_display='{:g}'.format(t['target'])) for t in thresholds],
            timeframe=primary.get('timeframe'),
            target_threshold=primary.get('target'),
            warning_threshold=primary.get('warning'),
        )
        stored.setdefault('tags', [])
        stored.setdefault('monitor_ids', [])
        self.slos[slo_id] = stored
        return stored


def written(kind, stored):
    """The reply to a create or an update: the object, or for the SLO API a list of the objects written."""
    return {'data': [stored]} if kind == 'slo' else stored


def walk_widgets(widgets):
    for widget in widgets:
        yield widget
        yield from walk_widgets(widget.get('definition', {}).get('widgets') or [])
