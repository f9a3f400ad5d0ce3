# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The plan (create / update / unchanged / delete, one step per object) and its execution against one Datadog
organization, through datadog-api-client's v1 dashboard, monitor and SLO APIs.

An object is the command's when it carries the marker (see bodies.py) AND its id is the one the command recorded
(record.py) or, where nothing is recorded, its title is the shipped one (the oldest, if several). Any other object
carrying the marker is a copy: someone cloned it, or renamed it where no record says it is ours. Copies are
reported and left alone on every run, install and uninstall: never adopted, renamed or deleted.

A burn-rate monitor names its SLO by id (objectives.py): the plan puts the id of an SLO found in its place, and an
SLO created in the same run has its id put there when it is written, before its monitors (shipped() lists each SLO
before them). `uninstall` deletes monitors before SLOs, so that no monitor is ever left naming a deleted SLO.

A 429 is retried after the wait Datadog gives (`Retry-After`, else `X-RateLimit-Reset`) when that is at most
`max_wait` seconds, a few times; the request was refused, not carried out, so a retried create makes no duplicate.
"""

import email.utils
import json
import time
from collections import defaultdict, namedtuple

import urllib3
from datadog_api_client.exceptions import ApiException, OpenApiException
from datadog_api_client.v1.api.dashboards_api import DashboardsApi
from datadog_api_client.v1.api.monitors_api import MonitorsApi
from datadog_api_client.v1.api.service_level_objectives_api import ServiceLevelObjectivesApi

from . import AssetError, bodies

# action: create, update, unchanged, delete, copy (carries a marker, left alone), stale (marked, no longer shipped);
# changes: for an update, the fields that differ (bodies.differences); note: what to say of a copy or a stale object.
Step = namedtuple('Step', 'action kind title asset_id remote_id body changes note', defaults=((), None))
WRITES = {'create', 'update', 'delete'}
MONITOR_PAGE = 1000  # the largest page Datadog's monitor list serves
SLO_PAGE = 1000  # the largest page Datadog's SLO list serves
# The order of deletions: a monitor before the SLO it may name.
UNINSTALL_ORDER = {'dashboard': 0, 'monitor': 1, 'slo': 2}
RETRIES = 3  # 429s waited out per request, each for at most max_wait seconds


class Failure(Exception):
    """A request that failed: `doing` says which, `error` is datadog-api-client's or urllib3's exception."""

    def __init__(self, doing, error):
        super().__init__(doing)
        self.doing = doing
        self.error = error


def retry_after(headers):
    """Seconds a 429 asks to wait: `Retry-After` (seconds or an HTTP date), else Datadog's `X-RateLimit-Reset`
    (seconds until its window resets); None when neither says."""
    headers = {str(k).lower(): v for k, v in (headers or {}).items()}
    for name in ('retry-after', 'x-ratelimit-reset'):
        value = str(headers.get(name) or '').strip()
        if value.isdigit():
            return int(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            continue
        if when.tzinfo is not None:
            return max(0, int(when.timestamp() - time.time() + 0.999))
    return None


class Organization:
    def __init__(self, api_client, max_wait=0.0, tell=None):
        self.configuration = api_client.configuration
        self.dashboards = DashboardsApi(api_client)
        self.monitors = MonitorsApi(api_client)
        self.slos = ServiceLevelObjectivesApi(api_client)
        # SLO file -> its id in the organization: what a burn-rate monitor's `{{slo:<file>}}` becomes.
        self.slo_ids = {}
        self.max_wait, self.tell = max_wait, tell or (lambda text: None)

    def call(self, doing, fn, *args):
        for attempt in range(RETRIES + 1):
            try:
                return fn(*args)
            except ApiException as e:
                wait = retry_after(e.headers) if e.status == 429 else None
                if wait is None or wait > self.max_wait or attempt == RETRIES:
                    raise Failure(doing, e) from None
                self.tell('Datadog rate-limited the request while {}: retrying in {} s'.format(doing, wait))
                time.sleep(wait)
            except (OpenApiException, urllib3.exceptions.HTTPError) as e:
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
        slos = self.call('listing SLOs', lambda: list(self.slos.list_slos_with_pagination(limit=SLO_PAGE)))
        for kind, objects in (('dashboard', summaries), ('monitor', monitors), ('slo', slos)):
            for obj in objects:
                data = obj.to_dict()
                asset_id = bodies.marked(kind, data)
                if asset_id:
                    found[(kind, asset_id)].append(data)
        return found

    def full(self, kind, remote):
        """The whole object (a dashboard summary has no widgets; a listed monitor or SLO is whole already)."""
        if kind != 'dashboard':
            return remote
        doing = 'reading dashboard {!r}'.format(remote.get('title'))
        return self.call_raw(doing, self.dashboards.get_dashboard, remote['id'])

    def apply(self, step):
        """Carry out a write step; returns the id of the object written."""
        doing = '{} {} {!r}'.format(
            {'create': 'creating', 'update': 'updating', 'delete': 'deleting'}[step.action], step.kind, step.title
        )
        api = {'dashboard': self.dashboards, 'monitor': self.monitors, 'slo': self.slos}[step.kind]
        if step.action == 'delete':
            self.call_raw(doing, getattr(api, 'delete_' + step.kind), step.remote_id)
            return step.remote_id
        body = bodies.with_slo_ids(step.body, self.slo_ids) if step.kind == 'monitor' else step.body
        missing = bodies.unresolved(body)
        if missing:  # shipped() lists an SLO before its monitors: this is a file naming an SLO that is not shipped
            raise AssetError('{!r} names the SLO of {}, which is not shipped'.format(step.title, missing[0]))
        model = bodies.model(step.kind, body, self.configuration, update=step.action == 'update')
        fn = getattr(api, ('create_' if step.action == 'create' else 'update_') + step.kind)
        args = (model,) if step.action == 'create' else (step.remote_id, model)
        written = self.call_raw(doing, fn, *args)
        if step.kind == 'slo':  # the SLO API answers the objects written, a list under `data`
            data = written.get('data') if isinstance(written, dict) else None
            written = data[0] if isinstance(data, list) and data else None
            if isinstance(written, dict) and written.get('id'):
                self.slo_ids[step.asset_id] = written['id']
        return written.get('id') if isinstance(written, dict) else None


def remote_title(kind, data):
    return bodies.title(kind, data) or '(untitled)'


def split(candidates, title, recorded=None):
    """The command's object among those carrying one marker (None if none is), and the copies: the object with the
    recorded id, else the oldest with the shipped title. For a file no longer shipped, whose title is unknown, the
    oldest stands in for the title."""
    by_age = sorted(candidates, key=lambda r: (str(r.get('created_at') or r.get('created') or ''), str(r.get('id'))))
    owner = next((r for r in by_age if recorded is not None and str(r.get('id')) == str(recorded)), None)
    if owner is None:
        owner = next((r for r in by_age if title is None or r.get('title', r.get('name')) == title), None)
    return owner, [r for r in by_age if r is not owner]


def copies(kind, asset_id, others, owner):
    note = 'copy' if owner is not None else 'renamed'
    return [Step('copy', kind, remote_title(kind, r), asset_id, r['id'], None, note=note) for r in others]


def plan_install(org, assets, notify, record):
    found = org.marked()
    steps = []
    for asset in assets:
        wanted = bodies.body(asset, notify)
        title = bodies.title(asset.kind, wanted)
        owner, others = split(found.pop((asset.kind, asset.id), []), title, record.get(asset.kind, asset.id))
        if asset.kind == 'slo' and owner is not None:
            org.slo_ids[asset.id] = owner['id']
        elif asset.kind == 'monitor':  # an SLO to create has no id yet: the monitor's body gets it in `apply`
            wanted = bodies.with_slo_ids(wanted, org.slo_ids)
        if owner is None:
            steps.append(Step('create', asset.kind, title, asset.id, None, wanted))
        else:
            changes = bodies.differences(wanted, org.full(asset.kind, owner))
            action = 'update' if changes else 'unchanged'
            steps.append(Step(action, asset.kind, title, asset.id, owner['id'], wanted, changes))
        steps += copies(asset.kind, asset.id, others, owner)
    for (kind, asset_id), candidates in sorted(found.items()):
        owner, others = split(candidates, None, record.get(kind, asset_id))
        steps.append(Step('stale', kind, remote_title(kind, owner), asset_id, owner['id'], None, note='stale'))
        steps += copies(kind, asset_id, others, owner)
    return steps


def plan_uninstall(org, assets, record):
    titles = {
        (a.kind, a.id): bodies.title(a.kind, a.data.get('definition', {}) if a.kind == 'monitor' else a.data)
        for a in assets
    }
    steps = []
    marked = org.marked()
    for kind, asset_id in sorted(marked, key=lambda found: (UNINSTALL_ORDER[found[0]], found[1])):
        candidates = marked[(kind, asset_id)]
        owner, others = split(candidates, titles.get((kind, asset_id)), record.get(kind, asset_id))
        if owner is not None:
            steps.append(Step('delete', kind, remote_title(kind, owner), asset_id, owner['id'], None))
        steps += copies(kind, asset_id, others, owner)
    return steps
