# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What the assets command writes for each shipped dashboard, monitor and SLO, the marker by which it finds its own
objects again, and how it tells an object that is already as shipped from one to update.

A dashboard carries the marker in its description: Datadog keeps a dashboard's `tags` for team names only
(datadog-api-client: "List of team names representing ownership of a dashboard"), and the dashboard list returns
descriptions. A monitor or an SLO carries it as a tag. The marker names the shipped file (for a burn-rate monitor,
its SLO's file and `.burn_<window>`), so an object whose title changes between versions is still updated in place.
"""

import re

from datadog_api_client.model_utils import validate_and_convert_types
from datadog_api_client.v1.model.dashboard import Dashboard
from datadog_api_client.v1.model.monitor import Monitor
from datadog_api_client.v1.model.monitor_update_request import MonitorUpdateRequest
from datadog_api_client.v1.model.service_level_objective import ServiceLevelObjective
from datadog_api_client.v1.model.service_level_objective_request import ServiceLevelObjectiveRequest

from . import AssetError

MARKER = 'llm_inference_asset'
COMMAND = 'python -m datadog_checks.llm_inference.assets'
ASSET_ID = r'([A-Za-z0-9_.-]+)'
# The whole line the command writes, not the bare word, so that a description mentioning the marker is not taken.
DASHBOARD_MARKER = re.compile('`{}:{}`: installed by `{}`'.format(MARKER, ASSET_ID, re.escape(COMMAND)))
MONITOR_MARKER = re.compile('^{}:{}$'.format(MARKER, ASSET_ID))
SLO_REFERENCE = re.compile(r'\{\{slo:' + ASSET_ID + r'\}\}')  # objectives.slo_reference
# kind: (the model of a body to create, of a body to update)
MODELS = {
    'dashboard': (Dashboard, Dashboard),
    'monitor': (Monitor, MonitorUpdateRequest),
    'slo': (ServiceLevelObjectiveRequest, ServiceLevelObjective),
}
HANDLE = re.compile(r'^@?([^\s@{}][^\s{}]*)$')


def marker(asset_id):
    return '{}:{}'.format(MARKER, asset_id)


def marked(kind, remote):
    """The asset id in a remote object's marker (a dashboard summary's description, a monitor's or SLO's tags), or
    None."""
    if kind == 'dashboard':
        found = DASHBOARD_MARKER.findall(str(remote.get('description') or ''))
    else:
        found = [m for tag in remote.get('tags') or () for m in MONITOR_MARKER.findall(str(tag))]
    return found[-1] if found else None


def handles(values):
    """`--notify` values as Datadog notification handles (`@...`); a value that cannot be one is an error."""
    result = []
    for value in values or ():
        match = HANDLE.match(value.strip())
        if not match:
            raise AssetError(
                '--notify {!r} is not a notification handle such as @pagerduty-llm or @me@example.com'.format(value)
            )
        handle = '@' + match.group(1)
        if handle not in result:
            result.append(handle)
    return result


def api_fields(data, model, what):
    """The asset's fields the API takes: read-only fields are left out; a field the model does not know is an error
    (sending it would be either ignored or refused, and neither is what the file says)."""
    body = {}
    for key, value in data.items():
        if key in model.read_only_vars:
            continue
        if key not in model.attribute_map:
            raise AssetError('{}: `{}` is not a field of the {} API'.format(what, key, model.__name__))
        body[key] = value
    return body


def dashboard_body(asset):
    body = api_fields(asset.data, Dashboard, asset.path)
    note = (
        '`{}`: installed by `{}`, which replaces changes made here on its next install. To customize, clone this '
        'dashboard and remove this line from the clone.'
    ).format(marker(asset.id), COMMAND)
    body['description'] = '{}\n\n{}'.format(body.get('description') or '', note).lstrip()
    return body


def monitor_body(asset, notify):
    definition = dict(asset.data.get('definition') or {})
    # The integration asset format carries a restriction policy that the v1 monitor API does not take in this body.
    # Without bindings it restricts nothing, so leaving it out leaves whatever policy the organization set.
    policy = definition.pop('restriction_policy', None)
    if policy and policy.get('bindings'):
        raise AssetError('{}: a restriction_policy with bindings cannot be applied by this command'.format(asset.path))
    body = api_fields(definition, Monitor, asset.path)
    body['tags'] = with_marker(body.get('tags'), asset.id)
    if notify:
        body['message'] = '{}\n\n{}'.format(body.get('message') or '', ' '.join(notify)).lstrip()
    return body


def slo_body(asset):
    body = api_fields(asset.data, ServiceLevelObjectiveRequest, asset.path)
    body['tags'] = with_marker(body.get('tags'), asset.id)
    return body


def with_marker(tags, asset_id):
    """A monitor's or SLO's tags with the marker of `asset_id` as the only marker."""
    return [t for t in tags or [] if not t.startswith(MARKER + ':')] + [marker(asset_id)]


def body(asset, notify=()):
    if asset.kind == 'slo':
        return slo_body(asset)
    return dashboard_body(asset) if asset.kind == 'dashboard' else monitor_body(asset, notify)


def title(kind, data):
    return data.get('title') if kind == 'dashboard' else data.get('name')


def model(kind, data, configuration, update=False):
    """The datadog-api-client model of a body, type-checked the way the client checks what Datadog returns."""
    cls = MODELS[kind][1 if update else 0]
    return validate_and_convert_types(data, (cls,), ['body'], True, True, configuration)


def with_slo_ids(body, ids):
    """A burn-rate monitor's body with each `{{slo:<file>}}` (objectives.py) replaced by the id of that file's SLO in
    the organization, where `ids` ({file: id}) knows it."""
    query = body.get('query')
    if not isinstance(query, str) or SLO_REFERENCE.search(query) is None:
        return body
    return dict(body, query=SLO_REFERENCE.sub(lambda m: str(ids.get(m.group(1), m.group(0))), query))


def unresolved(body):
    """The SLO files a monitor's body still names by file rather than by id."""
    return SLO_REFERENCE.findall(str(body.get('query') or ''))


