# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The plan (create / update / unchanged / delete, one step per object) and its execution against one Datadog
organization, through datadog-api-client's v1 dashboard and monitor APIs.

The command finds its objects by their marker (see bodies.py), never by title. Two objects can carry the same
marker when someone cloned one: the object whose title is the shipped one (the oldest, if several) is the
command's, the others are copies it reports and leaves alone, on install as on uninstall.
"""

import json
from collections import defaultdict, namedtuple

import urllib3
from datadog_api_client.exceptions import ApiException, OpenApiException
from datadog_api_client.v1.api.dashboards_api import DashboardsApi
from datadog_api_client.v1.api.monitors_api import MonitorsApi

from . import bodies

# action: create, update, unchanged, delete, copy (carries a marker, left alone), stale (marked, no longer shipped)
Step = namedtuple('Step', 'action kind title asset_id remote_id body')
WRITES = {'create', 'update', 'delete'}
MONITOR_PAGE = 1000  # the largest page Datadog's monitor list serves


class Failure(Exception):
    """A request that failed: `doing` says which, `error` is datadog-api-client's or urllib3's exception."""

    def __init__(self, doing, error):
        super().__init__(doing)
        self.doing = doing
        self.error = error


class Organization:
    def __init__(self, api_client):
        self.configuration = api_client.configuration
        self.dashboards = DashboardsApi(api_client)
        self.monitors = MonitorsApi(api_client)

    def call(self, doing, fn, *args):
        try:
            return fn(*args)
        except (ApiException, OpenApiException, urllib3.exceptions.HTTPError) as e:
            raise Failure(doing, e) from None

    def call_raw(self, doing, fn, *args):
        """The reply as JSON, not as a model: what Datadog stores is compared as it is, and building a dashboard's
        model (a quarter of a second each) is skipped. Errors are raised as by `call`."""
        self.configuration.preload_content = False
        try:
            response = self.call(doing, fn, *args)
            try:
                return json.loads(response.data or b'null')
            except ValueError as e:
                raise Failure(doing, e) from None
        finally:
            self.configuration.preload_content = True

    def marked(self):
        """{(kind, asset id): [objects carrying that marker, as dicts]}; dashboards as list summaries."""
        found = defaultdict(list)
        summaries = self.call('listing dashboards', lambda: list(self.dashboards.list_dashboards_with_pagination()))
        monitors = self.call(
            'listing monitors', lambda: list(self.monitors.list_monitors_with_pagination(page_size=MONITOR_PAGE))
        )
        for kind, objects in (('dashboard', summaries), ('monitor', monitors)):
            for obj in objects:
                data = obj.to_dict()
                asset_id = bodies.marked(kind, data)
                if asset_id:
                    found[(kind, asset_id)].append(data)
        return found

    def full(self, kind, remote):
        """The whole object (a dashboard summary has no widgets; a listed monitor is whole already)."""
        if kind == 'monitor':
            return remote
        doing = 'reading dashboard {!r}'.format(remote.get('title'))
        return self.call_raw(doing, self.dashboards.get_dashboard, remote['id'])

    def apply(self, step):
        """Carry out a write step; returns the id of the object written."""
        doing = '{} {} {!r}'.format(
            {'create': 'creating', 'update': 'updating', 'delete': 'deleting'}[step.action], step.kind, step.title
        )
        if step.action == 'delete':
            fn = self.dashboards.delete_dashboard if step.kind == 'dashboard' else self.monitors.delete_monitor
            self.call_raw(doing, fn, step.remote_id)
            return step.remote_id
        model = bodies.model(step.kind, step.body, self.configuration, update=step.action == 'update')
        if step.kind == 'dashboard':
            fn = self.dashboards.create_dashboard if step.action == 'create' else self.dashboards.update_dashboard
        else:
            fn = self.monitors.create_monitor if step.action == 'create' else self.monitors.update_monitor
        args = (model,) if step.action == 'create' else (step.remote_id, model)
        written = self.call_raw(doing, fn, *args)
        return written.get('id') if isinstance(written, dict) else None


def remote_title(kind, data):
    return bodies.title(kind, data) or '(untitled)'


def split(candidates, title):
    """The command's object among those carrying one marker, and the copies: the shipped title first, then the
    oldest."""
    ordered = sorted(
        candidates,
        key=lambda r: (
            title is not None and r.get('title', r.get('name')) != title,
            str(r.get('created_at') or r.get('created') or ''),
            str(r.get('id')),
        ),
    )
    return ordered[0], ordered[1:]


def copies(kind, asset_id, others):
    return [Step('copy', kind, remote_title(kind, r), asset_id, r['id'], None) for r in others]


def plan_install(org, assets, notify):
    found = org.marked()
    steps = []
    for asset in assets:
        wanted = bodies.body(asset, notify)
        title = bodies.title(asset.kind, wanted)
        candidates = found.pop((asset.kind, asset.id), [])
        if not candidates:
            steps.append(Step('create', asset.kind, title, asset.id, None, wanted))
            continue
        owner, others = split(candidates, title)
        action = 'unchanged' if bodies.same(wanted, org.full(asset.kind, owner)) else 'update'
        steps.append(Step(action, asset.kind, title, asset.id, owner['id'], wanted))
        steps += copies(asset.kind, asset.id, others)
    for (kind, asset_id), candidates in sorted(found.items()):
        steps += [Step('stale', kind, remote_title(kind, r), asset_id, r['id'], None) for r in candidates]
    return steps


def plan_uninstall(org, assets):
    titles = {
        (a.kind, a.id): bodies.title(a.kind, a.data if a.kind == 'dashboard' else a.data.get('definition', {}))
        for a in assets
    }
    steps = []
    for (kind, asset_id), candidates in sorted(org.marked().items()):
        owner, others = split(candidates, titles.get((kind, asset_id)))
        steps.append(Step('delete', kind, remote_title(kind, owner), asset_id, owner['id'], None))
        steps += copies(kind, asset_id, others)
    return steps
