# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The dashboards, recommended monitors and SLOs (with their burn-rate monitors) the integration ships, and where
they are.

Git keeps one copy, in the repository's `assets/` (where manifest.json and ddev read the dashboards and monitors;
the SLOs, in `assets/slos/`, are no integration assets: only the command and Terraform read them). The wheel build
copies `assets/dashboards/`, `assets/monitors/` and `assets/slos/` beside this file (pyproject's force-include), so
an installed package finds them here; a checkout or an editable install, which has no such copy, reads the
repository's.
`python -m datadog_checks.llm_inference.assets` puts them into a Datadog organization (see `command.py`).
"""

import json
import os
from collections import namedtuple

KINDS = ('dashboards', 'monitors', 'slos')
HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'assets'))

# kind: 'dashboard', 'monitor' or 'slo'; id: the file's name without `.json`, unique within its kind (a burn-rate
# monitor's: its SLO file's and `.<name>` in that file); data: the parsed JSON (a monitor's: {'definition': ...}).
Asset = namedtuple('Asset', 'kind id path data')


class AssetsNotFound(Exception):
    pass


class AssetError(Exception):
    """A shipped file, or an option, the assets command cannot turn into a request body."""


def directory():
    """The folder holding `dashboards/`, `monitors/` and `slos/`: the package's copy if installed, else the
    checkout's."""
    for candidate in (HERE, CHECKOUT):
        if all(os.path.isdir(os.path.join(candidate, kind)) for kind in KINDS):
            return candidate
    raise AssetsNotFound(
        'no dashboards/, monitors/ and slos/ folders in {} (installed wheel) nor in {} (checkout): reinstall the '
        'datadog-llm-inference wheel'.format(HERE, CHECKOUT)
    )


def paths(kind):
    """The JSON files of one kind ('dashboards', 'monitors' or 'slos'), sorted by name."""
    folder = os.path.join(directory(), kind)
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith('.json'))


def shipped():
    """Every dashboard, then every SLO followed by its burn-rate monitors (which name it by id: objectives.py), then
    every recommended monitor."""
    assets = []
    for kind in ('dashboards', 'slos', 'monitors'):
        for path in paths(kind):
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
            name = os.path.basename(path)[: -len('.json')]
            if kind != 'slos':
                assets.append(Asset(kind[:-1], name, path, data))
                continue
            assets.append(Asset('slo', name, path, data['slo']))
            for suffix, monitor in sorted(data.get('burn_rate_monitors', {}).items()):
                assets.append(Asset('monitor', '{}.{}'.format(name, suffix), path, {'definition': monitor}))
    return assets