def same(wanted, remote, key=None):
    """Whether a remote object already holds every field the command would write (see `differences`)."""
    return not differences(wanted, remote, key)


def differences(wanted, remote, key=None, path=''):
    """The fields of `wanted` that `remote` does not hold, as paths (`options.thresholds.critical`, `widgets[3]`).
    Fields Datadog adds (ids, defaults, timestamps) are ignored; a missing field equals an empty or null one; numbers
    compare by value (Datadog returns thresholds as floats); tags compare as sets; a list of another length differs
    as a whole."""
    if wanted is None or wanted == {} or wanted == []:
        return [] if remote is None or remote == {} or remote == [] else [path]
    if isinstance(wanted, dict):
        if not isinstance(remote, dict):
            return [path]
        return [d for k, v in wanted.items() for d in differences(v, remote.get(k), k, '{}.{}'.format(path, k))]
    if isinstance(wanted, list):
        if key == 'tags' and isinstance(remote, list):
            return [] if sorted(map(str, wanted)) == sorted(map(str, remote)) else [path]
        if not isinstance(remote, list) or len(remote) != len(wanted):
            return [path]
        items = enumerate(zip(wanted, remote, strict=True))
        return [d for n, (w, r) in items for d in differences(w, r, None, '{}[{}]'.format(path, n))]
    if isinstance(wanted, bool) or isinstance(remote, bool):
        return [] if wanted is remote else [path]
    return [] if wanted == remote else [path]


def describe_changes(paths, most=6):
    """`differences` for a line of output: the first few fields, and how many more."""
    names = [p.lstrip('.') or '(the whole object)' for p in paths]
    text = ', '.join(names[:most])
    return text + (' and {} more'.format(len(names) - most) if len(names) > most else '')
